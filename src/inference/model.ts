// A trained emotion model as one JSON file: the policy's parameters plus everything needed to
// turn a clip into its input (feature definition, standardiser, calibration) and the judge's
// cue–emotion associations. The default model ships in models/default.json.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../atomic-file.js';
import path from 'node:path';
import { EmotionThinkerError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { parseJsonText } from '../json-check.js';
import { FEATURE_NAMES, FEATURE_VERSION } from './featurize.js';
import { checkModelFile, type EmotionModelFile } from './model-schema.js';
import { Policy } from './policy.js';
import type { Perception } from './perception.js';

/** The file's format and its check are in model-schema.ts. */
export type { EmotionModelFile } from './model-schema.js';

export interface EmotionModel {
  file: EmotionModelFile;
  policy: Policy;
}

export function modelFile(policy: Policy, parts: Omit<EmotionModelFile, 'format' | 'version' | 'featureVersion' | 'featureNames' | 'policy' | 'perception'> & { perception?: Perception }): EmotionModelFile {
  return {
    format: 'emotionthinker-model',
    version: 1,
    featureVersion: FEATURE_VERSION,
    featureNames: FEATURE_NAMES,
    ...parts,
    policy: { shape: policy.shape, params: Array.from(policy.params, (v) => Math.fround(v)) },
  };
}

/** Writes the model atomically (src/atomic-file.ts): a failed write leaves any old file whole. */
export function saveModel(file: string, model: EmotionModelFile): void {
  writeFileAtomic(file, JSON.stringify(model));
}

/** Checks a parsed model file fully (model-schema.ts); errors are ERR_MODEL_FORMAT naming `input` and the field. */
export function parseModel(json: unknown, input: string): EmotionModel {
  const { file, params } = checkModelFile(input, json);
  return { file, policy: new Policy(file.policy.shape, params) };
}

export function loadModel(file: string): EmotionModel {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new EmotionThinkerError('ERR_FILE', `cannot read model (${(err as NodeJS.ErrnoException).code ?? err})`, { input: file, cause: err });
  }
  return parseModel(parseJsonText(text, file, 'model'), file);
}

export const DEFAULT_MODEL_PATH = path.join(packageRoot, 'models', 'default.json');

let cached: EmotionModel | undefined;

/** The model that ships with the package (trained on RAVDESS actors 01–16 with GRPO-PTR). */
export function defaultModel(): EmotionModel {
  cached ??= loadModel(DEFAULT_MODEL_PATH);
  return cached;
}
