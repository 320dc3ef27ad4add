// Audio in: WAV through the native decoder, FLAC/MP3/Ogg Vorbis through WASM decoders from npm,
// then optional channel mix and band-limited resampling in the native core.
import { readAudioPath } from './audio-read.js';
import { availableParallelism } from 'node:os';
import { native } from './native.js';
import { awaitNative, callNative, EmotionThinkerError, invalidArg } from './errors.js';
import { decodeCompressed } from './audio-wasm.js';
import { checkDuration, maxDurationOption, rateRange, sampleRateSupported } from './audio-limits.js';
import { declaredLength } from './audio-declared.js';
import { checkSignal, throwIfAborted } from './abort.js';
import { withCancelFlag } from './native-cancel.js';
import { ownInput } from './copy-off-loop.js';
import type { DecodedAudio, WavInfo } from './audio-types.js';

export type { DecodedAudio, WavInfo } from './audio-types.js';

export type AudioContainer = 'wav' | 'flac' | 'mp3' | 'ogg' | 'unknown';

function checkBytes(bytes: unknown, input: string): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw invalidArg('expected a Uint8Array or Buffer of file bytes', input);
  return bytes;
}

function withFrames<T extends { samples: Float32Array; channels: number; sampleRate: number; dataTruncated?: boolean }>(a: T): T & { frames: number; duration: number; truncated?: true } {
  const frames = a.samples.length / a.channels;
  const out = Object.assign(a, { frames, duration: frames / a.sampleRate }) as T & { frames: number; duration: number; truncated?: true };
  // A cut-off file, as DecodedAudio states it (not a streaming writer's placeholder size).
  if (a.dataTruncated) out.truncated = true;
  return out;
}

/** Decodes a WAV file held in memory (synchronous; use decodeWavAsync for large files). */
export function decodeWav(bytes: Uint8Array, input = 'bytes'): WavInfo {
  checkBytes(bytes, input);
  return withFrames(callNative(() => native.decodeWav(bytes), input));
}

/** Decodes a WAV file on the thread pool; the event loop keeps running. options.signal aborts it. */
export async function decodeWavAsync(bytes: Uint8Array, input = 'bytes', options: { signal?: AbortSignal } = {}): Promise<WavInfo> {
  checkBytes(bytes, input);
  const signal = checkSignal(options?.signal, 'decodeWavAsync');
  const pending = ownInput(bytes, input, signal);
  const own = pending instanceof Promise ? await pending : pending;
  return withFrames(await awaitNative(() => withCancelFlag(signal, (flag) => native.decodeWavAsync(own.data, flag, own.private)), input));
}

function checkRate(rate: unknown, field: string): number {
  if (!sampleRateSupported(rate)) {
    throw invalidArg(`${field} must be an integer sample rate in ${rateRange()} (AUDIO_LIMITS); got ${String(rate)}`);
  }
  return rate;
}

function checkSamples(samples: unknown, channels: number): Float32Array {
  if (!(samples instanceof Float32Array)) throw invalidArg('samples must be a Float32Array');
  if (!Number.isInteger(channels) || channels < 1) throw invalidArg(`channels must be a positive integer; got ${channels}`);
  if (samples.length % channels !== 0) {
    throw invalidArg(`samples length ${samples.length} is not a multiple of channels (${channels})`);
  }
  return samples;
}

export interface ResampleOptions {
  /** Interleaved channel count of `samples` (default 1). */
  channels?: number;
  /** Average the channels first; the result then has one channel (default false). */
  mono?: boolean;
  /** Threads for one call (default: all cores). The output does not depend on it. */
  threads?: number;
  /** Aborts resampleAsync: it rejects with an AbortError and the native work stops at its next chunk. */
  signal?: AbortSignal;
}

function resampleArgs(samples: Float32Array, fromRate: number, toRate: number, options: ResampleOptions) {
  if (options === null || typeof options !== 'object') throw invalidArg('options must be an object');
  const channels = options.channels ?? 1;
  checkSamples(samples, channels);
  checkRate(fromRate, 'fromRate');
  checkRate(toRate, 'toRate');
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024) {
    throw invalidArg(`options.threads must be an integer in 1..1024; got ${String(options.threads)}`);
  }
  return [samples, channels, fromRate, toRate, options.mono ?? false, threads] as const;
}

/**
 * Band-limited resampling (Kaiser-windowed sinc, polyphase). Passband flat to 0.9 × the lower
 * Nyquist, stopband from that Nyquist at ≥ 90 dB. Output frame n sits at input time
 * n·from/to: no delay. Output length is ceil(frames·to/from).
 */
export function resample(samples: Float32Array, fromRate: number, toRate: number, options: ResampleOptions = {}): Float32Array {
  const args = resampleArgs(samples, fromRate, toRate, options);
  return callNative(() => native.resample(...args));
}

/** resample() on the thread pool. */
export async function resampleAsync(samples: Float32Array, fromRate: number, toRate: number, options: ResampleOptions = {}): Promise<Float32Array> {
  const [, ...rest] = resampleArgs(samples, fromRate, toRate, options);
  const signal = checkSignal(options.signal, 'resampleAsync');
  const pending = ownInput(samples, 'samples', signal);
  const own = pending instanceof Promise ? await pending : pending;
  return awaitNative(() => withCancelFlag(signal, (flag) => native.resampleAsync(own.data, ...rest, flag, own.private)));
}

/** Averages interleaved channels into one. */
export function mixToMono(samples: Float32Array, channels: number): Float32Array {
  checkSamples(samples, channels);
  if (channels === 1) return samples;
  return callNative(() => native.mixToMono(samples, channels));
}

/** Identifies the container from its first bytes. */
export function sniffContainer(bytes: Uint8Array): AudioContainer {
  const tag = (o: number, s: string) => bytes.length >= o + s.length && [...s].every((c, i) => bytes[o + i] === c.charCodeAt(0));
  if ((tag(0, 'RIFF') || tag(0, 'RF64') || tag(0, 'RIFX')) && tag(8, 'WAVE')) return 'wav';
  if (tag(0, 'fLaC')) return 'flac';
  if (tag(0, 'OggS')) return 'ogg';
  if (tag(0, 'ID3')) return 'mp3';
  // MPEG audio frame sync: 11 set bits, layer bits not 00.
  if (bytes.length >= 2 && bytes[0] === 0xff && (bytes[1] & 0xe0) === 0xe0 && (bytes[1] & 0x06) !== 0) return 'mp3';
  return 'unknown';
}

export interface LoadAudioOptions {
  /** Resample to this rate (Hz). Default: keep the file's rate. */
  sampleRate?: number;
  /** Mix all channels to one (default false: keep the channels, interleaved). */
  mono?: boolean;
  /**
   * Decode FLAC, MP3 and Ogg Vorbis in a worker thread: true, false, or 'auto' (default: in a
   * worker when the file is over 1 MiB, and on this thread where worker threads are not
   * allowed). The WASM decoders are synchronous: on the main thread a 10-minute stereo file
   * holds the event loop for 1.3–2.0 s, through the worker for at most tens of milliseconds. A
   * worker costs 20–50 ms to start, more than a short clip takes to decode.
   */
  decodeInWorker?: boolean | 'auto';
  /** Aborts the call: it rejects with an AbortError; reading, decoding and resampling stop. */
  signal?: AbortSignal;
  /**
   * Longest audio accepted, in seconds (default DEFAULT_MAX_DURATION_S, 4 hours; Infinity: no
   * limit). Longer audio is refused with ERR_AUDIO_UNSUPPORTED: before decoding when the
   * container declares its length (FLAC STREAMINFO, Ogg Vorbis granule position), otherwise
   * while decoding (FLAC, MP3, Ogg: decoding stops once past the limit) or right after it
   * (WAV), before any mixing, resampling or analysis.
   */
  maxDuration?: number;
}

/**
 * Loads audio from a path or from file bytes: sniffs the container (WAV natively; FLAC, MP3 and
 * Ogg Vorbis through WASM decoders), then optionally mixes to mono and resamples. Decoding and
 * resampling of WAV run on the thread pool; compressed files over 1 MiB decode in a worker
 * thread (options.decodeInWorker).
 */
export async function loadAudio(source: string | Uint8Array, options: LoadAudioOptions = {}): Promise<DecodedAudio> {
  if (options === null || typeof options !== 'object') throw invalidArg('options must be an object');
  const { sampleRate, mono = false, decodeInWorker = 'auto' } = options;
  const signal = checkSignal(options.signal, 'loadAudio');
  const maxDuration = maxDurationOption(options.maxDuration);
  throwIfAborted(signal);
  if (sampleRate !== undefined) checkRate(sampleRate, 'options.sampleRate');
  if (decodeInWorker !== 'auto' && typeof decodeInWorker !== 'boolean') {
    throw invalidArg(`options.decodeInWorker must be true, false or 'auto'; got ${JSON.stringify(decodeInWorker)}`);
  }
  let bytes: Uint8Array;
  let input: string;
  if (typeof source === 'string') {
    input = source;
    try {
      bytes = await readAudioPath(source, sniffContainer, signal);
    } catch (err) {
      if ((err as Error).name === 'AbortError') throwIfAborted(signal);
      if (err instanceof EmotionThinkerError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw new EmotionThinkerError('ERR_FILE', `cannot read audio file (${code ?? (err as Error).message})`, { input, cause: err });
    }
  } else if (source instanceof Uint8Array) {
    input = 'bytes';
    bytes = source;
  } else {
    throw invalidArg(`source must be a file path or a Uint8Array; got ${source === null ? 'null' : typeof source}`);
  }
  if (bytes.length === 0) throw new EmotionThinkerError('ERR_AUDIO_FORMAT', 'the file is empty (0 bytes)', { input });

  const container = sniffContainer(bytes);
  let audio: DecodedAudio;
  // Bytes read from the path are the package's own: the binding need not copy them. A caller's
  // large bytes are copied here between turns of the loop (copy-off-loop.ts), small ones by the
  // WAV binding, the worker start or the main-thread decoder (audio-wasm.ts), once each.
  let ownBytes = typeof source === 'string';
  if (!ownBytes) {
    const pending = ownInput(bytes, input, signal);
    const own = pending instanceof Promise ? await pending : pending;
    bytes = own.data;
    ownBytes = own.private;
  }
  if (container === 'wav') {
    // No pre-check: decoding WAV is one pass over its bytes, whatever the duration.
    audio = withFrames(await awaitNative(() => withCancelFlag(signal, (flag) => native.decodeWavAsync(bytes, flag, ownBytes)), input));
  } else if (container === 'unknown') {
    const head = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new EmotionThinkerError(
      'ERR_AUDIO_UNSUPPORTED',
      `unrecognised audio container (first bytes ${head}); expected WAV, FLAC, MP3 or Ogg Vorbis`,
      { input },
    );
  } else {
    const declared = declaredLength(container, bytes);
    if (declared) checkDuration(declared.frames / declared.sampleRate, maxDuration, `declared by the ${container} header`, input);
    audio = await decodeCompressed(container, bytes, input, decodeInWorker, signal, ownBytes, { sampleRate, mono, maxDuration });
  }
  checkDuration(audio.duration, maxDuration, 'decoded', input);

  let { samples, channels } = audio;
  const rate = sampleRate ?? audio.sampleRate;
  const mix = mono && channels > 1;
  if (mix || rate !== audio.sampleRate) {
    // One native pass on the thread pool does the channel mix and the rate change together. The
    // decoded samples are the package's own until this call returns: no copy (inputsPrivate).
    const from = audio.sampleRate;
    const src = samples, ch = channels;
    samples = await awaitNative(() => withCancelFlag(signal, (flag) => native.resampleAsync(src, ch, from, rate, mix, availableParallelism(), flag, true)), input);
    if (mix) channels = 1;
  }
  const frames = samples.length / channels;
  const out: DecodedAudio = { sampleRate: rate, channels, samples, encoding: audio.encoding, frames, duration: frames / rate };
  if (audio.truncated) out.truncated = true;
  return out;
}
