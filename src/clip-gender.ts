// The gender a clip is judged with, and the prosody summary restated with it: one rule for
// analyze, speaker sessions and verification (src/inference/gender.ts defines the estimate).
// Where the model's estimate differs from the prosody layer's F0 rule, the pitch level and the
// caption are recomputed so that they say what the claims were judged by.
import { genderFor, type GenderEstimate } from './inference/gender.js';
import { standardize } from './inference/featurize.js';
import type { EmotionModel } from './inference/model.js';
import { assignLevels, type Calibration, type Gender } from './level-calibration.js';
import { prosodyCaption } from './prosody-caption.js';
import type { ProsodyResult } from './prosody.js';

/**
 * Metadata first; then, for a voiced clip (one the F0 rule could judge), the model's classifier
 * over the clip's standardised feature values; then the F0 rule.
 */
export function clipGender(metadata: Gender | null | undefined, values: readonly (number | null)[] | null, f0Estimate: GenderEstimate | null, model: EmotionModel): GenderEstimate | null {
  if (!metadata && f0Estimate === null) return null;
  const c = model.file.perception?.gender;
  return genderFor(metadata, c && values && values.length === c.weights.length ? standardize(values, model.file.standardizer) : null, c, f0Estimate);
}

/**
 * A speaker's gender: metadata first; else the classifier over the mean of the speaker's
 * utterances' standardised features (`sum` over `n` utterances, a session's statistics). The
 * classifier is linear, so its answer on the mean vector is the sign of their mean log-odds: one
 * answer for all of a speaker's clips, which one aroused or noisy clip cannot flip (a clip alone is
 * misjudged on 1-8 % of clips, README "Gender"). Null without metadata and without a classifier
 * or utterances: the caller judges the clip alone (clipGender).
 */
export function speakerGender(metadata: Gender | null | undefined, sum: ArrayLike<number>, n: number, model: EmotionModel): GenderEstimate | null {
  const c = model.file.perception?.gender;
  if (!metadata && (!c || n <= 0)) return null;
  const mean = c && n > 0 ? new Float64Array(c.weights.length) : null;
  if (mean) for (let j = 0; j < mean.length; j++) mean[j] = sum[j] / n;
  return genderFor(metadata, mean, c, null);
}

/** `prosody` with `gender`: its levels (pitch cut points are per gender) and caption restated when the gender differs. */
export function withGender(prosody: ProsodyResult, gender: GenderEstimate | null, model: EmotionModel): ProsodyResult {
  return restatedGender(prosody, gender, model.file.calibration, model.file.corpus);
}

/** The same with the caller's cut points (annotate and prosody with --gender-model: their own calibration and corpus). */
export function restatedGender(prosody: ProsodyResult, gender: GenderEstimate | null, calibration: Calibration, corpus: string | undefined): ProsodyResult {
  const g = prosody.gender;
  if (g?.value === gender?.value && g?.source === gender?.source) return prosody;
  const p: ProsodyResult = { ...prosody, gender };
  if (prosody.levels) p.levels = assignLevels(p, calibration, { corpus });
  p.caption = prosodyCaption(p);
  return p;
}
