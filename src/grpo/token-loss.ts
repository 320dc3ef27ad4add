// The clipped policy-gradient loss with KL penalty from per-token log-probs, and its gradient
// (docs/formulas.md#token-loss), on the CPU core or the GPU.
import { native } from '../native.js';
import { awaitNative, callNative, invalidArg } from '../errors.js';
import { cudaHost } from './cuda-backend.js';
import { fail, resolveLossOptions, type LossContext } from '../grpo-options.js';
import { optionsObject, ownForAsync, pickImpl, runAbortable, type FloatArray, type GrpoAsyncOptions } from './common.js';
import { advPerToken, layoutArg, lossContext, metricsOf, type LossMetrics, type PolicyLossOptions } from './policy-loss.js';

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

export interface TokenLossResult<T extends FloatArray = FloatArray> {
  loss: number;
  /** ∂loss/∂logp, same type and length as logp; null with computeGrad: false. */
  gradLogp: T | null;
  metrics: LossMetrics;
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
    let m;
    if (a.impl === cudaHost) m = callNative(() => cudaHost.grpoTokenLoss(a.raw, a.opts, a.grad));
    else {
      const i = inputs as unknown as Record<string, unknown>;
      const v = { logp: a.raw.logp, oldLogp: a.raw.oldLogp, refLogp: a.raw.refLogp, advantages: a.raw.advantages, mask: a.raw.mask, offsets: a.raw.offsets, gradOut: a.grad };
      const pending = ownForAsync(fn, v, [i.logp, i.oldLogp, i.refLogp, i.advantages, i.mask, i.offsets, options?.gradOut], [options?.gradOut], options?.signal);
      const owned = pending instanceof Promise ? await pending : pending;
      const raw = { ...a.raw, logp: v.logp, oldLogp: v.oldLogp, refLogp: v.refLogp, advantages: v.advantages, mask: v.mask, offsets: v.offsets } as typeof a.raw;
      m = await awaitNative(() => native.grpoTokenLossAsync(raw, a.opts, a.grad, owned));
    }
    return { loss: m.loss, gradLogp: a.grad, metrics: metricsOf(m) };
  });
}
