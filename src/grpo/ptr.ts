// GRPO-PTR rewards (docs/formulas.md#ptr-rewards-and-trust): reasoning reward, per-group trust
// and the total reward, on the CPU core or the GPU.
import { callNative } from '../errors.js';
import { fail, resolvePtrOptions } from '../grpo-options.js';
import { groupsArg, optionsObject, pickImpl, toFloat64, type CommonOptions, type Groups, type RealArray } from './common.js';
import { ProgressiveGate } from './progressive-gate.js';

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
