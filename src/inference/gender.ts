// Speaker gender from the utterance's features, when no metadata gives it. The prosody layer
// estimates it from the F0 median alone (under 160 Hz: male), which confuses arousal with
// gender: angry, fearful, surprised or happy men speak above 160 Hz, so 27 % of the male clips
// of RAVDESS actors 13 and 15 came out female, and with them the female pitch cut points ("normal"
// for a raised male voice) and the policy's gender input. A model file may carry a logistic
// classifier over its standardised features (the spectral shape carries the vocal tract's
// length, which arousal does not change); trained on actors 01-12 with their perturbed copies it
// misjudged 3 of the 240 clips of actors 13-16 (README, issue #16, "Gender").
import { at, field, num, numArray, obj, scalarRecord, type JsonAt } from '../json-check.js';
import type { Gender } from '../calibration-types.js';

export interface GenderClassifier {
  /** Weight of each standardised feature (FEATURE_NAMES order) toward "male". */
  weights: number[];
  bias: number;
  /** Provenance: clips, speakers, regularisation, training error. */
  info?: Record<string, number | string>;
}

export interface GenderEstimate {
  value: Gender;
  source: 'metadata' | 'estimate';
}

/** P(male) of a standardised feature vector (its first weights.length entries; a policy input's gender slot and session inputs after them are not read). */
export function maleProbability(x: ArrayLike<number>, c: GenderClassifier): number {
  let z = c.bias;
  for (let j = 0; j < c.weights.length; j++) z += c.weights[j] * x[j];
  return 1 / (1 + Math.exp(-z));
}

/**
 * The gender a clip is judged with, one rule for analyze, sessions and verification: metadata
 * first; then the model's classifier over the standardised features `x`; then the prosody
 * layer's F0 estimate (a model without a classifier, or no features).
 */
export function genderFor(metadata: Gender | null | undefined, x: ArrayLike<number> | null, classifier: GenderClassifier | undefined, f0Estimate: GenderEstimate | null): GenderEstimate | null {
  if (metadata) return { value: metadata, source: 'metadata' };
  if (classifier && x) return { value: maleProbability(x, classifier) >= 0.5 ? 'male' : 'female', source: 'estimate' };
  return f0Estimate;
}

/** Checks perception.gender of a model file (`features`: the model's feature count). */
export function checkGenderClassifier(a: JsonAt, v: unknown, features: number | undefined): GenderClassifier {
  const o = obj(a, v, ['weights', 'bias', 'info']);
  const weights = numArray(...field(a, o, 'weights'), features, { min: -1e3, max: 1e3 });
  const bias = num(...field(a, o, 'bias'), { min: -1e3, max: 1e3 });
  const info = o.info === undefined ? undefined : scalarRecord(at(a, 'info'), o.info);
  return { weights, bias, ...(info ? { info } : {}) };
}
