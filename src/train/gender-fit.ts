// Fits the speaker-gender classifier a model file carries (src/inference/gender.ts): L2-regularised
// logistic regression of "male" on the standardised features of the training clips and their
// perturbed copies (so that a telephone line or a room does not move the answer), by full-batch
// gradient descent in float64 from zero weights: deterministic for its data. Why not the F0
// median alone: it confuses a raised, aroused male voice with a female one (README, issue #16,
// "Gender"). The regularisation was chosen on actors 01-12 against 13-16 and FDA (0.01 and 0.1
// gave the same errors within a clip or two; the larger is kept for unseen corpora).
import type { Gender } from '../calibration-types.js';
import type { GenderClassifier } from '../inference/gender.js';
import { invalidArg } from '../errors.js';

/** The fit's settings: one owner. */
export const GENDER_FIT = { l2: 0.1, iterations: 400, learningRate: 0.1 } as const;

/**
 * x[i]: clip i's standardised features (its first `features` entries are read: a policy input's
 * gender slot and a session model's inputs after them are not); genders[i]: its speaker's gender
 * (null: left out).
 */
export function fitGenderClassifier(x: readonly ArrayLike<number>[], genders: readonly (Gender | null | undefined)[], features: number): GenderClassifier {
  if (x.length !== genders.length) throw invalidArg(`fitGenderClassifier: ${x.length} inputs but ${genders.length} genders`);
  const rows = x.flatMap((v, i) => (genders[i] ? [{ v, y: genders[i] === 'male' ? 1 : 0 }] : []));
  if (!rows.some((r) => r.y === 1) || !rows.some((r) => r.y === 0)) throw invalidArg('fitGenderClassifier needs clips of both genders');
  const { l2, iterations, learningRate } = GENDER_FIT;
  const w = new Float64Array(features);
  let b = 0;
  const z = (v: ArrayLike<number>) => {
    let s = b;
    for (let j = 0; j < features; j++) s += w[j] * v[j];
    return s;
  };
  const g = new Float64Array(features);
  for (let it = 0; it < iterations; it++) {
    g.fill(0);
    let gb = 0;
    for (const { v, y } of rows) {
      const e = 1 / (1 + Math.exp(-z(v))) - y;
      for (let j = 0; j < features; j++) g[j] += e * v[j];
      gb += e;
    }
    for (let j = 0; j < features; j++) w[j] -= learningRate * (g[j] / rows.length + l2 * w[j]);
    b -= learningRate * (gb / rows.length);
  }
  const errors = rows.filter(({ v, y }) => (z(v) >= 0 ? 1 : 0) !== y).length;
  return { weights: Array.from(w), bias: b, info: { method: 'logistic regression, L2', l2, iterations, clips: rows.length, trainingErrors: errors } };
}
