// A short numeric description of a clip: what `emotionthinker info` prints.
import type { DecodedAudio } from './audio.js';
import { checkSampleRange, SILENCE_FLOOR_DBFS } from './audio-limits.js';
import { invalidArg } from './errors.js';

export interface AudioSummary {
  sampleRate: number;
  channels: number;
  encoding: string;
  frames: number;
  durationSeconds: number;
  /** Peak absolute sample value in dBFS (0 = full scale; digital silence -120, the floor). */
  peakDbfs: number;
  /** RMS over all samples in dBFS (floored at -120). */
  rmsDbfs: number;
  /** Share of 10 ms frames whose RMS is within 40 dB of the loudest frame. */
  activeRatio: number;
}

// Never -Infinity: silence reads as the floor. The top is bounded by the sample range check
// (AUDIO_LIMITS.maxAbsSample, +24 dBFS).
const dbfs = (x: number) => (x > 0 ? Math.max(SILENCE_FLOOR_DBFS, 20 * Math.log10(x)) : SILENCE_FLOOR_DBFS);

/** Peak, RMS and activity of decoded audio. Samples beyond ±16 (+24 dBFS), NaN or ±Infinity are ERR_INVALID_ARG. */
export function summarizeAudio(audio: DecodedAudio): AudioSummary {
  const { samples, channels, sampleRate } = audio;
  if (!(samples instanceof Float32Array)) throw invalidArg('audio.samples must be a Float32Array');
  checkSampleRange(samples, channels, 'ERR_INVALID_ARG', 'summarizeAudio: ');
  let peak = 0;
  let sumSq = 0; // float64 accumulation: these sums run over millions of samples
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i];
    const a = Math.abs(v);
    if (a > peak) peak = a;
    sumSq += v * v;
  }
  const hop = Math.max(1, Math.round(sampleRate / 100)) * channels;
  const frameRms: number[] = [];
  for (let start = 0; start + hop <= samples.length; start += hop) {
    let s = 0;
    for (let i = start; i < start + hop; i++) s += samples[i] * samples[i];
    frameRms.push(Math.sqrt(s / hop));
  }
  const loudest = frameRms.reduce((m, v) => Math.max(m, v), 0);
  const active = loudest > 0 ? frameRms.filter((v) => v >= loudest * 0.01).length / frameRms.length : 0;
  return {
    sampleRate,
    channels,
    encoding: audio.encoding,
    frames: audio.frames,
    durationSeconds: audio.duration,
    peakDbfs: dbfs(peak),
    rmsDbfs: dbfs(Math.sqrt(sumSq / Math.max(1, samples.length))),
    activeRatio: active,
  };
}
