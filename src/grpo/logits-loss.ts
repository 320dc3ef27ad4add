// The fused loss from logits (docs/formulas.md#token-loss): log-softmax, entropy, the token loss
// and its gradient with respect to the logits (fp32, fp64 or bf16), on the CPU core or the GPU.
import { native, type RawLossMetrics } from '../native.js';
import { awaitNative, callNative, invalidArg } from '../errors.js';
import { cudaHost } from './cuda-backend.js';
import { fail, resolveLogitsOptions, type LossContext } from '../grpo-options.js';
import { allocFor, optNumber, optionsObject, ownForAsync, pickImpl, runAbortable, toFloat64, type GrpoAsyncOptions, type RealArray } from './common.js';
import { advPerToken, layoutArg, lossContext, metricsOf, type Layout, type LossMetrics, type PolicyLossOptions } from './policy-loss.js';

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

/** The options logitsLoss passes to its implementation, CPU or CUDA (exported for the option-parity test). */
export function logitsLossOptions(fn: string, options: LogitsLossOptions | undefined, ctx: LossContext) {
  const { backend: _b, computeGrad: _c, gradOut: _g, inPlace: _i, ...o } = options ?? {};
  return resolveLogitsOptions(fn, o, ctx);
}

/** As resolveTokenLossCall, for logitsLoss (no shape or offsets: one sequence of `tokens` rows). */
export function resolveLogitsLossCall(options: LogitsLossOptions | undefined, call: { shape?: readonly [number, number]; offsets?: readonly number[]; tokens: number; advLength: number }) {
  const fn = 'logitsLoss';
  return logitsLossOptions(fn, options, lossContext(logitsLayout(fn, call.shape, call.offsets, call.tokens), call.advLength));
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
    let m;
    if (a.impl === cudaHost) m = callNative(() => cudaHost.grpoLogitsLoss(a.raw, a.opts, a.logp, a.entropy, a.grad));
    else {
      const i = inputs as unknown as Record<string, unknown>;
      const r = a.raw;
      const v = { logits: r.logits, labels: r.labels, oldLogp: r.oldLogp, refLogp: r.refLogp, advantages: r.advantages, mask: r.mask, offsets: r.offsets, logpOut: a.logp, entropyOut: a.entropy, gradOut: a.grad };
      // inPlace: the gradient overwrites the caller's logits, which the binding copies and writes back.
      const keep = [options?.gradOut, options?.inPlace ? i.logits : undefined];
      const pending = ownForAsync(fn, v, [i.logits, i.labels, i.oldLogp, i.refLogp, i.advantages, i.mask, i.offsets, options?.gradOut], keep, options?.signal);
      const owned = pending instanceof Promise ? await pending : pending;
      const raw = { ...r, logits: v.logits, labels: v.labels, oldLogp: v.oldLogp, refLogp: v.refLogp, advantages: v.advantages, mask: v.mask, offsets: v.offsets } as typeof r;
      m = await awaitNative(() => native.grpoLogitsLossAsync(raw, a.opts, a.logp, a.entropy, a.grad, owned));
    }
    return logitsResult(a, m);
  });
}
