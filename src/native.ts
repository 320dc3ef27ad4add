// The raw native surface, typed in one place. Nothing else in src/ loads the addon; the user
// API (audio.ts, backend.ts, ...) wraps these calls with validation and error translation.
import { createRequire } from 'node:module';
import path from 'node:path';
import { missingAddonError, permissionDenied } from './platform.js';
import { packageRoot } from './package-root.js';

export interface RawDecodedAudio {
  sampleRate: number;
  channels: number;
  encoding: string;
  bitsPerSample: number;
  dataSizeRepaired: boolean;
  /** The data chunk's declared size (not a streaming placeholder) runs past the end of the file. */
  dataTruncated: boolean;
  /** Interleaved: samples[frame * channels + channel]. */
  samples: Float32Array;
}

export interface RawCudaStatus {
  compiled: boolean;
  available: boolean;
  reason: string;
  deviceCount: number;
  deviceName: string;
  computeCapability: string;
  totalMemory: number;
  driverVersion: number;
  runtimeVersion: number;
}

export interface RawBuildInfo {
  cuda: boolean;
  buildSystem?: string;
  compiler: string;
}

/** One row of a GRPO option table (native/grpo/options.hpp), exported as `grpoOptionSpecs`. */
export interface RawOptionSpec {
  key: string;
  kind: 'number' | 'integer' | 'enum' | 'bool' | 'weights';
  /** Enum: a choice; Bool: a boolean; Weights: the count of equal weights; else the number. */
  default: number | string | boolean;
  min: number;
  max: number;
  minOpen: boolean;
  maxOpen: boolean;
  choices?: string[];
  /** null (raw 0) turns the option off. */
  nullable: boolean;
  /** When absent, the value is derived from the call as this says. */
  derived?: string;
  /** What a valid value is, for messages. */
  expected: string;
  meaning: string;
}

export interface RawOptionSpecs {
  advantages: RawOptionSpec[];
  ptr: RawOptionSpec[];
  loss: RawOptionSpec[];
  logits: RawOptionSpec[];
  weightSumTolerance: number;
}

/** Options of the raw GRPO advantage call (resolved by src/grpo-options.ts). */
export interface RawAdvantageOptions {
  mode: 'grpo' | 'dr_grpo' | 'rloo';
  std: 'unbiased' | 'population';
  eps: number;
  singleton: 'zero' | 'raw';
  threads: number;
}

export interface RawPtrOptions {
  alphaFormat: number;
  alphaOutcome: number;
  alphaReasoning: number;
  judgeWeights: Float64Array;
  reasoningEnabled: boolean;
}

/** Options of the raw token and logits loss calls; clipC 0 = no dual clip. */
export interface RawLossOptions {
  clipLow: number;
  clipHigh: number;
  clipC: number;
  beta: number;
  kl: 'k1' | 'abs' | 'k2' | 'k3';
  agg: 'token-mean' | 'seq-mean-token-mean' | 'seq-mean-token-sum' | 'seq-mean-token-sum-norm';
  normLen: number;
  threads: number;
  temperature?: number;
  /** Resolved from the advantages' length when not given (the inputs carry it as advPerToken). */
  advantagesPer?: 'sequence' | 'token';
}

/** Token layout: ragged `offsets` (batch + 1 entries), else padded [batch, length]. */
export interface RawTokenLayout {
  offsets?: Uint32Array | null;
  batch?: number;
  length?: number;
}

export interface RawTokenLossInputs<T extends Float32Array | Float64Array> extends RawTokenLayout {
  logp: T;
  oldLogp: T;
  refLogp?: T | null;
  advantages: T;
  advPerToken: boolean;
  mask?: Uint8Array | T | null;
}

export interface RawLogitsLossInputs extends RawTokenLayout {
  logits: Float32Array | Float64Array | Uint16Array;
  vocab: number;
  labels: Int32Array;
  oldLogp: Float64Array;
  refLogp?: Float64Array | null;
  advantages: Float64Array;
  advPerToken: boolean;
  mask?: Float64Array | null;
}

// The loss metrics the addon returns, the same on the CPU and CUDA paths (public shape: cuda-types.ts).
export type RawLossMetrics = CudaLossMetrics;

// The raw calls take the public option and result types as they are; each is defined once, for
// users, in a module that loads nothing (the option tables' types are generated from the tables).
import type { ProsodyAnalysisOptions, VoiceOptions } from './option-types.js';
import type { SpectralOptions, SpectralStats, VoiceStats } from './features-types.js';
import type { IntonationThresholds, ProsodyIntonation, ProsodySegment, ProsodyTiming } from './prosody-types.js';
import type { CudaLossMetrics, DeviceHandle } from './cuda-types.js';
import type { OptionSpec } from './option-spec-types.js';
export type RawProsodyOptions = ProsodyAnalysisOptions;
export type RawVoiceOptions = VoiceOptions;
export type RawSpectralOptions = SpectralOptions;
export type RawSpectralStats = SpectralStats;
export type RawVoiceStats = VoiceStats;
export type RawSegment = ProsodySegment;
export type RawIntonation = ProsodyIntonation;
export type RawProsodyTiming = ProsodyTiming;

/** One entry of a native option table (native/common/options.hpp), exported as data: the public OptionSpec. */
export type RawTableOptionSpec = OptionSpec;

/** What a native stream decided since the last call: frame indices, FIELDS values per frame (f0, bestF0, voicing, nccf, rmsDbfs, intensityDb), the 16 kHz samples, and frame energies ahead of the frames. */
export interface RawStreamOutput {
  index: Float64Array;
  fields: Float32Array;
  samples16k: Float32Array;
  energyIndex: Float64Array;
  energyRmsDbfs: Float32Array;
}

/** One native stream; one call at a time (a call while an async one runs throws ERR_INVALID_ARG). */
export interface RawProsodyStream {
  push(samples: Float32Array): RawStreamOutput;
  pushAsync(samples: Float32Array, inputsPrivate?: boolean): Promise<RawStreamOutput>;
  finish(): RawStreamOutput;
  finishAsync(): Promise<RawStreamOutput>;
  lagBoundSeconds(): number;
  hopSeconds(): number;
}

/** Streaming resampler (native/audio/resample_stream.hpp): the concatenated outputs equal resample() of the concatenated input. */
export interface RawResampler {
  push(samples: Float32Array): Float32Array;
  finish(): Float32Array;
}

/** Per-frame F0 track; frame i is centred at i · hopSeconds. */
export interface RawF0Track {
  hopSeconds: number;
  /** Hz; NaN on unvoiced frames. */
  f0: Float32Array;
  bestF0: Float32Array;
  voicing: Float32Array;
  nccf: Float32Array;
}

export interface RawProsody {
  hopSeconds: number;
  duration: number;
  analysisRate: number;
  clippedRatio: number;
  dcOffset: number;
  silenceThresholdDb: number | null;
  track: RawF0Track;
  rmsDbfs: Float32Array;
  intensityDb: Float32Array;
  voiced: RawSegment[];
  unvoiced: RawSegment[];
  silences: RawSegment[];
  pauses: RawSegment[];
  sounding: RawSegment[];
  nuclei: { time: number; intensityDb: number }[];
  /** Utterance functionals; null where undefined for the clip (never NaN). */
  functionals: Record<string, number | null>;
  intonation: RawIntonation;
}

export interface RawDeviceGroups {
  offsets?: RawDeviceHandle;
  count?: number;
  maxSize?: number;
  size?: number;
}

export interface RawDeviceLayout {
  offsets?: RawDeviceHandle;
  batch: number;
  length: number;
  tokens: number;
}

/** Opaque device allocation (a JS External). */
export type RawDeviceHandle = DeviceHandle;

/** The CUDA kernels report the same metrics as the CPU ones. */
export type RawCudaMetrics = RawLossMetrics;

export interface RawCudaApi {
  alloc(byteLength: number): RawDeviceHandle;
  free(handle: RawDeviceHandle): void;
  upload(handle: RawDeviceHandle, data: ArrayBufferView, byteOffset?: number): void;
  download<T extends ArrayBufferView>(handle: RawDeviceHandle, target: T): T;
  // The option objects are the CPU calls' own (RawAdvantageOptions, RawPtrOptions, RawLossOptions).
  groupAdvantages(rewards: RawDeviceHandle, n: number, groups: RawDeviceGroups, opts: Partial<RawAdvantageOptions>, out: RawDeviceHandle): void;
  ptrAdvantages(
    correct: RawDeviceHandle, format: RawDeviceHandle, judge: RawDeviceHandle, n: number, groups: RawDeviceGroups,
    ptr: RawPtrOptions,
    adv: Partial<RawAdvantageOptions>, reasoning: RawDeviceHandle | null, trust: RawDeviceHandle | null, reward: RawDeviceHandle | null,
    advantages: RawDeviceHandle,
  ): void;
  tokenLoss(
    logp: RawDeviceHandle, oldLogp: RawDeviceHandle, refLogp: RawDeviceHandle | null, advantages: RawDeviceHandle,
    advPerToken: boolean, mask: RawDeviceHandle | null, layout: RawDeviceLayout, opts: RawLossOptions, grad: RawDeviceHandle | null,
  ): RawCudaMetrics;
  logitsLoss(
    logits: RawDeviceHandle, bf16: boolean, rows: number, vocab: number, labels: RawDeviceHandle, oldLogp: RawDeviceHandle,
    refLogp: RawDeviceHandle | null, advantages: RawDeviceHandle, mask: RawDeviceHandle | null, layout: RawDeviceLayout,
    opts: RawLossOptions, logp: RawDeviceHandle | null, entropy: RawDeviceHandle | null, grad: RawDeviceHandle | null,
  ): RawCudaMetrics;
  /** op: 0 advantages+PTR, 1 token loss, 2 logits bf16, 3 logits fp32 → median kernel ms. */
  benchmark(op: number, a: number, b: number, repeats: number): number;
}

export interface NativeAddon {
  // inputsPrivate (the async calls' last argument): true only for arrays the package alone holds
  // until the call settles; the binding then reads them without a copy (bindings/input_copies.hpp).
  prosodyF0(samples: Float32Array, sampleRate: number, options?: RawProsodyOptions): RawF0Track;
  prosodyF0Async(samples: Float32Array, sampleRate: number, options?: RawProsodyOptions, cancel?: Int32Array, inputsPrivate?: boolean): Promise<RawF0Track>;
  prosodyAnalyze(samples: Float32Array, sampleRate: number, options?: RawProsodyOptions): RawProsody;
  /** speech: VAD segments as [start, end] pairs (seconds) replacing the energy segmentation. */
  prosodyAnalyzeAsync(samples: Float32Array, sampleRate: number, options?: RawProsodyOptions, cancel?: Int32Array, speech?: Float64Array, inputsPrivate?: boolean): Promise<RawProsody>;
  /** CUDA batch: one GPU pass over many clips; per-clip input errors come back in place. */
  /** The options an entry runs with (defaults filled in): 'cpu' the CPU calls, 'cuda' the CUDA batch. */
  prosodyResolveOptions(options: RawProsodyOptions | undefined, entry: 'cpu' | 'cuda'): Required<RawProsodyOptions>;
  prosodyOptionSpecs: { f0: RawTableOptionSpec[]; energy: RawTableOptionSpec[] };
  /** The intonation classifier's thresholds (frozen). */
  intonationThresholds: IntonationThresholds;
  voiceOptionSpecs: RawTableOptionSpec[];
  resampleOptionSpecs: RawTableOptionSpec[];
  /** Streaming prosody (native/prosody/stream.hpp, bindings/stream_bindings.cpp). */
  ProsodyStream: new (sampleRate: number, options: object) => RawProsodyStream;
  streamOptionSpecs: RawTableOptionSpec[];
  /** Streaming resampler (bindings/resampler_bindings.cpp). */
  Resampler: new (fromRate: number, toRate: number) => RawResampler;
  prosodyAnalyzeBatchCudaAsync(samples: Float32Array[], sampleRates: number[], options?: RawProsodyOptions, speech?: (Float64Array | undefined)[]): Promise<(RawProsody | Error)[]>;
  /** GPU pipeline timing from page-locked host audio (16 kHz) to per-frame tracks on the host. */
  prosodyCudaBenchmarkAsync(clips: Int16Array[] | Float32Array[], options: RawProsodyOptions | undefined, repeats: number): Promise<RawProsodyTiming[]>;
  /** Writes advantages into `out` (same type and length as `rewards`). offsets null: fixed groupSize. */
  grpoAdvantages<T extends Float32Array | Float64Array>(rewards: T, offsets: Uint32Array | null, groupSize: number, out: T, options: RawAdvantageOptions): void;
  /** packageOwned: names of the arrays the package owns (made or copied by it): used in place, not copied (bindings/grpo_bindings.cpp). */
  grpoAdvantagesAsync<T extends Float32Array | Float64Array>(rewards: T, offsets: Uint32Array | null, groupSize: number, out: T, options: RawAdvantageOptions, packageOwned?: string[]): Promise<void>;
  /** The GRPO option tables (native/grpo/options.hpp): keys, defaults, ranges and meanings. */
  grpoOptionSpecs: RawOptionSpecs;
  grpoPtrRewards(
    correct: Float64Array,
    format: Float64Array,
    judgeScores: Float64Array,
    offsets: Uint32Array | null,
    groupSize: number,
    options: RawPtrOptions,
    reasoningOut: Float64Array,
    trustOut: Float64Array,
    rewardOut: Float64Array,
  ): void;
  /** gradOut (same type as logp) receives ∂loss/∂logp; null computes the loss only. */
  grpoTokenLoss<T extends Float32Array | Float64Array>(inputs: RawTokenLossInputs<T>, options: RawLossOptions, gradOut: T | null): RawLossMetrics;
  grpoTokenLossAsync<T extends Float32Array | Float64Array>(inputs: RawTokenLossInputs<T>, options: RawLossOptions, gradOut: T | null, packageOwned?: string[]): Promise<RawLossMetrics>;
  /** gradOut has the logits' type and length (it may be the logits themselves); null: no gradient. */
  grpoLogitsLoss(
    inputs: RawLogitsLossInputs,
    options: RawLossOptions,
    logpOut: Float64Array,
    entropyOut: Float64Array,
    gradOut: Float32Array | Float64Array | Uint16Array | null,
  ): RawLossMetrics;
  grpoLogitsLossAsync(
    inputs: RawLogitsLossInputs,
    options: RawLossOptions,
    logpOut: Float64Array,
    entropyOut: Float64Array,
    gradOut: Float32Array | Float64Array | Uint16Array | null,
    packageOwned?: string[],
  ): Promise<RawLossMetrics>;
  decodeWav(bytes: Uint8Array): RawDecodedAudio;
  decodeWavAsync(bytes: Uint8Array, cancel?: Int32Array, inputsPrivate?: boolean): Promise<RawDecodedAudio>;
  /** With `mono`, channels are averaged in the same pass and the result has one channel. */
  resample(samples: Float32Array, channels: number, fromRate: number, toRate: number, mono?: boolean, threads?: number): Float32Array;
  resampleAsync(samples: Float32Array, channels: number, fromRate: number, toRate: number, mono?: boolean, threads?: number, cancel?: Int32Array, inputsPrivate?: boolean): Promise<Float32Array>;
  mixToMono(samples: Float32Array, channels: number): Float32Array;
  /** native/audio/limits.hpp, read by src/audio-limits.ts. */
  audioLimits: {
    minSampleRate: number;
    maxSampleRate: number;
    maxAbsSample: number;
    maxAbsSampleDbfs: number;
    maxSamples: number;
    maxFilterTaps: number;
    maxFilterTableEntries: number;
  };
  cudaStatus(): RawCudaStatus;
  buildInfo(): RawBuildInfo;
  /** The error-code table of native/common/error.hpp (ET_ERROR_CODES). */
  errorCodes: { code: string; public: boolean; meaning: string }[];
  spectralStats(samples: Float32Array, sampleRate: number, options?: RawSpectralOptions): RawSpectralStats;
  spectralStatsAsync(samples: Float32Array, sampleRate: number, options?: RawSpectralOptions, cancel?: Int32Array, inputsPrivate?: boolean): Promise<RawSpectralStats>;
  /** f0: Hz per frame (frame i centred at i · hopSeconds), NaN on unvoiced frames. */
  voiceStats(samples: Float32Array, sampleRate: number, f0: Float32Array, hopSeconds: number, options?: RawVoiceOptions): RawVoiceStats;
  voiceStatsAsync(samples: Float32Array, sampleRate: number, f0: Float32Array, hopSeconds: number, options?: RawVoiceOptions, cancel?: Int32Array, inputsPrivate?: boolean): Promise<RawVoiceStats>;
  /** Device memory and CUDA GRPO kernels; every call throws ERR_BACKEND_UNAVAILABLE without a GPU. */
  cuda: RawCudaApi;
}

const require = createRequire(import.meta.url);

function load(): { addon: NativeAddon; path: string } {
  const override = process.env.EMOTIONTHINKER_ADDON;
  if (override) return { addon: require(path.resolve(override)) as NativeAddon, path: path.resolve(override) };
  const nodeGypBuild = require('node-gyp-build') as { (dir: string): unknown; resolve(dir: string): string };
  // node-gyp-build prefers build/Release (a local node-gyp or cmake-js build), then prebuilds/.
  let resolved: string;
  try {
    resolved = nodeGypBuild.resolve(packageRoot);
  } catch (err) {
    throw missingAddonError(packageRoot, err);
  }
  try {
    return { addon: require(resolved) as NativeAddon, path: resolved };
  } catch (err) {
    throw permissionDenied(err, 'addons') ?? err;
  }
}

const loaded = load();

export const native: NativeAddon = loaded.addon;
export const nativePath: string = loaded.path;
