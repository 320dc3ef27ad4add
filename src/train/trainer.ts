// GRPO-PTR training of the reasoning policy (docs/formulas.md#training-step). Each step: G sampled responses per
// utterance, judged; PTR rewards (trust τ, progressive gate) and group advantages from the
// native kernels; the clipped token loss with KL to the reference policy from the native
// kernel; its gradient through the policy; Adam. Deterministic for a seed.
import { existsSync } from 'node:fs';
import { writeFileAtomic } from '../atomic-file.js';
import { appendMetricsLine, startMetricsFile } from './metrics-file.js';
import { EmotionThinkerError, invalidArg } from '../errors.js';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { abortable, checkSignal, throwIfAborted } from '../abort.js';
import { groupAdvantages, ptrRewards, ProgressiveGate, tokenLoss, type ProgressiveGateState } from '../grpo.js';
import { resolvePtrOptions, spec } from '../grpo-options.js';
import { judgeClaims, judgeResponse, type Associations, type JudgeScores } from '../inference/judge.js';
import { Policy, type PolicyShape, type Response } from '../inference/policy.js';
import { Adam } from './adam.js';
import { Rng } from './rng.js';
import { checkResumePoint, loadCheckpoint, type CheckpointState } from './checkpoint-schema.js';
import { CLAIM_VALUES, CUES, EMOTIONS, TOKENS, type MeasuredCues } from '../inference/vocab.js';
import type { RewardItem, RewardJudge } from '../reward-model.js';
import { TRAIN_MODES, type TrainMode } from './modes.js';

export { TRAIN_MODES, type TrainMode } from './modes.js';

/**
 * Default step counts: supervised warm start, then RL (or, for 'supervised', more cross-entropy).
 * The warm start runs until the perception it teaches has fitted the training split: GRPO-PTR
 * gives the claim tokens only a weak, noisy signal (a wrong claim costs α_t·w_FA·(4/claims)/5 =
 * 0.025 of reward against 1.0 for the outcome), so RL keeps the claims it starts from but does
 * not finish learning them. On RAVDESS actors 01–12 (seeds 1–3) training FA share of the
 * greedy claims was 94.7 % after 600 steps, 95.9 % after 1200 (emotion accuracy ≥ 99.9 %) —
 * measured on feature set 2 from an older tracker's cached features (see README); with feature
 * set 4 the validation FA share of full GRPO-PTR is 96.5 % (seeds 1–5, README).
 */
export const DEFAULT_SFT_STEPS = 1200;
export const DEFAULT_RL_STEPS = 600;
export type ClaimCredit = 'response' | 'claim';
export const CLAIM_CREDITS: readonly ClaimCredit[] = ['response', 'claim'];

export interface TrainData {
  /** Standardised feature vectors. */
  x: Float64Array[];
  /** Emotion indices. */
  y: number[];
  measured: MeasuredCues[];
  /** Feature indices each claim head reads, per cue (prepareRavdess fills it in). */
  cueFeatures?: number[][];
}

/** A replacement judge (e.g. an ONNX reward model): four scores 1–5 per response. */
export type JudgeFn = (tokens: Int32Array, index: number) => Pick<JudgeScores, 'fa' | 'iq' | 'cc' | 'fs'> & Partial<JudgeScores>;

export interface StepMetrics {
  step: number;
  phase: 'sft' | 'rl';
  loss: number;
  accuracy: number;
  rewardFormat: number;
  rewardOutcome: number;
  rewardReasoning: number;
  reward: number;
  fa: number;
  iq: number;
  cc: number;
  fs: number;
  factualShare: number;
  trustMean: number;
  gateOpen: boolean;
  reasoningEnabled: boolean;
  kl: number;
  clipFrac: number;
}

export interface TrainOptions {
  data: TrainData;
  associations: Associations;
  mode?: TrainMode;
  seed?: number;
  hidden?: number;
  /** Hidden units of each cue's perception layer (default 32). */
  cueHidden?: number;
  /** Feature indices each claim head reads, per cue (default: all features). */
  cueFeatures?: number[][];
  /** Supervised warm-start steps (emotion cross-entropy), before the RL steps. */
  sftSteps?: number;
  /** RL steps (for 'supervised': further cross-entropy steps, so every mode takes as many updates). */
  steps?: number;
  batchSize?: number;
  /** Responses sampled per utterance (G). */
  groupSize?: number;
  sftLr?: number;
  lr?: number;
  weightDecay?: number;
  beta?: number;
  clipLow?: number;
  clipHigh?: number;
  /** Policy updates per sampled batch (> 1 makes the ratio and clipping matter). */
  innerEpochs?: number;
  alpha?: { format?: number; outcome?: number; reasoning?: number };
  judgeWeights?: readonly number[];
  gate?: { threshold?: number; window?: number; openAtStep?: number | null };
  judge?: JudgeFn;
  /** Streams one JSON line of StepMetrics per step. */
  metricsFile?: string;
  onStep?: (m: StepMetrics) => void;
  checkpointFile?: string;
  checkpointEvery?: number;
  /** Resume from this checkpoint file (same options required). */
  resume?: string;
  /** Teach the measured cue levels as claims during the supervised steps (default true). */
  sftClaims?: boolean;
  /** Gaussian noise (sd, in standardised units) added to the features of supervised steps. */
  inputNoise?: number;
  /**
   * Credit assignment of the RL step. 'response' (default, GRPO-PTR as docs/formulas.md#training-step and the paper):
   * every token of a response gets the response's group advantage. 'claim' (a documented
   * departure): while the reasoning reward is on, each cue claim token gets instead the group
   * advantage of its own claim-level judge scores (judgeClaims, weighted by judgeWeights), and the
   * emotion token keeps the response's advantage; needs the built-in judge.
   */
  claimCredit?: ClaimCredit;
  /** Test hook: corrupt the gradient at this step to exercise the divergence guard. */
  injectNanAtStep?: number;
}

export interface TrainResult {
  policy: Policy;
  reference: Policy;
  history: StepMetrics[];
}

function ptrAlpha(alpha: TrainOptions['alpha']) {
  const r = resolvePtrOptions('train', { alpha });
  return { format: r.alphaFormat, outcome: r.alphaOutcome, reasoning: r.alphaReasoning };
}

function defaults(o: TrainOptions) {
  return {
    mode: o.mode ?? 'ptr',
    seed: o.seed ?? 1,
    hidden: o.hidden ?? 64,
    cueHidden: o.cueHidden ?? 32,
    sftSteps: o.sftSteps ?? DEFAULT_SFT_STEPS,
    steps: o.steps ?? DEFAULT_RL_STEPS,
    batchSize: o.batchSize ?? 32,
    groupSize: o.groupSize ?? 8,
    sftLr: o.sftLr ?? 3e-3,
    lr: o.lr ?? 1e-3,
    weightDecay: o.weightDecay ?? 0.05,
    // The loss and PTR defaults are the option tables' (native/grpo/options.hpp); clipHigh is the
    // trainer's own choice (DAPO's clip-higher).
    beta: o.beta ?? (spec('loss', 'beta').default as number),
    clipLow: o.clipLow ?? (spec('loss', 'clipLow').default as number),
    clipHigh: o.clipHigh ?? 0.28,
    innerEpochs: o.innerEpochs ?? 2,
    alpha: ptrAlpha(o.alpha),
    judgeWeights: o.judgeWeights ?? Array.from(resolvePtrOptions('train', {}).judgeWeights),
    checkpointEvery: o.checkpointEvery ?? 50,
    inputNoise: o.inputNoise ?? 0.6,
    sftClaims: o.sftClaims ?? true,
    claimCredit: o.claimCredit ?? 'response',
  };
}

const mean = (a: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return a.length ? s / a.length : 0;
};

/** The responses of one RL step, to be scored by the judge: tokens and the utterance each answers. */
interface JudgeRequest {
  tokens: Int32Array[];
  owners: number[];
}
type Scores = Pick<JudgeScores, 'fa' | 'iq' | 'cc' | 'fs'>;

/**
 * Trains a policy with the built-in judge (or a synchronous `judge`). Throws ERR_TRAINING naming
 * the step if the loss or gradient goes non-finite.
 */
export function train(options: TrainOptions): TrainResult {
  const judge: JudgeFn = options.judge ?? ((tokens, i) => judgeResponse(tokens, options.data.measured[i], options.associations));
  const steps = trainSteps(options);
  let r = steps.next();
  while (!r.done) {
    const { tokens, owners } = r.value;
    r = steps.next(tokens.map((t, j) => judge(t, owners[j])));
  }
  return r.value;
}

/**
 * train() with a reward model that scores asynchronously, such as an ONNX reward model
 * (OnnxRewardModel, contract in docs/reward-model.md) replacing the built-in judge.
 */
export async function trainAsync(options: TrainOptions & { rewardModel?: RewardJudge; signal?: AbortSignal }): Promise<TrainResult> {
  const { rewardModel, signal: signalOption, ...rest } = options;
  const signal = checkSignal(signalOption, 'trainAsync');
  throwIfAborted(signal);
  if (!rewardModel) return signal ? trainAbortable(rest, signal) : train(rest);
  if (rest.claimCredit === 'claim') throw invalidArg("option claimCredit 'claim' needs the built-in judge's claim-level scores; it cannot be used with a rewardModel");
  const steps = trainSteps(rest);
  let r = steps.next();
  while (!r.done) {
    const { tokens, owners } = r.value;
    const items: RewardItem[] = tokens.map((t, j) => ({
      features: Float32Array.from(options.data.x[owners[j]]),
      claims: Object.fromEntries(CUES.flatMap((cue, k) => (t[k] === 0 ? [] : [[cue, CLAIM_VALUES[cue][t[k]]]]))),
      emotion: EMOTIONS[t[TOKENS - 1]],
    }));
    throwIfAborted(signal);
    const scored = await abortable(rewardModel.score(items, signal ? { signal } : undefined), signal);
    r = steps.next(scored.map((s) => ({ fa: s.FA, iq: s.IQ, cc: s.CC, fs: s.FS })));
  }
  return r.value;
}

/**
 * train() with the built-in (or a synchronous) judge under a signal: it yields to the event loop
 * at every RL step and stops there once the signal has aborted (rejecting with an AbortError).
 * The steps are train()'s, so the result is the same as train()'s.
 */
async function trainAbortable(options: TrainOptions, signal: AbortSignal): Promise<TrainResult> {
  const judge: JudgeFn = options.judge ?? ((tokens, i) => judgeResponse(tokens, options.data.measured[i], options.associations));
  const steps = trainSteps(options);
  let r = steps.next();
  while (!r.done) {
    await yieldToLoop();
    throwIfAborted(signal);
    const { tokens, owners } = r.value;
    r = steps.next(tokens.map((t, j) => judge(t, owners[j])));
  }
  return r.value;
}

/**
 * The numeric options and the data's shape, checked before step 0: NaN or negative steps trained
 * nothing and returned an untrained policy, a learning rate of 1e30 gave parameters loadModel
 * refuses, and a label out of range or a ragged row surfaced as "training diverged at step 0".
 */
function checkTrainOptions(o: ReturnType<typeof defaults>, options: TrainOptions): void {
  const int = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw invalidArg(`option ${name} must be an integer ≥ ${min}; got ${String(v)}`);
  };
  const real = (name: string, v: number, lo: number, hi: number, loOpen = false) => {
    if (typeof v !== 'number' || !(loOpen ? v > lo : v >= lo) || !(v <= hi)) throw invalidArg(`option ${name} must be a number in ${loOpen ? '(' : '['}${lo}, ${hi}]; got ${String(v)}`);
  };
  int('seed', o.seed, 0), int('hidden', o.hidden, 1), int('cueHidden', o.cueHidden, 1), int('sftSteps', o.sftSteps, 0), int('steps', o.steps, 0);
  int('batchSize', o.batchSize, 1), int('groupSize', o.groupSize, 2), int('innerEpochs', o.innerEpochs, 1), int('checkpointEvery', o.checkpointEvery, 1);
  real('sftLr', o.sftLr, 0, 1, true), real('lr', o.lr, 0, 1, true), real('weightDecay', o.weightDecay, 0, 1), real('beta', o.beta, 0, 100);
  real('clipLow', o.clipLow, 0, 1), real('clipHigh', o.clipHigh, 0, 10), real('inputNoise', o.inputNoise, 0, 100);
  if (!options.associations || typeof options.associations !== 'object') throw invalidArg('option associations must be the cue–emotion associations (corpus.associations)');
  const { x, y } = options.data;
  const width = x[0]?.length;
  if (!(width > 0)) throw invalidArg('data.x[0] must be a non-empty array of features');
  x.forEach((row, i) => {
    if (!row || row.length !== width) throw invalidArg(`data.x[${i}] has ${row?.length} features; data.x[0] has ${width}`);
    for (let j = 0; j < width; j++) if (!Number.isFinite(row[j])) throw invalidArg(`data.x[${i}][${j}] is ${row[j]}; features must be finite`);
  });
  y.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0 || v >= EMOTIONS.length) throw invalidArg(`data.y[${i}] is ${String(v)}; expected an emotion index in [0, ${EMOTIONS.length})`);
  });
  const cf = options.cueFeatures ?? options.data.cueFeatures;
  cf?.forEach((list, c) => list.forEach((j) => {
    if (!Number.isInteger(j) || j < 0 || j >= width) throw invalidArg(`cueFeatures[${c}] holds ${String(j)}; expected a feature index in [0, ${width})`);
  }));
}

/** The training loop, pausing at each RL step for the judge's scores of its responses. */
function* trainSteps(options: TrainOptions): Generator<JudgeRequest, TrainResult, Scores[]> {
  const o = defaults(options);
  const { data } = options;
  if (!TRAIN_MODES.includes(o.mode)) throw invalidArg(`option mode must be one of ${TRAIN_MODES.join(', ')}; got ${String(o.mode)}`);
  if (!CLAIM_CREDITS.includes(o.claimCredit)) throw invalidArg(`option claimCredit must be one of ${CLAIM_CREDITS.join(', ')}; got ${String(o.claimCredit)}`);
  if (o.claimCredit === 'claim' && options.judge) throw invalidArg("option claimCredit 'claim' needs the built-in judge's claim-level scores; it cannot be used with a replacement judge");
  if (!data || !Array.isArray(data.x) || !Array.isArray(data.y) || !Array.isArray(data.measured) || data.x.length === 0 || data.x.length !== data.y.length || data.x.length !== data.measured.length) {
    throw invalidArg('data must hold x, y and measured arrays of the same non-zero length');
  }
  checkTrainOptions(o, options);
  const inputs = data.x[0].length;
  const n = data.x.length;
  let rng = new Rng(o.seed);
  const shape: PolicyShape = {
    inputs,
    hidden: o.hidden,
    cueHidden: o.cueHidden,
    cueFeatures: options.cueFeatures ?? data.cueFeatures ?? CUES.map(() => Array.from({ length: inputs }, (_, j) => j)),
  };
  let policy = Policy.create(shape, rng);
  let reference: Policy | null = null;
  let adam = new Adam(policy.size, { lr: o.sftLr, weightDecay: o.weightDecay });
  // Unset gate options take ProgressiveGate's own defaults (docs/formulas.md#progressive-gate).
  let gate = new ProgressiveGate({ threshold: options.gate?.threshold, window: options.gate?.window, openAtStep: options.gate?.openAtStep ?? null });
  let step = 0;
  const total = o.sftSteps + o.steps;
  const rl = o.mode !== 'supervised';

  if (options.resume) {
    // Checked field by field (checkpoint-schema.ts): a damaged file is ERR_MODEL_FORMAT naming the field.
    const c = loadCheckpoint(options.resume);
    if (c.mode !== o.mode || c.seed !== o.seed || JSON.stringify(c.shape) !== JSON.stringify(shape)) {
      throw invalidArg(`checkpoint ${options.resume} was written with different options (mode ${c.mode}, seed ${c.seed})`);
    }
    checkResumePoint(options.resume, c, { total, sftSteps: o.sftSteps, innerEpochs: o.innerEpochs, rl });
    policy = new Policy(c.shape, Float64Array.from(c.params));
    reference = c.reference ? new Policy(c.shape, Float64Array.from(c.reference)) : null;
    adam = new Adam(policy.size, { lr: step < o.sftSteps ? o.sftLr : o.lr, weightDecay: o.weightDecay });
    adam.m = Float64Array.from(c.adam.m);
    adam.v = Float64Array.from(c.adam.v);
    adam.t = c.adam.t;
    rng = Rng.fromState(c.rng);
    if (c.gate) gate = ProgressiveGate.fromJSON(c.gate);
    step = c.step;
  }

  const history: StepMetrics[] = [];
  // Exactly one metrics line per step: a fresh run starts the file empty, a resumed one keeps the
  // lines up to its checkpoint's step (those after it are recomputed).
  if (options.metricsFile) startMetricsFile(options.metricsFile, options.resume ? step : 0);

  const saveCheckpoint = () => {
    if (!options.checkpointFile) return;
    const c: CheckpointState = {
      version: 1, mode: o.mode, seed: o.seed, step, shape: policy.shape,
      params: Array.from(policy.params), reference: reference ? Array.from(reference.params) : null,
      adam: { m: Array.from(adam.m), v: Array.from(adam.v), t: adam.t }, rng: rng.state, gate: gate.toJSON(),
    };
    writeFileAtomic(options.checkpointFile, JSON.stringify(c));
  };

  const guard = (grad: Float64Array, loss: number) => {
    if (options.injectNanAtStep === step) grad[0] = NaN;
    let ok = Number.isFinite(loss);
    for (let i = 0; ok && i < grad.length; i++) ok = Number.isFinite(grad[i]);
    if (!ok) {
      const kept = options.checkpointFile && existsSync(options.checkpointFile) ? `; the last good checkpoint is ${options.checkpointFile}` : '';
      throw new EmotionThinkerError('ERR_TRAINING', `training diverged at step ${step}: the loss or gradient is not finite${kept}`);
    }
  };

  const emit = (m: StepMetrics) => {
    history.push(m);
    if (options.metricsFile) appendMetricsLine(options.metricsFile, m);
    options.onStep?.(m);
  };

  const batch = () => Array.from({ length: Math.min(o.batchSize, n) }, () => rng.int(n));

  while (step < total) {
    const sft = step < o.sftSteps || !rl;
    if (!sft && reference === null) {
      // The RL phase starts: the warm-started policy becomes the fixed KL reference.
      reference = policy.clone();
      adam = new Adam(policy.size, { lr: o.lr, weightDecay: o.weightDecay });
    }
    const idx = batch();
    const grad = new Float64Array(policy.size);
    if (sft) {
      // Supervised warm start, as the paper's base model is trained on prosody perception before
      // RL: cross-entropy on the measured cue levels (unmeasured cues: "none") and on the
      // emotion given those claims. With sftClaims false only the emotion token is taught, with
      // claims drawn from the claim heads.
      // The emotion is learnt from noisy features (regularisation); the claims from the clean
      // features, since a measured level is an exact function of them near its cut points.
      let loss = 0, correct = 0;
      const gEmotion = new Float64Array(TOKENS);
      gEmotion[TOKENS - 1] = -1 / idx.length;
      const gClaims = new Float64Array(TOKENS);
      if (o.sftClaims) gClaims.fill(-1 / idx.length, 0, TOKENS - 1);
      for (const i of idx) {
        const x = o.inputNoise > 0 ? data.x[i].map((v) => v + o.inputNoise * rng.normal()) : data.x[i];
        const r = policy.sample(x, rng);
        const force = o.sftClaims ? Int32Array.from([...measuredTokens(data.measured[i]), data.y[i]]) : Int32Array.from(r.tokens);
        force[TOKENS - 1] = data.y[i];
        loss += gEmotion[TOKENS - 1] * policy.logProbs(x, force)[TOKENS - 1];
        if (r.tokens[TOKENS - 1] === data.y[i]) correct++;
        policy.backward(x, force, gEmotion, grad);
        if (o.sftClaims) {
          const lp = policy.logProbs(data.x[i], force);
          for (let t = 0; t < TOKENS - 1; t++) loss += gClaims[t] * lp[t];
          policy.backward(data.x[i], force, gClaims, grad);
        }
      }
      guard(grad, loss);
      adam.step(policy.params, grad, o.sftLr);
      step++;
      emit({
        step, phase: 'sft', loss, accuracy: correct / idx.length, rewardFormat: 0, rewardOutcome: 0, rewardReasoning: 0, reward: 0,
        fa: 0, iq: 0, cc: 0, fs: 0, factualShare: 0, trustMean: 1, gateOpen: gate.open, reasoningEnabled: false, kl: 0, clipFrac: 0,
      });
    } else {
      const G = o.groupSize;
      const N = idx.length * G;
      const responses: Response[] = [];
      const owner: number[] = [];
      for (const i of idx) for (let s = 0; s < G; s++) responses.push(policy.sample(data.x[i], rng)), owner.push(i);
      const correct = new Float64Array(N), format = new Float64Array(N), scores = new Float64Array(N * 4);
      // Claim-level reasoning rewards Σ_d w_d·s_d/5 per response and cue (claimCredit 'claim').
      const claimReward = o.claimCredit === 'claim' ? new Float64Array(N * (TOKENS - 1)) : null;
      const judged = yield { tokens: responses.map((r) => r.tokens), owners: owner };
      let claims = 0, agreeing = 0;
      responses.forEach((r, j) => {
        const sc = judged[j];
        // Format and factual agreement are checked here whatever judge scores the response.
        const own = judgeResponse(r.tokens, data.measured[owner[j]], options.associations);
        correct[j] = r.tokens[TOKENS - 1] === data.y[owner[j]] ? 1 : 0;
        format[j] = own.wellFormed ? 1 : 0;
        for (const [d, v] of [sc.fa, sc.iq, sc.cc, sc.fs].entries()) {
          if (!(v >= 1 && v <= 5)) throw new EmotionThinkerError('ERR_TRAINING', `the judge scored response ${j} of step ${step + 1} with ${v} on dimension ${d}; scores must be in [1, 5]`);
        }
        scores.set([sc.fa, sc.iq, sc.cc, sc.fs], j * 4);
        claims += own.claims;
        agreeing += own.agreeing;
        if (claimReward) {
          judgeClaims(r.tokens, data.measured[owner[j]], options.associations, own.fs).forEach((s, k) => {
            claimReward[j * (TOKENS - 1) + k] = s.reduce((acc, v, d) => acc + (o.judgeWeights[d] * v) / 5, 0);
          });
        }
      });
      const accuracy = mean(correct);
      // Only full GRPO-PTR waits for the gate; the rows before it have the reasoning reward on from the start.
      const reasoningEnabled = o.mode === 'grpo-outcome' ? false : o.mode === 'ptr' ? gate.open : true;
      gate.update(accuracy);
      const ptr = ptrRewards(
        { correct, format, judgeScores: scores, groups: G },
        { alpha: o.alpha, judgeWeights: o.judgeWeights, reasoningEnabled },
      );
      let reward = ptr.reward;
      if (o.mode === 'ptr-no-trust' && reasoningEnabled) {
        // The same reasoning term without the trust weight τ.
        reward = Float64Array.from(ptr.reasoningReward, (rt, j) => o.alpha.format * format[j] + o.alpha.outcome * correct[j] + o.alpha.reasoning * rt);
      }
      const adv = groupAdvantages(reward, G);
      let advantages: Float64Array = adv;
      if (claimReward && reasoningEnabled) {
        // Per-token advantages: the emotion token keeps the response's; claim k gets the group
        // advantage of its own claim-level reward (τ, a group constant, would cancel here).
        advantages = new Float64Array(N * TOKENS);
        for (let j = 0; j < N; j++) advantages[j * TOKENS + TOKENS - 1] = adv[j];
        for (let k = 0; k < TOKENS - 1; k++) {
          const ak = groupAdvantages(Float64Array.from({ length: N }, (_, j) => claimReward[j * (TOKENS - 1) + k]), G);
          for (let j = 0; j < N; j++) advantages[j * TOKENS + k] = ak[j];
        }
      }
      const oldLogp = new Float64Array(N * TOKENS), refLogp = new Float64Array(N * TOKENS);
      responses.forEach((r, j) => {
        oldLogp.set(r.logp, j * TOKENS);
        refLogp.set(reference!.logProbs(data.x[owner[j]], r.tokens), j * TOKENS);
      });
      let lastLoss = 0, kl = 0, clipFrac = 0;
      for (let e = 0; e < o.innerEpochs; e++) {
        const logp = e === 0 ? Float64Array.from(oldLogp) : new Float64Array(N * TOKENS);
        if (e > 0) responses.forEach((r, j) => logp.set(policy.logProbs(data.x[owner[j]], r.tokens), j * TOKENS));
        const res = tokenLoss(
          { logp, oldLogp, refLogp, advantages, shape: [N, TOKENS] },
          { beta: o.beta, kl: 'k3', clipLow: o.clipLow, clipHigh: o.clipHigh, agg: 'token-mean', advantagesPer: advantages.length === N ? 'sequence' : 'token' },
        );
        const g = new Float64Array(policy.size);
        responses.forEach((r, j) => policy.backward(data.x[owner[j]], r.tokens, res.gradLogp!.subarray(j * TOKENS, (j + 1) * TOKENS), g));
        guard(g, res.loss);
        adam.step(policy.params, g, o.lr);
        lastLoss = res.loss;
        kl = res.metrics.klMean;
        clipFrac = res.metrics.clipFrac;
      }
      step++;
      const col = (d: number) => mean(Float64Array.from({ length: N }, (_, j) => scores[j * 4 + d]));
      emit({
        step, phase: 'rl', loss: lastLoss, accuracy, rewardFormat: mean(format), rewardOutcome: accuracy,
        rewardReasoning: mean(ptr.reasoningReward), reward: mean(reward), fa: col(0), iq: col(1), cc: col(2), fs: col(3),
        factualShare: claims ? agreeing / claims : 0, trustMean: mean(ptr.trust), gateOpen: gate.open, reasoningEnabled, kl, clipFrac,
      });
    }
    if (options.checkpointFile && (step % o.checkpointEvery === 0 || step === total)) saveCheckpoint();
  }
  return { policy, reference: reference ?? policy.clone(), history };
}

/** Measured cue levels → the claim token that states them (0 = none when unmeasured). */
export function measuredTokens(m: MeasuredCues): number[] {
  return CUES.map((cue) => (m[cue] === null ? 0 : Math.max(0, (CLAIM_VALUES[cue] as readonly string[]).indexOf(m[cue]!))));
}
