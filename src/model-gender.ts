// Speaker gender for the model-free prosody commands (annotate, prosody), from an emotion model's
// gender classifier when the caller asks for it (--gender-model). The F0 rule those commands use
// calls an aroused man female (48 % of aroused male RAVDESS clips of actors 13-16), and with it
// the record's gender, pitch level and caption: the training targets a speech LLM learns from.
// Opt-in: the bundled classifier learnt RAVDESS's speakers and microphone, and on calm read speech
// of another corpus the F0 rule is the better guess (FDA: 1 % wrong against 3 %; README "Gender").
import { extractUtteranceFeatures } from './inference/featurize.js';
import { DEFAULT_MODEL_PATH, loadModel, type EmotionModel } from './inference/model.js';
import { createHash } from 'node:crypto';
import { clipGender, restatedGender } from './clip-gender.js';
import type { Calibration, Gender } from './level-calibration.js';
import type { ProsodyResult } from './prosody.js';
import { invalidArg } from './errors.js';

/** The model whose classifier judges gender ('default': the bundled model). One without a classifier is ERR_INVALID_ARG naming the file. */
export function genderModel(file: string): EmotionModel {
  const path = file === 'default' ? DEFAULT_MODEL_PATH : file;
  const model = loadModel(path);
  if (!model.file.perception?.gender) throw invalidArg('this model has no gender classifier (perception.gender); train one with both genders in the corpus, or use the bundled model (default)', path);
  return model;
}

/**
 * `prosody` (the command's own analysis of `audio`) with the gender the model judges: metadata
 * first, else the classifier over the features of the clip's speech span, as analyze judges it;
 * the levels and caption restated with the command's calibration and corpus. A clip without
 * voiced speech keeps its analysis.
 */
export async function withModelGender(
  audio: string | Uint8Array,
  prosody: ProsodyResult,
  o: { model: EmotionModel; metadata?: Gender; calibration: Calibration; corpus?: string; signal?: AbortSignal },
): Promise<ProsodyResult> {
  // With metadata the analysis already carries it (the commands pass it to extractProsody): no second pass.
  if (o.metadata) return prosody;
  const { features, prosody: utterance } = await extractUtteranceFeatures(audio, { signal: o.signal });
  const g = clipGender(null, features.values, utterance.gender, o.model);
  return g ? restatedGender(prosody, g, o.calibration, o.corpus) : prosody;
}

/** What a record's gender estimate came from: the F0 rule, or a classifier (a digest of its weights), so a resumed annotate run cannot mix the two. */
export function genderEstimator(model: EmotionModel | undefined): string {
  const c = model?.file.perception?.gender;
  return c ? `classifier:${createHash('sha256').update(JSON.stringify([c.weights, c.bias])).digest('hex').slice(0, 12)}` : 'f0-rule';
}
