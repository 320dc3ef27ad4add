// Prosody extraction: F0 (NCCF candidates + Viterbi), energy, pauses, syllable nuclei, segments,
// utterance functionals and intonation, computed by the native core (native/prosody/). See
// native/prosody/f0.hpp for the tracker and its parameters and docs/formulas.md#prosody for the definitions.
//
// Conventions: audio is analysed at 16 kHz mono (any input rate is resampled; channels are mixed
// unless `channel` picks one); frame i is centred at i · hopSeconds (10 ms default) from the first
// sample; unvoiced F0 is NaN, with a best guess and a voicing probability for every frame. A clip
// shorter than one RMS window (25 ms) gives the documented empty result: zero frames, every
// functional null, intonation "too_short". NaN/Inf samples are rejected (ERR_INVALID_ARG naming
// the first bad sample index).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { ownInput, snapshotAudio, type Owned } from './copy-off-loop.js';
import { loadAudio, decodeWav, mixToMono, resampleAsync, type DecodedAudio, type LoadAudioOptions } from './audio.js';
import { abortable, checkSignal, fanOutSignal, throwIfAborted } from './abort.js';
import { withCancelFlag } from './native-cancel.js';
import { backends, type Backend } from './backend.js';
import { awaitNative, callNative, EmotionThinkerError, invalidArg } from './errors.js';
import { native, type RawF0Track, type RawProsody, type RawProsodyOptions, type RawSegment } from './native.js';
import type { ProsodyAnalysisOptions } from './option-types.js';
import type { ProsodyIntonation, ProsodySegment, ProsodyTiming } from './prosody-types.js';
import { PROSODY_OPTION_SPECS } from './option-specs.js';
import { assignLevels, checkGender, type Calibration, type Gender, type Levels } from './level-calibration.js';
import { prosodyCaption } from './prosody-caption.js';

export type { ProsodyAnalysisOptions } from './option-types.js';
export type { ProsodyIntonation, ProsodySegment, ProsodyTiming } from './prosody-types.js';

export interface ProsodyOptions extends ProsodyAnalysisOptions, Pick<LoadAudioOptions, 'maxDuration'> {
  /**
   * Compute backend. 'cuda' runs the CUDA batch (native/cuda/prosody_cuda.cu) when a GPU is
   * present and otherwise falls back to the CPU, saying why (a process warning, and
   * `BatchItem.fallbackReason` in batches); 'auto' uses the GPU for extractProsodyBatch when one
   * is present and the CPU for single clips; 'cpu' never touches the GPU. Analysis at 16 kHz only
   * on the GPU (`analysisRate` other than 16000 runs on the CPU, with the reason).
   */
  backend?: Backend;
  /** Analyse only this channel (0-based) instead of the channel mix. */
  channel?: number;
  /** Sample rate of a bare Float32Array input. */
  sampleRate?: number;
  /** Level cut points; when given, `levels` and a level-aware caption are filled in. */
  calibration?: Calibration;
  /** Calibration group (corpus name) to apply; default: the pooled cuts. */
  corpus?: string;
  /** Speaker gender from metadata; otherwise estimated from F0 and labelled as an estimate. */
  gender?: Gender;
  /**
   * Speech/pause segmentation: 'energy' (default: intensity below the 0.99 quantile − silenceDb
   * for ≥ minPauseSeconds) or 'silero' (Silero VAD speech segments; async calls only). The pause,
   * phonation and rate functionals and the syllable nuclei follow the chosen segmentation.
   */
  vad?: 'energy' | 'silero';
  /**
   * Aborts an async call: it rejects with an AbortError (name 'AbortError', code 'ABORT_ERR')
   * and the native work stops at its next chunk. The synchronous calls refuse it.
   */
  signal?: AbortSignal;
}

/** Anything extractProsody accepts: a file path, file bytes, decoded audio or bare samples. */
export type ProsodyInput = string | Uint8Array | Float32Array | Pick<DecodedAudio, 'samples' | 'sampleRate' | 'channels'>;

export interface ProsodyFrames {
  /** Frame centre times in seconds (i · hopSeconds). */
  time: Float64Array;
  /** F0 in Hz, NaN on unvoiced frames. */
  f0: Float32Array;
  /** A best-guess F0 for every frame (NaN only when the clip has no periodicity at all). */
  bestF0: Float32Array;
  /** Voicing probability; ≥ 0.5 exactly on voiced frames. */
  voicing: Float32Array;
  /** NCCF height of the chosen candidate (periodicity, 0..1). */
  nccf: Float32Array;
  /** Frame RMS in dBFS (25 ms window; −120 floor). */
  rmsDbfs: Float32Array;
  /** Praat-style intensity in dB (0 dBFS sine ≈ 91 dB; −30 floor). */
  intensityDb: Float32Array;
}

export interface ProsodyResult {
  input: string;
  sampleRate: number;
  analysisRate: number;
  duration: number;
  hopSeconds: number;
  /** Share of samples at or beyond ±0.999 full scale (clipping indicator). */
  clippedRatio: number;
  dcOffset: number;
  silenceThresholdDb: number | null;
  frames: ProsodyFrames;
  segments: {
    voiced: ProsodySegment[];
    unvoiced: ProsodySegment[];
    /** Silent intervals ≥ minPauseSeconds anywhere (leading and trailing included). */
    silences: ProsodySegment[];
    /** Silent pauses: silences between speech (not touching either end). */
    pauses: ProsodySegment[];
    /** The runs outside silences and outside any quiet run at either end of the clip, whatever its length. */
    sounding: ProsodySegment[];
  };
  nuclei: { time: number; intensityDb: number }[];
  functionals: Record<string, number | null>;
  intonation: ProsodyIntonation;
  gender: { value: Gender; source: 'metadata' | 'estimate' } | null;
  levels: Levels | null;
  caption: string;
}

export interface F0Result {
  input: string;
  hopSeconds: number;
  time: Float64Array;
  f0: Float32Array;
  bestF0: Float32Array;
  voicing: Float32Array;
  nccf: Float32Array;
}

// The keys of the native option tables (native/prosody/f0.hpp, prosody.hpp): not restated here.
const RAW_KEYS: readonly string[] = PROSODY_OPTION_SPECS.map((s) => s.key);
const OTHER_KEYS = new Set(['backend', 'channel', 'sampleRate', 'calibration', 'corpus', 'gender', 'concurrency', 'vad', 'signal', 'maxDuration']);

function rawOptions(options: ProsodyOptions): RawProsodyOptions {
  if (options === null || typeof options !== 'object') throw invalidArg('options must be an object');
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined) continue;
    if (RAW_KEYS.includes(k)) raw[k] = v;
    else if (!OTHER_KEYS.has(k)) throw invalidArg(`unknown option "${k}"`);
  }
  checkGender(options.gender, 'option "gender"');
  const b = options.backend;
  if (b !== undefined && b !== 'auto' && b !== 'cpu' && b !== 'cuda') {
    throw invalidArg(`option "backend" must be 'auto', 'cpu' or 'cuda'; got ${JSON.stringify(b)}`);
  }
  return raw as RawProsodyOptions;
}

/**
 * The raw options an entry runs with, every key filled in (defaults from the native tables):
 * 'cpu' for the CPU calls, 'cuda' for the CUDA prosody batch (which also requires analysisRate
 * 16000). Resolves only, so it needs no GPU; throws ERR_INVALID_ARG where that entry would.
 */
export function resolveProsodyOptions(options: ProsodyOptions = {}, entry: 'cpu' | 'cuda' = 'cpu'): Required<ProsodyAnalysisOptions> {
  const raw = rawOptions(options);
  return callNative(() => native.prosodyResolveOptions(raw, entry));
}

/** Why the CUDA host entry refuses these options (its rule lives in native/prosody/batch.cpp), if it does. */
function cudaRefusal(options: ProsodyOptions): string | undefined {
  const raw = rawOptions(options);
  try {
    native.prosodyResolveOptions(raw, 'cpu');
  } catch {
    return undefined;  // invalid for every entry: the CPU call reports it
  }
  try {
    native.prosodyResolveOptions(raw, 'cuda');
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export interface ProsodyBackendChoice {
  backend: 'cpu' | 'cuda';
  /** Why an explicit 'cuda' request runs on the CPU. */
  reason?: string;
}

/** Where prosody runs: the GPU batch when asked for (or 'auto' in batches) and possible. */
export function prosodyBackend(options: ProsodyOptions, batch: boolean): ProsodyBackendChoice {
  const want = options.backend ?? 'auto';
  if (want === 'cpu' || (want === 'auto' && !batch)) return { backend: 'cpu' };
  const cuda = backends().cuda;
  let why: string | undefined;
  if (!cuda.available) why = cuda.reason ?? 'CUDA is not available';
  else if (options.analysisRate !== undefined) why = cudaRefusal(options);
  if (why === undefined) return { backend: 'cuda' };
  return want === 'cuda' ? { backend: 'cpu', reason: `CUDA prosody unavailable (${why}); ran on the CPU` } : { backend: 'cpu' };
}

function checkVad(options: ProsodyOptions): void {
  const vad = options.vad ?? 'energy';
  if (vad !== 'energy' && vad !== 'silero') throw invalidArg(`option "vad" must be 'energy' or 'silero'; got ${JSON.stringify(options.vad)}`);
}

/** Entry points without a GPU path refuse an explicit 'cuda' instead of ignoring it. */
function cpuOnly(options: ProsodyOptions, what: string): void {
  if (options.backend === 'cuda') {
    throw new EmotionThinkerError('ERR_BACKEND_UNAVAILABLE', `backend 'cuda': ${what} runs on the CPU only; the CUDA prosody batch is extractProsody / extractProsodyBatch (async)`);
  }
}

const warned = new Set<string>();
function warnFallback(reason: string | undefined): void {
  if (!reason || warned.has(reason)) return;
  warned.add(reason);
  process.emitWarning(reason, { code: 'EMOTIONTHINKER_CUDA_FALLBACK' });
}

interface Mono {
  samples: Float32Array;
  sampleRate: number;
  input: string;
  /** The samples were made here (decoded, mixed, picked): no caller can reach them until the call settles, so the binding need not copy them. */
  owned?: boolean;
  /** For a caller's samples: their length when the call checked them (see ownSamples). */
  callerLength?: number;
}

function toMono(audio: Pick<DecodedAudio, 'samples' | 'sampleRate' | 'channels'>, channel: number | undefined, input: string): Mono {
  const { samples, sampleRate, channels } = audio;
  if (!(samples instanceof Float32Array)) throw invalidArg('audio.samples must be a Float32Array', input);
  if (!Number.isInteger(channels) || channels < 1) throw invalidArg(`audio.channels must be a positive integer; got ${channels}`, input);
  if (channel !== undefined) {
    if (!Number.isInteger(channel) || channel < 0 || channel >= channels) {
      throw invalidArg(`option "channel" must be an integer in 0..${channels - 1}; got ${channel}`, input);
    }
    if (channels === 1) return { samples, sampleRate, input, callerLength: samples.length };
    const frames = samples.length / channels;
    const out = new Float32Array(frames);
    for (let i = 0; i < frames; i++) out[i] = samples[i * channels + channel];
    return { samples: out, sampleRate, input };
  }
  if (channels === 1) return { samples, sampleRate, input, callerLength: samples.length };
  return { samples: mixToMono(samples, channels), sampleRate, input };
}

function describe(source: ProsodyInput): string {
  return typeof source === 'string' ? source : source instanceof Float32Array ? 'samples' : source instanceof Uint8Array ? 'bytes' : 'audio';
}

/** Frames copied between yields to the event loop when one channel is picked out in JS. */
const PICK_CHUNK_FRAMES = 1 << 20;

/**
 * toMono off the event loop: the channel mix runs natively on the thread pool, a picked channel
 * is copied in slices with a yield between them (a 10-minute 48 kHz file is 28.8 M frames; in
 * one go either would hold the loop for tens of milliseconds).
 */
async function toMonoAsync(audio: Pick<DecodedAudio, 'samples' | 'sampleRate' | 'channels'>, channel: number | undefined, input: string, signal: AbortSignal | undefined): Promise<Mono> {
  const { samples, sampleRate, channels } = audio;
  if (!(samples instanceof Float32Array) || !Number.isInteger(channels) || channels <= 1) return toMono(audio, channel, input);
  if (channel === undefined) {
    return { samples: await resampleAsync(samples, sampleRate, sampleRate, { channels, mono: true, signal }), sampleRate, input, owned: true };
  }
  if (!Number.isInteger(channel) || channel < 0 || channel >= channels) return toMono(audio, channel, input);
  const frames = samples.length / channels;
  const out = new Float32Array(frames);
  for (let start = 0; start < frames; start += PICK_CHUNK_FRAMES) {
    if (start > 0) await yieldToLoop();
    throwIfAborted(signal);
    const end = Math.min(frames, start + PICK_CHUNK_FRAMES);
    for (let i = start; i < end; i++) out[i] = samples[i * channels + channel];
  }
  return { samples: out, sampleRate, input, owned: true };
}

async function monoAsync(source: ProsodyInput, options: ProsodyOptions, signal: AbortSignal | undefined): Promise<Mono> {
  const input = describe(source);
  throwIfAborted(signal);
  if (typeof source === 'string' || (source instanceof Uint8Array && !(source instanceof Float32Array))) {
    // Without `channel` the decoder's native pass mixes to mono on the thread pool.
    const audio = await loadAudio(source as string | Uint8Array, { mono: options.channel === undefined, signal, maxDuration: options.maxDuration });
    return { ...(await toMonoAsync(audio, options.channel, input, signal)), owned: true };
  }
  if (source && typeof source === 'object' && !(source instanceof Float32Array) && 'samples' in source) {
    return toMonoAsync(source, options.channel, input, signal);
  }
  return monoSyncDecoded(source, options, input);
}

/** The synchronous calls cannot be interrupted: a signal there is a mistake, not a no-op. */
function refuseSignal(options: ProsodyOptions, what: string): void {
  if (options.signal !== undefined) throw invalidArg(`option "signal": ${what} is synchronous and cannot be aborted; use the async call`);
}

function monoSyncDecoded(source: ProsodyInput, options: ProsodyOptions, input: string): Mono {
  if (source instanceof Float32Array) {
    const rate = options.sampleRate;
    if (rate === undefined) throw invalidArg('option "sampleRate" is required with a bare Float32Array', input);
    return toMono({ samples: source, sampleRate: rate, channels: 1 }, options.channel, input);
  }
  if (source && typeof source === 'object' && 'samples' in source) return toMono(source, options.channel, input);
  throw invalidArg('audio must be a file path, file bytes, decoded audio ({samples, sampleRate, channels}) or a Float32Array', input);
}

function monoSync(source: ProsodyInput, options: ProsodyOptions): Mono {
  const input = describe(source);
  if (typeof source === 'string' || (source instanceof Uint8Array && !(source instanceof Float32Array))) {
    let bytes: Uint8Array;
    if (typeof source === 'string') {
      try {
        bytes = readFileSync(source);
      } catch (err) {
        throw new EmotionThinkerError('ERR_FILE', `cannot read audio file (${(err as NodeJS.ErrnoException).code})`, { input, cause: err });
      }
    } else bytes = source;
    // The synchronous path decodes WAV only; other containers need extractProsody (async).
    return toMono(decodeWav(bytes, input), options.channel, input);
  }
  return monoSyncDecoded(source, options, input);
}

function times(n: number, hop: number): Float64Array {
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = i * hop;
  return t;
}

function estimateGender(f0MedianHz: number | null): Gender | null {
  if (f0MedianHz === null) return null;
  // Adult speaking F0 medians: ~85–155 Hz (male), ~165–255 Hz (female); 160 Hz splits them.
  return f0MedianHz < 160 ? 'male' : 'female';
}

function finish(raw: RawProsody, mono: Mono, options: ProsodyOptions): ProsodyResult {
  const f = raw.functionals;
  const est = estimateGender(f.f0MedianHz ?? null);
  const gender = options.gender ? { value: options.gender, source: 'metadata' as const } : est ? { value: est, source: 'estimate' as const } : null;
  const seg = (s: RawSegment[]) => s;
  const result: ProsodyResult = {
    input: mono.input,
    sampleRate: mono.sampleRate,
    analysisRate: raw.analysisRate,
    duration: raw.duration,
    hopSeconds: raw.hopSeconds,
    clippedRatio: raw.clippedRatio,
    dcOffset: raw.dcOffset,
    silenceThresholdDb: raw.silenceThresholdDb,
    frames: {
      time: times(raw.track.f0.length, raw.hopSeconds),
      f0: raw.track.f0,
      bestF0: raw.track.bestF0,
      voicing: raw.track.voicing,
      nccf: raw.track.nccf,
      rmsDbfs: raw.rmsDbfs,
      intensityDb: raw.intensityDb,
    },
    segments: {
      voiced: seg(raw.voiced),
      unvoiced: seg(raw.unvoiced),
      silences: seg(raw.silences),
      pauses: seg(raw.pauses),
      sounding: seg(raw.sounding),
    },
    nuclei: raw.nuclei,
    functionals: f,
    intonation: raw.intonation,
    gender,
    levels: null,
    caption: '',
  };
  if (options.calibration) result.levels = assignLevels(result, options.calibration, { corpus: options.corpus });
  result.caption = prosodyCaption(result);
  return result;
}

/** Full prosody analysis on the libuv thread pool. */
export async function extractProsody(source: ProsodyInput, options: ProsodyOptions = {}): Promise<ProsodyResult> {
  source = snapshotAudio(source);
  const raw = rawOptions(options);
  checkVad(options);
  const signal = checkSignal(options.signal, 'extractProsody');
  return prosodyOfMono(await monoAsync(source, options, signal), raw, options, signal);
}

/**
 * extractProsody of 16 kHz-or-other mono samples the package decoded itself and holds alone until
 * this settles (analyze, buildReport): the binding reads them without a copy. Not exported from
 * index.ts: a caller's samples always go through extractProsody, which copies them.
 */
export async function extractProsodyOwned(samples: Float32Array, sampleRate: number, input: string, options: ProsodyOptions = {}): Promise<ProsodyResult> {
  const raw = rawOptions(options);
  checkVad(options);
  const signal = checkSignal(options.signal, 'extractProsody');
  throwIfAborted(signal);
  return prosodyOfMono({ samples, sampleRate, input, owned: true }, raw, options, signal);
}

async function prosodyOfMono(mono: Mono, raw: RawProsodyOptions, options: ProsodyOptions, signal: AbortSignal | undefined): Promise<ProsodyResult> {
  const choice = prosodyBackend(options, false);
  warnFallback(choice.reason);
  const speech = await speechOf(mono, options, signal);
  const r =
    choice.backend === 'cuda'
      ? await analyzeOnGpu([mono], raw, signal, [speech]).then((rs) => {
          if (rs[0] instanceof Error) throw rs[0];
          return rs[0];
        })
      : await analyzeOnCpu(mono, raw, signal, speech);
  throwIfAborted(signal);
  return finish(r, mono, options);
}

/**
 * The samples for an async binding: the package's own as they are; a caller's copied between
 * turns of the loop when large (copy-off-loop.ts). A caller's array detached or resized since the
 * call checked it (there were awaits since) is refused: the analysis of an emptied array would be
 * a silent wrong answer.
 */
async function ownSamples(mono: Mono, signal: AbortSignal | undefined): Promise<Owned<Float32Array>> {
  if (mono.owned === true) return { data: mono.samples, private: true };
  if (mono.callerLength !== undefined && mono.samples.length !== mono.callerLength) {
    throw invalidArg(`samples were detached or resized during the call (length ${mono.callerLength}, now ${mono.samples.length}); keep them unchanged until it settles`, mono.input);
  }
  return ownInput(mono.samples, 'samples', signal);
}

/** The CPU analysis of one clip on the thread pool. */
async function analyzeOnCpu(mono: Mono, raw: RawProsodyOptions, signal: AbortSignal | undefined, speech: Float64Array | undefined): Promise<RawProsody> {
  const own = await ownSamples(mono, signal);
  return awaitNative(() => withCancelFlag(signal, (flag) => native.prosodyAnalyzeAsync(own.data, mono.sampleRate, raw, flag, speech, own.private)), mono.input);
}

/**
 * With vad 'silero': Silero's speech segments as [start, end] pairs, which the native analysis
 * uses instead of its energy segmentation (native/prosody/prosody.hpp resegment: pauses, nuclei
 * and the pause, phonation and rate functionals follow them). Otherwise undefined.
 */
async function speechOf(mono: Mono, options: ProsodyOptions, signal: AbortSignal | undefined): Promise<Float64Array | undefined> {
  if ((options.vad ?? 'energy') !== 'silero') return undefined;
  const { detectSpeech } = await import('./vad.js');
  const { segments } = await detectSpeech({ samples: mono.samples, sampleRate: mono.sampleRate }, { signal });
  return Float64Array.from(segments.flatMap((s) => [s.start, s.end]));
}

/**
 * One native GPU pass; native errors become package errors naming the clip's input. A GPU pass
 * is not interrupted: on abort its result is dropped.
 */
async function analyzeOnGpu(monos: Mono[], raw: RawProsodyOptions, signal: AbortSignal | undefined, speech: (Float64Array | undefined)[]): Promise<(RawProsody | EmotionThinkerError)[]> {
  const out = await awaitNative(
    () => abortable(native.prosodyAnalyzeBatchCudaAsync(monos.map((m) => m.samples), monos.map((m) => m.sampleRate), raw, speech), signal),
    monos.length === 1 ? monos[0].input : `${monos.length} clips`,
  );
  return out.map((r, i) =>
    r instanceof Error
      ? new EmotionThinkerError(((r as Error & { code?: string }).code ?? 'ERR_INTERNAL') as never, r.message, { input: monos[i].input, cause: r })
      : r,
  );
}

/** extractProsody on the calling thread (for short clips; paths and bytes must be WAV). */
export function extractProsodySync(source: ProsodyInput, options: ProsodyOptions = {}): ProsodyResult {
  const raw = rawOptions(options);
  cpuOnly(options, 'extractProsodySync');
  refuseSignal(options, 'extractProsodySync');
  if (options.vad !== undefined && options.vad !== 'energy') {
    throw invalidArg(`option "vad": ${JSON.stringify(options.vad)} is only available in the async extractProsody (Silero runs in a worker thread)`);
  }
  const mono = monoSync(source, options);
  const r = callNative(() => native.prosodyAnalyze(mono.samples, mono.sampleRate, raw), mono.input);
  return finish(r, mono, options);
}

export interface BatchOptions extends ProsodyOptions {
  /** Clips in flight at once (default: twice the available parallelism). Work runs on the libuv pool. */
  concurrency?: number;
  /** Speaker gender per input, in input order (e.g. from file-name metadata); overrides `gender`. */
  genders?: (Gender | undefined)[];
  /** Told once where the batch runs, and why it is not the GPU when 'cuda' was asked for. */
  onBackend?: (backend: 'cpu' | 'cuda', reason?: string) => void;
}

export interface BatchItem {
  input: string;
  result?: ProsodyResult;
  error?: EmotionThinkerError;
  /** Where this clip was analysed. */
  backend?: 'cpu' | 'cuda';
  /** Why an explicit backend 'cuda' ran on the CPU. */
  fallbackReason?: string;
}

/** Input samples per GPU pass: bounds host memory for decoded clips (~2.3 h at 16 kHz). */
const GPU_GROUP_SAMPLES = 2 ** 27;

function asPackageError(err: unknown, input: string): EmotionThinkerError {
  return err instanceof EmotionThinkerError ? err : new EmotionThinkerError('ERR_INTERNAL', String(err), { input, cause: err });
}

/**
 * Analyses many clips. On the CPU, `concurrency` at a time on the libuv pool (size it with
 * UV_THREADPOOL_SIZE for more than 4 cores); on the GPU (backend 'cuda', or 'auto' with a GPU),
 * clips are decoded `concurrency` at a time and analysed in GPU passes of up to ~2.3 h of audio.
 * Never rejects for a bad clip: each item carries `result` or `error`, in input order.
 */
export async function extractProsodyBatch(sources: ProsodyInput[], options: BatchOptions = {}): Promise<BatchItem[]> {
  if (!Array.isArray(sources)) throw invalidArg('inputs must be an array');
  // Two clips in flight per core: while one clip's result is converted on the main thread or its
  // file is read, the other keeps the core busy (with one per core the cores idle in those gaps).
  const { concurrency = 2 * os.availableParallelism(), onBackend, genders, ...rest } = options;
  if (genders !== undefined && (!Array.isArray(genders) || genders.length !== sources.length)) {
    throw invalidArg(`option "genders" must be an array with one entry per input (${sources.length})`);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) throw invalidArg(`option "concurrency" must be a positive integer; got ${concurrency}`);
  const raw = rawOptions(rest);
  checkVad(rest);
  throwIfAborted(checkSignal(rest.signal, 'extractProsodyBatch'));
  // Every clip in flight listens for the abort: on a signal of our own that follows the caller's.
  const fan = fanOutSignal(rest.signal);
  try {
    return await runBatch(sources, { ...rest, signal: fan.signal }, raw, genders, concurrency, onBackend);
  } finally {
    fan.done();
  }
}

async function runBatch(
  sources: ProsodyInput[],
  rest: ProsodyOptions,
  raw: RawProsodyOptions,
  genders: BatchOptions['genders'],
  concurrency: number,
  onBackend: BatchOptions['onBackend'],
): Promise<BatchItem[]> {
  const signal = rest.signal;
  const optionsFor = (i: number): ProsodyOptions => (genders?.[i] ? { ...rest, gender: genders[i] } : rest);
  const choice = prosodyBackend(rest, true);
  warnFallback(choice.reason);
  onBackend?.(choice.backend, choice.reason);
  const out: BatchItem[] = new Array(sources.length);
  const tag = (item: BatchItem): BatchItem => {
    item.backend = choice.backend;
    if (choice.reason) item.fallbackReason = choice.reason;
    return item;
  };
  let next = 0;
  // GPU: decoded clips wait here until a pass is full (or the inputs run out).
  let pending: { index: number; mono: Mono; speech: Float64Array | undefined }[] = [];
  let pendingSamples = 0;
  const flush = async () => {
    const group = pending;
    pending = [];
    pendingSamples = 0;
    if (!group.length) return;
    let results: (RawProsody | EmotionThinkerError)[];
    try {
      results = await analyzeOnGpu(group.map((g) => g.mono), raw, signal, group.map((g) => g.speech));
    } catch (err) {
      if (signal?.aborted) throw err;
      for (const g of group) out[g.index] = tag({ input: g.mono.input, error: asPackageError(err, g.mono.input) });
      return;
    }
    await Promise.all(
      group.map(async (g, k) => {
        const r = results[k];
        try {
          if (r instanceof Error) throw r;
          throwIfAborted(signal);
          out[g.index] = tag({ input: g.mono.input, result: finish(r, g.mono, optionsFor(g.index)) });
        } catch (err) {
          if (signal?.aborted) throw err;
          out[g.index] = tag({ input: g.mono.input, error: asPackageError(err, g.mono.input) });
        }
      }),
    );
  };
  let flushing: Promise<void> = Promise.resolve();
  const worker = async () => {
    for (;;) {
      // An aborted batch starts nothing more; the clips in flight stop through the same signal.
      throwIfAborted(signal);
      const i = next++;
      if (i >= sources.length) return;
      const input = describe(sources[i]);
      try {
        if (choice.backend === 'cuda') {
          const mono = await monoAsync(sources[i], rest, signal);
          pending.push({ index: i, mono, speech: await speechOf(mono, rest, signal) });
          pendingSamples += mono.samples.length;
          if (pendingSamples >= GPU_GROUP_SAMPLES) {
            flushing = flushing.then(flush);
            await flushing;
          }
        } else {
          out[i] = tag({ input, result: await extractProsody(sources[i], { ...optionsFor(i), backend: 'cpu' }) });
        }
      } catch (err) {
        // Abort is not a bad clip: the whole batch rejects with the AbortError.
        if (signal?.aborted) throw err;
        out[i] = tag({ input, error: asPackageError(err, input) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, sources.length) }, worker));
  if (choice.backend === 'cuda') {
    flushing = flushing.then(flush);
    await flushing;
  }
  return out;
}

/**
 * Times the CUDA prosody pipeline: 16 kHz clips (Int16Array, or Float32Array at full scale ±1)
 * copied once into page-locked memory, then `repeats` passes from host audio to per-frame F0,
 * voicing, RMS and intensity on the host. Throws ERR_BACKEND_UNAVAILABLE without a GPU.
 */
export async function benchmarkProsodyCuda(
  clips: Int16Array[] | Float32Array[],
  options: ProsodyAnalysisOptions = {},
  repeats = 5,
): Promise<ProsodyTiming[]> {
  return awaitNative(() => native.prosodyCudaBenchmarkAsync(clips, options, repeats), `${clips.length} clips`);
}

function f0Result(t: RawF0Track, input: string): F0Result {
  return { input, hopSeconds: t.hopSeconds, time: times(t.f0.length, t.hopSeconds), f0: t.f0, bestF0: t.bestF0, voicing: t.voicing, nccf: t.nccf };
}

/** F0 track only (faster than extractProsody), on the thread pool. */
export async function extractF0(source: ProsodyInput, options: ProsodyOptions = {}): Promise<F0Result> {
  source = snapshotAudio(source);
  const raw = rawOptions(options);
  cpuOnly(options, 'extractF0');
  const signal = checkSignal(options.signal, 'extractF0');
  const mono = await monoAsync(source, options, signal);
  const own = await ownSamples(mono, signal);
  return f0Result(await awaitNative(() => withCancelFlag(signal, (flag) => native.prosodyF0Async(own.data, mono.sampleRate, raw, flag, own.private)), mono.input), mono.input);
}

/** extractF0 on the calling thread. */
export function extractF0Sync(source: ProsodyInput, options: ProsodyOptions = {}): F0Result {
  const raw = rawOptions(options);
  cpuOnly(options, 'extractF0Sync');
  refuseSignal(options, 'extractF0Sync');
  const mono = monoSync(source, options);
  return f0Result(callNative(() => native.prosodyF0(mono.samples, mono.sampleRate, raw), mono.input), mono.input);
}

/** JSON.stringify replacer for results: typed arrays become arrays, NaN becomes null. */
export function prosodyJsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Float32Array || value instanceof Float64Array) return Array.from(value, (v) => (Number.isFinite(v) ? v : null));
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}
