// Honest confidence (issue #16): expected calibration error, and the softmax temperature of the
// emotion head fitted on held-out training folds (folds by speaker, so the held-out clips are of
// speakers the fold's model never heard, as a user's clips are). Validation speakers are never
// used for the fit.
import { invalidArg } from '../errors.js';
import { fitAssociations } from './associations.js';
import { OUTLIER_QUANTILE, OUTLIER_Z, outlierShare, temperatureScale, type Perception } from '../inference/perception.js';
import { quantileOf } from './perception-fit.js';
import { train, type TrainData, type TrainOptions } from './trainer.js';
import type { Policy } from '../inference/policy.js';
import { asMembers, decodeEnsemble } from '../inference/ensemble.js';
import { SPEAKER_LEVEL_FEATURES } from '../inference/speaker-levels.js';
import { fitGenderClassifier } from './gender-fit.js';
import type { Gender } from '../calibration-types.js';

function argmax(p: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[b]) b = i;
  return b;
}

/** Expected calibration error of the top class over equal-width confidence bins (10 by default). */
export function expectedCalibrationError(probs: ArrayLike<number>[], labels: number[], bins = 10): { ece: number; confidence: number; accuracy: number } {
  // Checked: mismatched lengths, a bin count of 0 or a billion, and NaN probabilities gave a
  // plausible-looking number.
  if (!Array.isArray(probs) || !Array.isArray(labels)) throw invalidArg('expectedCalibrationError: probs and labels must be arrays');
  if (probs.length !== labels.length) throw invalidArg(`expectedCalibrationError: ${probs.length} probability rows but ${labels.length} labels; they must match`);
  if (!Number.isInteger(bins) || bins < 1 || bins > 1000) throw invalidArg(`expectedCalibrationError: bins must be an integer in [1, 1000]; got ${String(bins)}`);
  probs.forEach((p, i) => {
    if (!p || typeof p.length !== 'number' || p.length === 0) throw invalidArg(`expectedCalibrationError: probs[${i}] must be a non-empty array of probabilities`);
    for (let k = 0; k < p.length; k++) if (!(p[k] >= 0 && p[k] <= 1)) throw invalidArg(`expectedCalibrationError: probs[${i}][${k}] is ${p[k]}; expected a probability in [0, 1]`);
    if (!Number.isInteger(labels[i]) || labels[i] < 0 || labels[i] >= p.length) throw invalidArg(`expectedCalibrationError: labels[${i}] is ${String(labels[i])}; expected a class index in [0, ${p.length})`);
  });
  const n = probs.length;
  const conf = new Float64Array(bins), acc = new Float64Array(bins), cnt = new Float64Array(bins);
  let sc = 0, sa = 0;
  probs.forEach((p, i) => {
    const k = argmax(p), c = p[k], ok = k === labels[i] ? 1 : 0;
    const b = Math.min(bins - 1, Math.floor(c * bins));
    conf[b] += c, acc[b] += ok, cnt[b]++;
    sc += c, sa += ok;
  });
  let ece = 0;
  for (let b = 0; b < bins; b++) if (cnt[b]) ece += (cnt[b] / n) * Math.abs(conf[b] / cnt[b] - acc[b] / cnt[b]);
  return { ece, confidence: n ? sc / n : 0, accuracy: n ? sa / n : 0 };
}

/** Softmax of log p / t (the formula analyze applies: temperatureScale). */
export const scaleProbs = temperatureScale;

/** The temperature minimising the negative log-likelihood (grid over log t, then golden section). */
export function fitTemperature(probs: ArrayLike<number>[], labels: number[]): number {
  const nll = (t: number) => probs.reduce((s, p, i) => s - Math.log(Math.max(scaleProbs(p, t)[labels[i]], 1e-12)), 0);
  let best = 0, bestV = Infinity;
  for (let g = -2; g <= 3; g += 0.1) {
    const v = nll(Math.exp(g));
    if (v < bestV) (bestV = v), (best = g);
  }
  let a = best - 0.1, b = best + 0.1;
  const r = (Math.sqrt(5) - 1) / 2;
  for (let i = 0; i < 30; i++) {
    const c = b - r * (b - a), d = a + r * (b - a);
    if (nll(Math.exp(c)) < nll(Math.exp(d))) b = d;
    else a = c;
  }
  return Math.exp((a + b) / 2);
}

/**
 * The emotion probabilities of the greedy response of a policy or an ensemble's members (what
 * analyze reports before scaling).
 */
export function greedyProbs(policy: Policy | readonly Policy[], x: Float64Array): Float64Array {
  return decodeEnsemble(asMembers(policy), x).emotionProbs;
}

export interface HeldOutFit {
  temperature: number;
  folds: number;
  clips: number;
  /** Ensemble members trained per fold (1: a single policy). */
  members: number;
  eceBefore: number;
  eceAfter: number;
  confidenceBefore: number;
  accuracy: number;
}

/** One member's training set and options (an ensemble's members differ in seed and augmentation draw). */
export interface HeldOutMember {
  data: TrainData;
  /** speakers[i]: the speaker of data's clip i. */
  speakers: number[];
  options: Omit<TrainOptions, 'data' | 'associations'>;
}

/**
 * Trains one model (or one ensemble: a policy per member, each on its own training set minus the
 * fold) per fold of speakers, collects the held-out clips' probabilities and fits the temperature
 * on all of them. The held-out clips are the first member's clips of the fold's speakers. Folds
 * are formed from the sorted speaker ids, round robin.
 */
export function heldOutTemperature(members: readonly HeldOutMember[], folds: number, onFold?: (k: number) => void): HeldOutFit {
  if (members.length === 0) throw new Error('heldOutTemperature needs at least one member');
  const first = members[0];
  const ids = [...new Set(first.speakers)].sort((a, b) => a - b);
  const probs: Float64Array[] = [], labels: number[] = [];
  for (let k = 0; k < folds; k++) {
    const held = new Set(ids.filter((_, i) => i % folds === k));
    const policies = members.map(({ data, speakers, options }) => {
      const tr = data.x.map((_, i) => i).filter((i) => !held.has(speakers[i]));
      const sub: TrainData = { x: tr.map((i) => data.x[i]), y: tr.map((i) => data.y[i]), measured: tr.map((i) => data.measured[i]), cueFeatures: data.cueFeatures };
      return train({ ...options, data: sub, associations: fitAssociations(sub.measured, sub.y) }).policy;
    });
    first.data.x.forEach((x, i) => {
      if (!held.has(first.speakers[i])) return;
      probs.push(greedyProbs(policies, x));
      labels.push(first.data.y[i]);
    });
    onFold?.(k);
  }
  const t = fitTemperature(probs, labels);
  const before = expectedCalibrationError(probs, labels);
  const after = expectedCalibrationError(probs.map((p) => scaleProbs(p, t)), labels);
  return { temperature: t, folds, clips: probs.length, members: members.length, eceBefore: before.ece, eceAfter: after.ece, confidenceBefore: before.confidence, accuracy: before.accuracy };
}

/** The out-of-range limit: a high quantile of the training clips' outlier share. */
export function outlierLimit(x: Float64Array[], features: number): number {
  return quantileOf(x.map((v) => outlierShare(v, features, OUTLIER_Z)), OUTLIER_QUANTILE);
}

/**
 * A model file's perception block from a prepared training split and a held-out fit.
 * `speakerLevelSd` (PreparedCorpus.speakerLevelSd) makes it a session model's: speaker inputs and
 * the speaker levels with the population's within-speaker sd. `genders` (clip i's speaker gender,
 * as x) adds the speaker-gender classifier fitted on x (gender-fit.ts) when both genders occur.
 */
export function perceptionOf(effortCuts: [number, number], x: Float64Array[], features: number, fit: HeldOutFit | null, speakerLevelSd?: readonly number[], genders?: readonly (Gender | null | undefined)[]): Perception {
  return {
    // Both genders are needed to learn one from the other (a one-gender corpus keeps the F0 rule).
    ...(genders && new Set(genders.filter((g) => g)).size === 2 ? { gender: fitGenderClassifier(x, genders, features) } : {}),
    effortCuts,
    temperature: fit?.temperature ?? 1,
    outlierZ: OUTLIER_Z,
    outlierShareLimit: outlierLimit(x, features),
    ...(speakerLevelSd ? { speakerInputs: true, speakerLevels: { names: [...SPEAKER_LEVEL_FEATURES], sd: [...speakerLevelSd] } } : {}),
    ...(fit ? { calibrationInfo: { method: 'temperature scaling, NLL', folds: fit.folds, heldOutClips: fit.clips, ...(fit.members > 1 ? { members: fit.members } : {}), eceBefore: fit.eceBefore, eceAfter: fit.eceAfter } } : {}),
  };
}
