// GRPO and GRPO-PTR math (docs/formulas.md#grpo-and-grpo-ptr) on the native core: group advantages, the
// progressive trust-aware reasoning reward, and the clipped policy-gradient loss with its
// gradient, from per-token log-probs or fused from logits (fp32, fp64 or bf16).
//
// Each call lives in src/grpo/ beside its native counterpart in native/grpo/; this module gathers
// them so that importers (and src/index.ts) have one place to import from.
export type { Groups, RealArray, FloatArray, GrpoAsyncOptions } from './grpo/common.js';
export { groupAdvantages, groupAdvantagesAsync, groupAdvantagesOptions, type AdvantageMode, type GroupAdvantagesOptions } from './grpo/advantages.js';
export { ProgressiveGate, type ProgressiveGateOptions, type ProgressiveGateState } from './grpo/progressive-gate.js';
export { ptrRewards, ptrRewardOptions, type PtrRewardInputs, type PtrRewardOptions, type PtrRewardResult } from './grpo/ptr.js';
export type { KlEstimator, LossAggregation, PolicyLossOptions, LossMetrics } from './grpo/policy-loss.js';
export { tokenLoss, tokenLossAsync, tokenLossOptions, resolveTokenLossCall, type TokenLossOptions, type TokenLossInputs, type TokenLossResult } from './grpo/token-loss.js';
export { logitsLoss, logitsLossAsync, logitsLossOptions, resolveLogitsLossCall, MAX_VOCAB, type LogitsArray, type LogitsLossInputs, type LogitsLossOptions, type LogitsLossResult } from './grpo/logits-loss.js';
export { toBf16, fromBf16 } from './grpo/bf16.js';
