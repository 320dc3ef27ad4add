// What the token and logits losses share: the clipped policy-loss options, the metrics, the token
// layout (padded shape or ragged offsets) and the per-sequence or per-token advantages.
import type { RawLossMetrics, RawTokenLayout } from '../native.js';
import { invalidArg } from '../errors.js';
import { fail, type LossContext } from '../grpo-options.js';
import { toUint32, type CommonOptions } from './common.js';

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

export interface Layout {
  raw: RawTokenLayout;
  batch: number;
  tokens: number;
  maxLen: number;
}

export function layoutArg(fn: string, shape: unknown, offsets: unknown, tokens: number, what: string): Layout {
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

export function lossContext(layout: Layout, advLength: number): LossContext {
  return { batch: layout.batch, maxLen: layout.maxLen, advLength };
}

// Whether the advantages are per token, checking their length against the resolved choice.
export function advPerToken(fn: string, adv: unknown, layout: Layout, per: 'sequence' | 'token'): boolean {
  const want = per === 'sequence' ? layout.batch : layout.tokens;
  if ((adv as ArrayLike<number>).length !== want) {
    fail(fn, 'inputs.advantages', adv, `one per sequence (${layout.batch}) or one per token (${layout.tokens})`);
  }
  return per === 'token';
}

export function metricsOf(m: RawLossMetrics): LossMetrics {
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
