// GRPO and GRPO-PTR math (docs/formulas.md#grpo-and-grpo-ptr) on the native core: group advantages, the
// progressive trust-aware reasoning reward, and the clipped policy-gradient loss with its
// gradient, from per-token log-probs or fused from logits (fp32, fp64 or bf16).
//
// Options are validated here, with messages that name the call, the field, the value and what
// was expected; value checks over the data (offsets, labels, NaN/Inf) run in the native core.
// Every error is an EmotionThinkerError (code ERR_INVALID_ARG for bad input).
import { native, type RawLossMetrics, type RawTokenLayout } from './native.js';
import { awaitNative, callNative, invalidArg } from './errors.js';
import { resolveBackend, type Backend } from './backend.js';
import { cudaHost } from './cuda-host.js';
import { abortable, checkSignal, throwIfAborted } from './abort.js';
import { fail, resolveAdvantageOptions, resolveLogitsOptions, resolveLossOptions, resolvePtrOptions, type LossContext } from './grpo-options.js';

// ---------------------------------------------------------------------------------------------
// Shared types and validation helpers

/** A fixed group size, or ragged group offsets (K+1 entries: group k is offsets[k]..offsets[k+1]). */
export type Groups = number | Uint32Array | Int32Array | readonly number[];
export type RealArray = Float32Array | Float64Array | readonly number[];
export type FloatArray = Float32Array | Float64Array;

interface CommonOptions {
  /** 'cuda' runs the call on the GPU (upload, compute, download); 'auto' and 'cpu' use the CPU. */
  backend?: Backend;
  /** Worker threads for large inputs (default: all cores). */
  threads?: number;
}

/** Options of the *Async calls. */
export interface GrpoAsyncOptions {
  /**
   * Cancels the call: an aborted signal rejects the promise with an AbortError (name
   * 'AbortError', code 'ABORT_ERR') at once. Native work already started finishes in the
   * background and its result is discarded; output arrays (out, gradOut, inPlace logits) may
   * still be written by it.
   */
  signal?: AbortSignal;
}

/**
 * Runs an async native call under an optional AbortSignal: rejects at once when the signal is
 * already aborted (before any work starts), and as soon as it aborts while the call runs.
 */
async function runAbortable<T>(fn: string, options: unknown, work: () => Promise<T>): Promise<T> {
  const signal = checkSignal(typeof options === 'object' && options !== null ? (options as GrpoAsyncOptions).signal : undefined, fn);
  throwIfAborted(signal);
  return abortable(work(), signal);
}

function optNumber(fn: string, field: string, value: unknown, dflt: number, check: (v: number) => boolean, expected: string): number {
  if (value === undefined) return dflt;
  if (typeof value !== 'number' || !Number.isFinite(value) || !check(value)) fail(fn, field, value, expected);
  return value;
}

function optionsObject<T extends object>(fn: string, options: T | undefined): Partial<T> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) fail(fn, 'options', options, 'an object');
  return options;
}

/**
 * The implementation for a call: the CPU core, or with `backend: 'cuda'` the GPU (host arrays are
 * uploaded, computed and downloaded; ERR_BACKEND_UNAVAILABLE when there is no GPU). 'auto' keeps
 * host arrays on the CPU: for them the transfers cost more than the kernels save, and the CPU
 * path computes in float64 where its inputs are float64. DeviceBuffers use the cuda* functions.
 */
function pickImpl(options: CommonOptions): Pick<typeof native, 'grpoAdvantages' | 'grpoPtrRewards' | 'grpoTokenLoss' | 'grpoLogitsLoss'> {
  return options.backend === 'cuda' && resolveBackend('cuda', true) === 'cuda' ? cudaHost : (resolveBackend(options.backend, false), native);
}

/**
 * A new typed array for a copy of `value`. A sparse array can claim a length (up to 2^32 − 1) that
 * cannot be allocated: that is a bad argument, not a RangeError from the engine.
 */
function allocFor<A>(fn: string, field: string, value: readonly unknown[], Ctor: new (n: number) => A): A {
  try {
    return new Ctor(value.length);
  } catch (err) {
    if (err instanceof RangeError) fail(fn, field, value, 'an array that fits in memory as a typed array');
    throw err;
  }
}

function toFloat64(fn: string, field: string, value: unknown): Float64Array {
  if (value instanceof Float64Array) return value;
  if (value instanceof Float32Array) return new Float64Array(value);
  if (Array.isArray(value)) {
    const out = allocFor(fn, field, value, Float64Array);
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (typeof v === 'number') out[i] = v;
      else if (typeof v === 'boolean') out[i] = v ? 1 : 0;
      else fail(fn, `${field}[${i}]`, v, 'a number');
    }
    return out;
  }
  if (value instanceof Uint8Array || value instanceof Int32Array || value instanceof Uint32Array) return Float64Array.from(value);
  return fail(fn, field, value, 'a Float64Array, Float32Array or array of numbers');
}

function toUint32(fn: string, field: string, value: unknown): Uint32Array {
  if (value instanceof Uint32Array) return value;
  if (value instanceof Int32Array || Array.isArray(value)) {
    const out = Array.isArray(value) ? allocFor(fn, field, value, Uint32Array) : new Uint32Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const v = value[i] as unknown;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
        fail(fn, `${field}[${i}]`, v, 'a non-negative integer offset');
      }
      out[i] = v;
    }
    return out;
  }
  return fail(fn, field, value, 'a Uint32Array, Int32Array or array of integers');
}

function groupsArg(fn: string, groups: unknown): { offsets: Uint32Array | null; size: number } {
  if (typeof groups === 'number') {
    if (!Number.isInteger(groups) || groups < 1) fail(fn, 'groups', groups, 'a positive integer group size or an offsets array');
    return { offsets: null, size: groups };
  }
  if (groups instanceof Uint32Array || groups instanceof Int32Array || Array.isArray(groups)) {
    const offsets = toUint32(fn, 'groups', groups);
    if (offsets.length < 2) fail(fn, 'groups', groups, 'offsets with at least 2 entries (0 and the total)');
    return { offsets, size: 0 };
  }
  return fail(fn, 'groups', groups, 'a positive integer group size or an offsets array (Uint32Array, Int32Array or number[])');
}

// ---------------------------------------------------------------------------------------------
// Group advantages

export type AdvantageMode = 'grpo' | 'dr_grpo' | 'rloo';

export interface GroupAdvantagesOptions extends CommonOptions {
  /** 'grpo': (r − mean)/(std + eps); 'dr_grpo': r − mean; 'rloo': r − mean of the others. Defaults and ranges of every GRPO option: grpoOptionSpecs (native/grpo/options.hpp). */
  mode?: AdvantageMode;
  /** Standard deviation of 'grpo': 'unbiased' (n − 1, as verl and TRL) or 'population'. */
  std?: 'unbiased' | 'population';
  /** Added to the std, outside the square root. */
  eps?: number;
  /** A group with one (valid) reward: advantage 0 ('zero') or the reward itself ('raw'). */
  singleton?: 'zero' | 'raw';
  /** Write into this array (same type and length as the rewards) instead of a new one. */
  out?: FloatArray;
}

/** The options groupAdvantages passes to its implementation, CPU or CUDA (exported for the option-parity test). */
export function groupAdvantagesOptions(fn: string, options: GroupAdvantagesOptions | undefined) {
  const { backend: _b, out: _o, ...o } = options ?? {};
  return resolveAdvantageOptions(fn, o);
}

function advArgs(fn: string, rewards: unknown, groups: unknown, options: GroupAdvantagesOptions | undefined) {
  const o = optionsObject(fn, options);
  const impl = pickImpl(o);
  let r: FloatArray;
  if (rewards instanceof Float32Array || rewards instanceof Float64Array) r = rewards;
  else if (Array.isArray(rewards)) r = toFloat64(fn, 'rewards', rewards);
  else fail(fn, 'rewards', rewards, 'a Float32Array, Float64Array or array of numbers');
  if (r.length === 0) fail(fn, 'rewards', rewards, 'non-empty (an empty batch has no groups)');
  const g = groupsArg(fn, groups);
  const raw = groupAdvantagesOptions(fn, o);
  let out: FloatArray;
  if (o.out !== undefined) {
    if (!(o.out instanceof Float32Array || o.out instanceof Float64Array) || o.out.constructor !== r.constructor || o.out.length !== r.length) {
      fail(fn, 'option out', o.out, `a ${r.constructor.name} of length ${r.length} (the rewards' type and length)`);
    }
    out = o.out;
  } else {
    out = r instanceof Float32Array ? new Float32Array(r.length) : new Float64Array(r.length);
  }
  return { r, g, raw, out, impl };
}

/**
 * Group-relative advantages, one per response. `groups` is a fixed group size or ragged offsets.
 * Statistics accumulate in float64. A group whose rewards are all equal gets exactly 0; a NaN
 * reward gets 0 and is left out of its group's statistics; ±Inf rewards are an error. Rewards
 * near ±1e308 are handled (statistics on an exact power-of-two rescaling); an advantage beyond
 * the output type's range (rloo of 1.7e308 and −1.7e308) is ERR_INVALID_ARG naming the reward.
 * Float32Array rewards give a Float32Array, anything else a Float64Array.
 */
export function groupAdvantages(rewards: Float32Array, groups: Groups, options?: GroupAdvantagesOptions): Float32Array;
export function groupAdvantages(rewards: Float64Array | readonly number[], groups: Groups, options?: GroupAdvantagesOptions): Float64Array;
export function groupAdvantages(rewards: RealArray, groups: Groups, options?: GroupAdvantagesOptions): FloatArray;
export function groupAdvantages(rewards: RealArray, groups: Groups, options?: GroupAdvantagesOptions): FloatArray {
  const { r, g, raw, out, impl } = advArgs('groupAdvantages', rewards, groups, options);
  callNative(() => impl.grpoAdvantages(r, g.offsets, g.size, out, raw));
  return out;
}

/** groupAdvantages on the thread pool: the event loop keeps running. */
export function groupAdvantagesAsync(rewards: Float32Array, groups: Groups, options?: GroupAdvantagesOptions & GrpoAsyncOptions): Promise<Float32Array>;
export function groupAdvantagesAsync(rewards: Float64Array | readonly number[], groups: Groups, options?: GroupAdvantagesOptions & GrpoAsyncOptions): Promise<Float64Array>;
export function groupAdvantagesAsync(rewards: RealArray, groups: Groups, options?: GroupAdvantagesOptions & GrpoAsyncOptions): Promise<FloatArray>;
export async function groupAdvantagesAsync(rewards: RealArray, groups: Groups, options?: GroupAdvantagesOptions & GrpoAsyncOptions): Promise<FloatArray> {
  const fn = 'groupAdvantagesAsync';
  return runAbortable(fn, options, async () => {
    const { r, g, raw, out, impl } = advArgs(fn, rewards, groups, options);
    // The GPU path is a few short kernels between copies: it runs in place of the thread pool.
    if (impl === cudaHost) callNative(() => impl.grpoAdvantages(r, g.offsets, g.size, out, raw));
    else await awaitNative(() => native.grpoAdvantagesAsync(r, g.offsets, g.size, out, raw));
    return out;
  });
}

// ---------------------------------------------------------------------------------------------
// Progressive gate

export interface ProgressiveGateOptions {
  /** Moving-mean batch accuracy at which the reasoning reward switches on (default 0.5). */
  threshold?: number;
  /** Number of most recent steps in the moving mean (default 20). */
  window?: number;
  /** Steps recorded before the moving mean may open the gate (default: `window`). */
  minSteps?: number;
  /** Open at this step whatever the accuracy (default: never). */
  openAtStep?: number | null;
}

/** The serialised form of a ProgressiveGate, for checkpoints. */
export interface ProgressiveGateState {
  version: 1;
  threshold: number;
  window: number;
  minSteps: number;
  openAtStep: number | null;
  step: number;
  open: boolean;
  openedAtStep: number | null;
  /** The last `window` batch accuracies, oldest first. */
  history: number[];
}

/**
 * The progressive schedule of GRPO-PTR: the reasoning reward stays off until the moving mean of
 * batch accuracy over the last `window` steps reaches `threshold` (after at least `minSteps`
 * steps) or step `openAtStep` is reached; once open it stays open. Call `update(accuracy)` once
 * per training step; `step` counts the calls.
 */
export class ProgressiveGate {
  readonly threshold: number;
  readonly window: number;
  readonly minSteps: number;
  readonly openAtStep: number | null;
  #step = 0;
  #open = false;
  #openedAtStep: number | null = null;
  #history: number[] = [];

  constructor(options: ProgressiveGateOptions = {}) {
    const fn = 'ProgressiveGate';
    const o = optionsObject(fn, options);
    this.threshold = optNumber(fn, 'option threshold', o.threshold, 0.5, (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
    this.window = optNumber(fn, 'option window', o.window, 20, (v) => Number.isInteger(v) && v >= 1, 'a positive integer');
    this.minSteps = optNumber(fn, 'option minSteps', o.minSteps, this.window, (v) => Number.isInteger(v) && v >= 1, 'a positive integer');
    if (o.openAtStep === undefined || o.openAtStep === null) this.openAtStep = null;
    else this.openAtStep = optNumber(fn, 'option openAtStep', o.openAtStep, 0, (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer or null');
    if (this.openAtStep === 0) this.#openNow();
  }

  /** Whether the reasoning reward is on. */
  get open(): boolean {
    return this.#open;
  }

  /** Steps recorded so far. */
  get step(): number {
    return this.#step;
  }

  /** The step at which the gate opened, or null. */
  get openedAtStep(): number | null {
    return this.#openedAtStep;
  }

  /** Moving mean of the recorded accuracies (null before the first step). */
  get movingAccuracy(): number | null {
    if (this.#history.length === 0) return null;
    let s = 0;
    for (const a of this.#history) s += a;
    return s / this.#history.length;
  }

  /** Records one step's batch accuracy (in [0, 1]) and returns whether the gate is open. */
  update(batchAccuracy: number): boolean {
    if (typeof batchAccuracy !== 'number' || !(batchAccuracy >= 0 && batchAccuracy <= 1)) {
      fail('ProgressiveGate.update', 'batchAccuracy', batchAccuracy, 'a number in [0, 1]');
    }
    this.#step += 1;
    this.#history.push(batchAccuracy);
    if (this.#history.length > this.window) this.#history.shift();
    if (!this.#open) {
      if (this.openAtStep !== null && this.#step >= this.openAtStep) this.#openNow();
      else if (this.#step >= this.minSteps && (this.movingAccuracy ?? 0) >= this.threshold) this.#openNow();
    }
    return this.#open;
  }

  #openNow(): void {
    this.#open = true;
    this.#openedAtStep = this.#step;
  }

  toJSON(): ProgressiveGateState {
    return {
      version: 1,
      threshold: this.threshold,
      window: this.window,
      minSteps: this.minSteps,
      openAtStep: this.openAtStep,
      step: this.#step,
      open: this.#open,
      openedAtStep: this.#openedAtStep,
      history: [...this.#history],
    };
  }

  /** Restores a gate saved with toJSON() (or JSON.parse of its JSON.stringify). */
  static fromJSON(state: ProgressiveGateState | string): ProgressiveGate {
    const fn = 'ProgressiveGate.fromJSON';
    let s: unknown = state;
    if (typeof s === 'string') {
      try {
        s = JSON.parse(s);
      } catch (err) {
        throw invalidArg(`${fn}: state is not valid JSON (${(err as Error).message})`);
      }
    }
    if (typeof s !== 'object' || s === null) fail(fn, 'state', s, 'an object from ProgressiveGate.toJSON()');
    const st = s as Partial<ProgressiveGateState>;
    if (st.version !== 1) fail(fn, 'state.version', st.version, '1');
    const gate = new ProgressiveGate({ threshold: st.threshold, window: st.window, minSteps: st.minSteps, openAtStep: st.openAtStep ?? null });
    const step = st.step;
    if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) fail(fn, 'state.step', step, 'a non-negative integer');
    if (typeof st.open !== 'boolean') fail(fn, 'state.open', st.open, 'a boolean');
    const history = st.history;
    if (!Array.isArray(history) || history.length > gate.window || history.some((a) => typeof a !== 'number' || !(a >= 0 && a <= 1))) {
      fail(fn, 'state.history', history, `an array of at most ${gate.window} accuracies in [0, 1]`);
    }
    const opened = st.openedAtStep ?? null;
    if (opened !== null && (typeof opened !== 'number' || !Number.isInteger(opened) || opened < 0 || opened > step)) {
      fail(fn, 'state.openedAtStep', opened, `null or an integer in [0, ${step}]`);
    }
    gate.#step = step;
    gate.#history = [...history];
    gate.#open = st.open;
    gate.#openedAtStep = st.open ? opened ?? step : null;
    return gate;
  }
}

// ---------------------------------------------------------------------------------------------
// PTR rewards

export interface PtrRewardInputs {
  /** Outcome reward per response: 1 (correct) or 0 (booleans accepted). */
  correct: ArrayLike<number | boolean> | Uint8Array;
  /** Format reward per response. */
  format: RealArray;
  /** Judge scores, row-major [responses, dims] with dims = judgeWeights.length (4: FA, IQ, CC, FS), each in [1, 5]. */
  judgeScores: RealArray;
  groups: Groups;
}

export interface PtrRewardOptions extends Omit<CommonOptions, 'threads'> {
  /** α weights of format, outcome and reasoning rewards (defaults: grpoOptionSpecs.ptr; docs/formulas.md#ptr-rewards-and-trust). */
  alpha?: { format?: number; outcome?: number; reasoning?: number } | readonly [number, number, number];
  /** Weights of the judge dimensions, non-negative and summing to 1 (default equal weights). */
  judgeWeights?: readonly number[] | Float64Array;
  /** Whether the reasoning term is on: a boolean, or a ProgressiveGate whose `open` decides (default on). */
  reasoningEnabled?: boolean | ProgressiveGate;
}

export interface PtrRewardResult {
  /** R_t = Σ_j w_j·s_j/5 per response. */
  reasoningReward: Float64Array;
  /** Trust τ per group: exp(mean_c − mean_w) when correct responses reason worse than wrong ones, else 1. */
  trust: Float64Array;
  /** α_f·R_format + α_o·R_outcome (+ α_t·τ·R_t when the reasoning term is on). */
  reward: Float64Array;
  reasoningEnabled: boolean;
}

/** The options ptrRewards passes to its implementation, CPU or CUDA (exported for the option-parity test). */
export function ptrRewardOptions(fn: string, options: PtrRewardOptions | undefined) {
  const { backend: _b, ...o } = options ?? {};
  const re = o.reasoningEnabled instanceof ProgressiveGate ? o.reasoningEnabled.open : o.reasoningEnabled;
  return resolvePtrOptions(fn, { ...o, reasoningEnabled: re });
}

/** GRPO-PTR rewards: reasoning reward, per-group trust and the total reward (docs/formulas.md#ptr-rewards-and-trust). */
export function ptrRewards(inputs: PtrRewardInputs, options?: PtrRewardOptions): PtrRewardResult {
  const fn = 'ptrRewards';
  if (typeof inputs !== 'object' || inputs === null) fail(fn, 'inputs', inputs, 'an object { correct, format, judgeScores, groups }');
  const o = optionsObject(fn, options);
  const impl = pickImpl(o);
  const correct = toFloat64(fn, 'correct', inputs.correct);
  const format = toFloat64(fn, 'format', inputs.format);
  const judge = toFloat64(fn, 'judgeScores', inputs.judgeScores);
  const n = correct.length;
  if (n === 0) fail(fn, 'correct', inputs.correct, 'non-empty (an empty batch has no groups)');
  if (format.length !== n) fail(fn, 'format', inputs.format, `of length ${n} (one per response, like correct)`);
  const opts = ptrRewardOptions(fn, o);
  if (judge.length !== n * opts.judgeWeights.length) {
    fail(fn, 'judgeScores', inputs.judgeScores, `of length ${n * opts.judgeWeights.length} (${n} responses × ${opts.judgeWeights.length} judge dimensions)`);
  }
  const enabled = opts.reasoningEnabled;
  const g = groupsArg(fn, inputs.groups);
  const k = g.offsets ? g.offsets.length - 1 : Math.floor(n / g.size);
  const reasoningReward = new Float64Array(n);
  const trust = new Float64Array(k);
  const reward = new Float64Array(n);
  callNative(() =>
    impl.grpoPtrRewards(
      correct,
      format,
      judge,
      g.offsets,
      g.size,
      opts,
      reasoningReward,
      trust,
      reward,
    ),
  );
  return { reasoningReward, trust, reward, reasoningEnabled: enabled };
}

// ---------------------------------------------------------------------------------------------
// Token loss

export type KlEstimator = 'k1' | 'abs' | 'k2' | 'k3';
export type LossAggregation = 'token-mean' | 'seq-mean-token-mean' | 'seq-mean-token-sum' | 'seq-mean-token-sum-norm';

export interface PolicyLossOptions extends CommonOptions {
  /** ε_low of the ratio clip. Defaults and ranges: grpoOptionSpecs.loss (native/grpo/options.hpp). */
  clipLow?: number;
  /** ε_high of the ratio clip (DAPO's clip-higher uses 0.28). */
  clipHigh?: number;
  /** Dual-clip constant c > 1 for A < 0 (on by default, docs/formulas.md#token-loss); null turns the dual clip off. */
  clipC?: number | null;
  /** KL coefficient β (default: the paper's); 0 drops the KL term and refLogp may be omitted. */
  beta?: number;
  /** KL estimator ('k3': clamped as verl's low-variance KL). */
  kl?: KlEstimator;
  /** Aggregation of the masked per-token losses. */
  agg?: LossAggregation;
  /** Divisor of 'seq-mean-token-sum-norm' (default: the padded length, or the longest sequence). */
  normLen?: number;
  /** Whether `advantages` has one value per sequence or per token (default: from its length, per sequence when it equals the number of sequences). */
  advantagesPer?: 'sequence' | 'token';
}

export interface TokenLossOptions extends PolicyLossOptions {
  /** Compute the gradient (default true); false returns gradLogp: null. */
  computeGrad?: boolean;
  /** Write the gradient here (same type and length as logp) instead of a new array. */
  gradOut?: FloatArray;
}

export interface TokenLossInputs<T extends FloatArray = FloatArray> {
  /** Per-token log-probs of the policy being trained, flat: padded [B·L] or ragged. */
  logp: T;
  oldLogp: T;
  /** Reference-policy log-probs (needed when beta > 0). */
  refLogp?: T;
  /** One per sequence [B] or one per token. */
  advantages: T | readonly number[];
  /** 1 = token counts (Uint8Array, or weights of logp's type); default all ones. */
  mask?: Uint8Array | T | readonly number[];
  /** Padded layout [B, L]. */
  shape?: readonly [number, number];
  /** Ragged layout: sequence b is tokens offsets[b]..offsets[b+1] (B+1 entries). */
  offsets?: Uint32Array | Int32Array | readonly number[];
}

export interface LossMetrics {
  /** Σ mask. */
  tokens: number;
  /** Share of masked tokens with A < 0 and ρ < 1 − clipLow (gradient clipped). */
  clipFracLow: number;
  /** Share with A > 0 and ρ > 1 + clipHigh. */
  clipFracHigh: number;
  /** Share with A < 0 where the dual clip −c·A binds. */
  clipFracDual: number;
  /** clipFracLow + clipFracHigh. */
  clipFrac: number;
  /** Masked mean of the KL estimator (0 when beta = 0). */
  klMean: number;
  /** Masked mean of ρ = exp(logp − oldLogp). */
  ratioMean: number;
}

export interface TokenLossResult<T extends FloatArray = FloatArray> {
  loss: number;
  /** ∂loss/∂logp, same type and length as logp; null with computeGrad: false. */
  gradLogp: T | null;
  metrics: LossMetrics;
}


interface Layout {
  raw: RawTokenLayout;
  batch: number;
  tokens: number;
  maxLen: number;
}

function layoutArg(fn: string, shape: unknown, offsets: unknown, tokens: number, what: string): Layout {
  if (shape !== undefined && offsets !== undefined) fail(fn, 'inputs.shape', shape, 'omitted when inputs.offsets is given (one layout only)');
  if (offsets !== undefined) {
    const off = toUint32(fn, 'inputs.offsets', offsets);
    if (off.length < 2) fail(fn, 'inputs.offsets', offsets, 'at least 2 entries (an empty batch has no sequences)');
    let maxLen = 0;
    for (let b = 0; b + 1 < off.length; b++) maxLen = Math.max(maxLen, off[b + 1] - off[b]);
    return { raw: { offsets: off }, batch: off.length - 1, tokens, maxLen };
  }
  if (shape === undefined) fail(fn, 'inputs.shape', shape, `[B, L] (or give inputs.offsets) to lay out the ${what}`);
  if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0)) {
    fail(fn, 'inputs.shape', shape, 'a [B, L] pair of non-negative integers');
  }
  const [B, L] = shape as [number, number];
  if (B === 0 || L === 0) throw invalidArg(`${fn}: empty batch: inputs.shape is [${B}, ${L}]`);
  if (B * L !== tokens) fail(fn, 'inputs.shape', shape, `[B, L] with B·L = ${tokens} (the ${what} length)`);
  return { raw: { batch: B, length: L }, batch: B, tokens, maxLen: L };
}

function lossContext(layout: Layout, advLength: number): LossContext {
  return { batch: layout.batch, maxLen: layout.maxLen, advLength };
}

/** The options tokenLoss passes to its implementation, CPU or CUDA (exported for the option-parity test). */
export function tokenLossOptions(fn: string, options: TokenLossOptions | undefined, ctx: LossContext) {
  const { backend: _b, computeGrad: _c, gradOut: _g, ...o } = options ?? {};
  return resolveLossOptions(fn, o, ctx);
}

/**
 * The options tokenLoss resolves for inputs of this layout (`shape` or `offsets` over `tokens`)
 * and advantages of this length, without running it (exported for the option-parity test).
 */
export function resolveTokenLossCall(options: TokenLossOptions | undefined, call: { shape?: readonly [number, number]; offsets?: readonly number[]; tokens: number; advLength: number }) {
  const fn = 'tokenLoss';
  return tokenLossOptions(fn, options, lossContext(layoutArg(fn, call.shape, call.offsets, call.tokens, 'inputs.logp'), call.advLength));
}

/** As resolveTokenLossCall, for logitsLoss (no shape or offsets: one sequence of `tokens` rows). */
export function resolveLogitsLossCall(options: LogitsLossOptions | undefined, call: { shape?: readonly [number, number]; offsets?: readonly number[]; tokens: number; advLength: number }) {
  const fn = 'logitsLoss';
  return logitsLossOptions(fn, options, lossContext(logitsLayout(fn, call.shape, call.offsets, call.tokens), call.advLength));
}

/** The options logitsLoss passes to its implementation, CPU or CUDA (exported for the option-parity test). */
export function logitsLossOptions(fn: string, options: LogitsLossOptions | undefined, ctx: LossContext) {
  const { backend: _b, computeGrad: _c, gradOut: _g, inPlace: _i, ...o } = options ?? {};
  return resolveLogitsOptions(fn, o, ctx);
}

// Whether the advantages are per token, checking their length against the resolved choice.
function advPerToken(fn: string, adv: unknown, layout: Layout, per: 'sequence' | 'token'): boolean {
  const want = per === 'sequence' ? layout.batch : layout.tokens;
  if ((adv as ArrayLike<number>).length !== want) {
    fail(fn, 'inputs.advantages', adv, `one per sequence (${layout.batch}) or one per token (${layout.tokens})`);
  }
  return per === 'token';
}

function sameFloat<T extends FloatArray>(fn: string, field: string, value: unknown, like: T, length: number): T {
  let v: unknown = value;
  if (Array.isArray(v) && v.length !== length) fail(fn, field, v, `of length ${length}`);  // before copying a huge sparse array
  if (Array.isArray(v)) v = like instanceof Float32Array ? Float32Array.from(v as number[]) : Float64Array.from(v as number[]);
  if (!(v instanceof Float32Array || v instanceof Float64Array) || v.constructor !== like.constructor) {
    fail(fn, field, value, `a ${like.constructor.name} (the type of inputs.logp)`);
  }
  if ((v as T).length !== length) fail(fn, field, v, `of length ${length}`);
  return v as T;
}

function metricsOf(m: RawLossMetrics): LossMetrics {
  return {
    tokens: m.tokens,
    clipFracLow: m.clipFracLow,
    clipFracHigh: m.clipFracHigh,
    clipFracDual: m.clipFracDual,
    clipFrac: m.clipFracLow + m.clipFracHigh,
    klMean: m.klMean,
    ratioMean: m.ratioMean,
  };
}

function tokenArgs<T extends FloatArray>(fn: string, inputs: TokenLossInputs<T>, options: TokenLossOptions | undefined) {
  if (typeof inputs !== 'object' || inputs === null) fail(fn, 'inputs', inputs, 'an object { logp, oldLogp, refLogp, advantages, mask, shape | offsets }');
  const o = optionsObject(fn, options);
  const impl = pickImpl(o);
  const logp = inputs.logp;
  if (!(logp instanceof Float32Array || logp instanceof Float64Array)) fail(fn, 'inputs.logp', logp, 'a Float32Array or Float64Array');
  const n = logp.length;
  if (n === 0) throw invalidArg(`${fn}: empty batch: inputs.logp has no tokens`);
  const layout = layoutArg(fn, inputs.shape, inputs.offsets, n, 'inputs.logp');
  const advIn = inputs.advantages as unknown;
  const advLen = Array.isArray(advIn) || advIn instanceof Float32Array || advIn instanceof Float64Array ? (advIn as ArrayLike<number>).length : -1;
  const raw = tokenLossOptions(fn, o, lossContext(layout, advLen));
  const oldLogp = sameFloat(fn, 'inputs.oldLogp', inputs.oldLogp, logp, n);
  let refLogp: T | null = null;
  if (inputs.refLogp !== undefined && inputs.refLogp !== null) refLogp = sameFloat(fn, 'inputs.refLogp', inputs.refLogp, logp, n);
  else if (raw.beta > 0) fail(fn, 'inputs.refLogp', inputs.refLogp, `given when beta > 0 (beta is ${raw.beta}; pass beta: 0 for no KL term)`);
  if (advLen < 0) fail(fn, 'inputs.advantages', advIn, `a ${logp.constructor.name} or array of numbers`);
  const perToken = advPerToken(fn, advIn, layout, raw.advantagesPer);
  const advantages = sameFloat(fn, 'inputs.advantages', advIn, logp, advLen);
  let mask: Uint8Array | T | null = null;
  if (inputs.mask !== undefined && inputs.mask !== null) {
    const mk = inputs.mask instanceof Uint8Array ? inputs.mask : sameFloat(fn, 'inputs.mask', inputs.mask, logp, n);
    if (mk.length !== n) fail(fn, 'inputs.mask', mk, `of length ${n} (one per token)`);
    mask = mk;
  }
  const computeGrad = o.computeGrad ?? true;
  let grad: T | null = null;
  if (computeGrad) {
    if (o.gradOut !== undefined) {
      if (!(o.gradOut instanceof Float32Array || o.gradOut instanceof Float64Array) || o.gradOut.constructor !== logp.constructor || o.gradOut.length !== n) {
        fail(fn, 'option gradOut', o.gradOut, `a ${logp.constructor.name} of length ${n}`);
      }
      grad = o.gradOut as T;
    } else {
      grad = (logp instanceof Float32Array ? new Float32Array(n) : new Float64Array(n)) as T;
    }
  }
  return {
    raw: { ...layout.raw, logp, oldLogp, refLogp, advantages, advPerToken: perToken, mask },
    opts: raw,
    grad,
    impl,
  };
}

/**
 * Clipped policy-gradient loss with KL penalty from per-token log-probs, its gradient with
 * respect to logp and the clip/KL/ratio metrics, in one pass (docs/formulas.md#token-loss). Float64Array inputs are
 * computed in float64 throughout; Float32Array inputs in float32 per token with float64 sums.
 * Non-finite log-probs or advantages (masked positions included) are an error, and so are finite
 * inputs whose loss or gradient would overflow (the message names the token and its values).
 */
export function tokenLoss<T extends FloatArray>(inputs: TokenLossInputs<T>, options?: TokenLossOptions): TokenLossResult<T> {
  const a = tokenArgs('tokenLoss', inputs, options);
  const m = callNative(() => a.impl.grpoTokenLoss(a.raw, a.opts, a.grad));
  return { loss: m.loss, gradLogp: a.grad, metrics: metricsOf(m) };
}

/** tokenLoss on the thread pool. The inputs must not be modified until the promise settles. */
export async function tokenLossAsync<T extends FloatArray>(inputs: TokenLossInputs<T>, options?: TokenLossOptions & GrpoAsyncOptions): Promise<TokenLossResult<T>> {
  const fn = 'tokenLossAsync';
  return runAbortable(fn, options, async () => {
    const a = tokenArgs(fn, inputs, options);
    const m = a.impl === cudaHost ? callNative(() => cudaHost.grpoTokenLoss(a.raw, a.opts, a.grad)) : await awaitNative(() => native.grpoTokenLossAsync(a.raw, a.opts, a.grad));
    return { loss: m.loss, gradLogp: a.grad, metrics: metricsOf(m) };
  });
}

// ---------------------------------------------------------------------------------------------
// Logits loss

export type LogitsArray = Float32Array | Float64Array | Uint16Array;

export interface LogitsLossInputs {
  /** Row-major [N, vocab]: Float32Array, Float64Array, or bf16 bit patterns in a Uint16Array. */
  logits: LogitsArray;
  /** Token ids [N] in [0, vocab). */
  labels: Int32Array | Uint32Array | readonly number[];
  oldLogp: RealArray;
  /** Needed when beta > 0. */
  refLogp?: RealArray;
  /** One per token [N], or one per sequence when shape/offsets group the rows. */
  advantages: RealArray;
  /** Token weights [N] (1 = counts); default all ones. */
  mask?: RealArray | Uint8Array;
  /** Vocabulary size (default logits.length / labels.length); at most 262144. */
  vocab?: number;
  /** Token layout [B, L] of the N rows, for the seq-* aggregations (default: one sequence). */
  shape?: readonly [number, number];
  /** Ragged token layout of the N rows (B+1 entries). */
  offsets?: Uint32Array | Int32Array | readonly number[];
}

export interface LogitsLossOptions extends PolicyLossOptions {
  /** Softmax temperature T: ℓ = log_softmax(z/T)[label]; its range is kMinTemperature..kMaxTemperature of native/grpo/options.hpp. */
  temperature?: number;
  /** Compute the gradient with respect to the logits (default true). */
  computeGrad?: boolean;
  /** Write the gradient over the logits (no second N×vocab buffer). */
  inPlace?: boolean;
  /** Write the gradient here (the logits' type and length) instead of a new array. */
  gradOut?: LogitsArray;
}

export interface LogitsLossResult<G extends LogitsArray = LogitsArray> {
  loss: number;
  /** log_softmax(z/T)[label] per row, ≤ 0 (Float64Array for fp64 logits, else Float32Array). */
  logp: Float32Array | Float64Array;
  /** Entropy of softmax(z/T) per row. */
  entropy: Float32Array | Float64Array;
  /** ∂loss/∂logits in the logits' type (the logits array itself with inPlace); null with computeGrad: false. */
  gradLogits: G | null;
  metrics: LossMetrics & { entropyMean: number };
}

export const MAX_VOCAB = 262144;

function toLabels(fn: string, labels: unknown): Int32Array {
  if (labels instanceof Int32Array) return labels;
  if (labels instanceof Uint32Array || Array.isArray(labels)) {
    const out = Array.isArray(labels) ? allocFor(fn, 'inputs.labels', labels, Int32Array) : new Int32Array(labels.length);
    for (let i = 0; i < labels.length; i++) {
      const v = labels[i] as unknown;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0x7fffffff) fail(fn, `inputs.labels[${i}]`, v, 'a non-negative integer token id');
      out[i] = v;
    }
    return out;
  }
  return fail(fn, 'inputs.labels', labels, 'an Int32Array, Uint32Array or array of integers');
}

// The logits rows' layout: one sequence unless shape or offsets group them.
function logitsLayout(fn: string, shape: unknown, offsets: unknown, N: number): Layout {
  if (shape === undefined && offsets === undefined) return { raw: { batch: 1, length: N }, batch: 1, tokens: N, maxLen: N };
  return layoutArg(fn, shape, offsets, N, 'logits rows');
}

function logitsArgs<G extends LogitsArray>(fn: string, inputs: LogitsLossInputs, options: LogitsLossOptions | undefined) {
  if (typeof inputs !== 'object' || inputs === null) fail(fn, 'inputs', inputs, 'an object { logits, labels, oldLogp, refLogp, advantages, mask }');
  const o = optionsObject(fn, options);
  const impl = pickImpl(o);
  const logits = inputs.logits;
  if (!(logits instanceof Float32Array || logits instanceof Float64Array || logits instanceof Uint16Array)) {
    fail(fn, 'inputs.logits', logits, 'a Float32Array, Float64Array or Uint16Array (bf16)');
  }
  const labels = toLabels(fn, inputs.labels);
  const N = labels.length;
  if (N === 0) throw invalidArg(`${fn}: empty batch: inputs.labels is empty`);
  let vocab: number;
  if (inputs.vocab === undefined) {
    if (logits.length % N !== 0) fail(fn, 'inputs.logits', logits, `of length labels.length × vocab, a multiple of ${N}`);
    vocab = logits.length / N;
    if (vocab < 1 || vocab > MAX_VOCAB) fail(fn, 'inputs.logits', logits, `${N} rows of 1..${MAX_VOCAB} logits (vocab = ${vocab})`);
  } else {
    vocab = optNumber(fn, 'inputs.vocab', inputs.vocab, 0, (v) => Number.isInteger(v) && v >= 1 && v <= MAX_VOCAB, `an integer vocabulary size in 1..${MAX_VOCAB}`);
    if (vocab * N !== logits.length) fail(fn, 'inputs.logits', logits, `of length labels.length × vocab (${N} × ${vocab} = ${N * vocab})`);
  }
  const layout = logitsLayout(fn, inputs.shape, inputs.offsets, N);
  const adv = toFloat64(fn, 'inputs.advantages', inputs.advantages);
  const raw = logitsLossOptions(fn, o, lossContext(layout, adv.length));
  const f64 = (field: string, v: unknown, len: number) => {
    const a = toFloat64(fn, field, v);
    if (a.length !== len) fail(fn, field, v, `of length ${len}`);
    return a;
  };
  const oldLogp = f64('inputs.oldLogp', inputs.oldLogp, N);
  let refLogp: Float64Array | null = null;
  if (inputs.refLogp !== undefined && inputs.refLogp !== null) refLogp = f64('inputs.refLogp', inputs.refLogp, N);
  else if (raw.beta > 0) fail(fn, 'inputs.refLogp', inputs.refLogp, `given when beta > 0 (beta is ${raw.beta}; pass beta: 0 for no KL term)`);
  const perToken = advPerToken(fn, adv, layout, raw.advantagesPer);
  const mask = inputs.mask === undefined || inputs.mask === null ? null : f64('inputs.mask', inputs.mask, N);
  const computeGrad = o.computeGrad ?? true;
  let grad: LogitsArray | null = null;
  if (computeGrad) {
    if (o.inPlace) {
      if (o.gradOut !== undefined) fail(fn, 'option gradOut', o.gradOut, 'omitted with inPlace: true');
      grad = logits;
    } else if (o.gradOut !== undefined) {
      if (!ArrayBuffer.isView(o.gradOut) || o.gradOut.constructor !== logits.constructor || o.gradOut.length !== logits.length) {
        fail(fn, 'option gradOut', o.gradOut, `a ${logits.constructor.name} of length ${logits.length}`);
      }
      grad = o.gradOut;
    } else {
      grad = new (logits.constructor as new (n: number) => LogitsArray)(logits.length);
    }
  }
  return {
    raw: { ...layout.raw, logits, vocab, labels, oldLogp, refLogp, advantages: adv, advPerToken: perToken, mask },
    opts: raw,
    logp: new Float64Array(N),
    entropy: new Float64Array(N),
    grad: grad as G | null,
    f64: logits instanceof Float64Array,
    impl,
  };
}

function logitsResult<G extends LogitsArray>(a: ReturnType<typeof logitsArgs<G>>, m: RawLossMetrics): LogitsLossResult<G> {
  return {
    loss: m.loss,
    logp: a.f64 ? a.logp : new Float32Array(a.logp),
    entropy: a.f64 ? a.entropy : new Float32Array(a.entropy),
    gradLogits: a.grad,
    metrics: { ...metricsOf(m), entropyMean: m.entropyMean },
  };
}

/**
 * The fused path: ℓ = log_softmax(logits/T)[label], entropy, the token loss on ℓ (as tokenLoss)
 * and ∂loss/∂logits = g·(onehot − softmax)/T, reading each row once for its statistics and once
 * (from cache) for the gradient; no float32 copy of the logits is made. bf16 logits give a bf16
 * gradient. With inPlace the gradient overwrites the logits; if an error is thrown part way
 * (a NaN logit in a later row), rows before it may already hold gradients.
 */
export function logitsLoss<G extends LogitsArray>(inputs: LogitsLossInputs & { logits: G }, options?: LogitsLossOptions): LogitsLossResult<G> {
  const a = logitsArgs<G>('logitsLoss', inputs, options);
  const m = callNative(() => a.impl.grpoLogitsLoss(a.raw, a.opts, a.logp, a.entropy, a.grad));
  return logitsResult(a, m);
}

/** logitsLoss on the thread pool. The inputs must not be modified until the promise settles. */
export async function logitsLossAsync<G extends LogitsArray>(inputs: LogitsLossInputs & { logits: G }, options?: LogitsLossOptions & GrpoAsyncOptions): Promise<LogitsLossResult<G>> {
  const fn = 'logitsLossAsync';
  return runAbortable(fn, options, async () => {
    const a = logitsArgs<G>(fn, inputs, options);
    const m =
      a.impl === cudaHost
        ? callNative(() => cudaHost.grpoLogitsLoss(a.raw, a.opts, a.logp, a.entropy, a.grad))
        : await awaitNative(() => native.grpoLogitsLossAsync(a.raw, a.opts, a.logp, a.entropy, a.grad));
    return logitsResult(a, m);
  });
}

// ---------------------------------------------------------------------------------------------
// bf16 helpers

/** Float32 → bf16 bit patterns (round to nearest even), for building bf16 logits. */
export function toBf16(values: ArrayLike<number>): Uint16Array {
  const f = values instanceof Float32Array ? values : Float32Array.from(values);
  const u = new Uint32Array(f.buffer, f.byteOffset, f.length);
  const out = new Uint16Array(f.length);
  for (let i = 0; i < f.length; i++) {
    const x = u[i];
    if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) out[i] = (x >>> 16) | 0x40;  // NaN stays NaN
    else out[i] = ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return out;
}

/** bf16 bit patterns → Float32Array. */
export function fromBf16(bits: Uint16Array): Float32Array {
  const u = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) u[i] = bits[i] << 16;
  return new Float32Array(u.buffer);
}
