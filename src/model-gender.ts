// Speaker gender for the model-free prosody commands (annotate, prosody), from an emotion model's
// gender classifier when the caller asks for it (--gender-model). The F0 rule those commands use
// calls an aroused man female (48 % of aroused male RAVDESS clips of actors 13-16), and with it
// the record's gender, pitch level and caption: the training targets a speech LLM learns from.
// Opt-in: the bundled classifier learnt RAVDESS's speakers and microphone, and on calm read speech
// of another corpus the F0 rule is the better guess (FDA: 1 % wrong against 3 %; README "Gender").
import { extractUtteranceFeatures } from './inference/featurize.js';
import { DEFAULT_MODEL_PATH, loadModel, type EmotionModel } from './inference/model.js';
import type { GenderEstimate } from './inference/gender.js';
import { clipGender } from './clip-gender.js';
import { invalidArg } from './errors.js';

/** The model whose classifier judges gender ('default': the bundled model). One without a classifier is ERR_INVALID_ARG naming the file. */
export function genderModel(file: string): EmotionModel {
  const path = file === 'default' ? DEFAULT_MODEL_PATH : file;
  const model = loadModel(path);
  if (!model.file.perception?.gender) throw invalidArg('this model has no gender classifier (perception.gender); train one with both genders in the corpus, or use the bundled model (default)', path);
  return model;
}

/** The classifier's gender for a clip: features of its speech span, as analyze judges it (null for a clip without voiced speech). */
export async function modelGenderOf(audio: string | Uint8Array, model: EmotionModel, options: { signal?: AbortSignal; maxDuration?: number } = {}): Promise<GenderEstimate | null> {
  const { features, prosody } = await extractUtteranceFeatures(audio, { signal: options.signal, maxDuration: options.maxDuration });
  return clipGender(null, features.values, prosody.gender, model);
}
