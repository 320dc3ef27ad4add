// The package's audio limits, as the native core defines them (native/audio/limits.hpp is the
// one owner; the addon exports the numbers). TypeScript checks that run outside the core (the
// WASM decoders' output, summarizeAudio, argument checks) read them from here.
import { native, nativePath } from './native.js';
import { EmotionThinkerError, type ErrorCode } from './errors.js';

export interface AudioLimits {
  /** Lowest sample rate accepted, declared by a file or passed as an argument (Hz). */
  readonly minSampleRate: number;
  /** Highest sample rate accepted (Hz). */
  readonly maxSampleRate: number;
  /** Float samples beyond ±this (full scale is ±1), NaN or ±Infinity are an error. */
  readonly maxAbsSample: number;
  /** maxAbsSample in dBFS (+24): no level the package reports is above it. */
  readonly maxAbsSampleDbfs: number;
  /** Largest sample buffer (all channels) a call may produce. */
  readonly maxSamples: number;
  /** Resampler: largest filter length (taps per phase). */
  readonly maxFilterTaps: number;
  /** Resampler: largest polyphase table (phases × taps). */
  readonly maxFilterTableEntries: number;
}

function readLimits(): AudioLimits {
  // An addon built before the limits existed (a stale build/ or prebuilds/) would otherwise
  // turn every rate check into "1000..undefined": say what is wrong instead.
  const l = native.audioLimits;
  if (!l || typeof l.maxSampleRate !== 'number') {
    throw new EmotionThinkerError('ERR_INTERNAL', `the native addon at ${nativePath} does not export audioLimits: it is older than this JavaScript; rebuild it (npm run build)`);
  }
  return Object.freeze({ ...l });
}

export const AUDIO_LIMITS: AudioLimits = readLimits();

/** Lowest level any dBFS figure reports: digital silence is -120 dBFS, never -Infinity. */
export const SILENCE_FLOOR_DBFS = -120;

/** True for an integer rate inside the supported range. */
export function sampleRateSupported(rate: unknown): rate is number {
  return typeof rate === 'number' && Number.isInteger(rate) && rate >= AUDIO_LIMITS.minSampleRate && rate <= AUDIO_LIMITS.maxSampleRate;
}

export function rateRange(): string {
  return `${AUDIO_LIMITS.minSampleRate}..${AUDIO_LIMITS.maxSampleRate} Hz`;
}

/** Index of the first sample that is NaN, ±Infinity or beyond ±maxAbsSample; -1 when none. */
export function firstOutOfRange(samples: Float32Array): number {
  const bound = AUDIO_LIMITS.maxAbsSample;
  for (let i = 0; i < samples.length; i++) {
    // NaN fails the comparison too.
    if (!(Math.abs(samples[i]) <= bound)) return i;
  }
  return -1;
}

/** The error for sample `i` out of range (the same wording as the native core). */
export function sampleRangeError(samples: Float32Array, i: number, channels: number, code: ErrorCode, what: string, input?: string, v = samples[i]): EmotionThinkerError {
  const where = channels > 1 ? ` (frame ${Math.floor(i / channels)}, channel ${i % channels})` : '';
  const value = Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Infinity' : v === -Infinity ? '-Infinity' : String(v);
  return new EmotionThinkerError(
    code,
    `${what}sample ${i}${where} is ${value}; audio samples must be finite and within +-${AUDIO_LIMITS.maxAbsSample} (+${Math.round(AUDIO_LIMITS.maxAbsSampleDbfs)} dBFS)`,
    { input },
  );
}

/** Throws when any sample is out of range. */
export function checkSampleRange(samples: Float32Array, channels: number, code: ErrorCode, what: string, input?: string): void {
  const i = firstOutOfRange(samples);
  if (i >= 0) throw sampleRangeError(samples, i, channels, code, what, input);
}

/**
 * Default of the `maxDuration` option (seconds) of loadAudio, extractProsody, extractF0, analyze
 * and buildReport: 4 hours. The work (and memory: 48 kHz stereo is 1.4 GB of float samples an
 * hour) grows with the decoded duration, not the file size: a 546 KB FLAC of an hour of silence
 * decodes to 1.5 GB. 4 hours admits any recording this package is meant for (a long interview or
 * lecture) while refusing a stream that declares days; a caller taking untrusted files sets a
 * tighter bound (e.g. 600 for 10 minutes). Infinity turns the check off.
 */
export const DEFAULT_MAX_DURATION_S = 4 * 3600;

/** Validates a `maxDuration` option; undefined gives the default. */
export function maxDurationOption(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_DURATION_S;
  if (typeof value !== 'number' || !(value > 0)) {
    throw new EmotionThinkerError('ERR_INVALID_ARG', `options.maxDuration must be a number of seconds > 0 (or Infinity); got ${String(value)}`);
  }
  return value;
}

/** Throws ERR_AUDIO_UNSUPPORTED when `seconds` (declared or decoded) is over the limit. */
export function checkDuration(seconds: number, maxDuration: number, how: string, input?: string): void {
  if (seconds > maxDuration) {
    throw new EmotionThinkerError(
      'ERR_AUDIO_UNSUPPORTED',
      `the audio is ${seconds.toFixed(1)} s long (${how}), over options.maxDuration ${maxDuration} s (default ${DEFAULT_MAX_DURATION_S} s); pass a larger maxDuration to accept it`,
      { input },
    );
  }
}
