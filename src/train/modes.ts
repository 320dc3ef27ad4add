// The training modes (the ablation's rows): read by the trainer, the CLI and the checkpoint check.
/**
 * The ablation's rows, each adding one part of GRPO-PTR to the one before: 'supervised'
 * (cross-entropy only); 'grpo-outcome' (format + outcome rewards); 'ptr-no-trust' (+ the judge's
 * reasoning reward from the first RL step, without trust τ and without the progressive gate);
 * 'ptr-no-gate' (+ τ, still without the gate); 'ptr' (+ the gate: full GRPO-PTR).
 */
export type TrainMode = 'supervised' | 'grpo-outcome' | 'ptr-no-trust' | 'ptr-no-gate' | 'ptr';
export const TRAIN_MODES: readonly TrainMode[] = ['supervised', 'grpo-outcome', 'ptr-no-trust', 'ptr-no-gate', 'ptr'];
