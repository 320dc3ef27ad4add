// A trained emotion model as one JSON file: the policy's parameters plus everything needed to
// turn a clip into its input (feature definition, standardiser, calibration) and the judge's
// cue–emotion associations. The default model ships in models/default.json.
import { writeFileAtomic } from '../atomic-file.js';
import path from 'node:path';
import { EmotionThinkerError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { parseJsonText, readJsonFileText } from '../json-check.js';
import { FEATURE_NAMES, FEATURE_VERSION } from './featurize.js';
import { checkModelFile, type EmotionModelFile } from './model-schema.js';
import { Policy } from './policy.js';
import { asMembers } from './ensemble.js';
import type { Perception } from './perception.js';

/** The file's format and its check are in model-schema.ts. */
export type { EmotionModelFile } from './model-schema.js';

export interface EmotionModel {
  file: EmotionModelFile;
  /** The policy (an ensemble's first member). */
  policy: Policy;
  /**
   * Every member of an ensemble model, `policy` first (src/inference/ensemble.ts decodes from all
   * of them). Absent or of length 1: `policy` alone.
   */
  members?: readonly Policy[];
}

/** The policies a model decodes from: its ensemble's members, or its one policy. */
export function membersOf(model: EmotionModel): readonly Policy[] {
  return model.members?.length ? model.members : [model.policy];
}

/**
 * A model file from a trained policy, or from the members of an ensemble (the first is stored as
 * `policy`, the others as `ensemble`; all must have the first's shape).
 */
export function modelFile(policy: Policy | readonly Policy[], parts: Omit<EmotionModelFile, 'format' | 'version' | 'featureVersion' | 'featureNames' | 'policy' | 'ensemble' | 'perception'> & { perception?: Perception }): EmotionModelFile {
  const members = asMembers(policy);
  if (members.length === 0) throw new EmotionThinkerError('ERR_INVALID_ARG', 'modelFile needs at least one policy');
  const first = members[0];
  members.forEach((m, k) => {
    if (m.params.length !== first.params.length || JSON.stringify(m.shape) !== JSON.stringify(first.shape)) {
      throw new EmotionThinkerError('ERR_INVALID_ARG', `modelFile: ensemble member ${k} has another shape than member 0`);
    }
  });
  const stored = (m: Policy) => Array.from(m.params, (v) => Math.fround(v));
  return {
    format: 'emotionthinker-model',
    version: 1,
    featureVersion: FEATURE_VERSION,
    featureNames: FEATURE_NAMES,
    ...parts,
    policy: { shape: first.shape, params: stored(first) },
    ...(members.length > 1 ? { ensemble: members.slice(1).map((m) => ({ params: stored(m) })) } : {}),
  };
}

/** Writes the model atomically (src/atomic-file.ts): a failed write leaves any old file whole. */
export function saveModel(file: string, model: EmotionModelFile): void {
  writeFileAtomic(file, JSON.stringify(model));
}

/** Checks a parsed model file fully (model-schema.ts); errors are ERR_MODEL_FORMAT naming `input` and the field. */
export function parseModel(json: unknown, input: string): EmotionModel {
  const { file, members } = checkModelFile(input, json);
  const policies = members.map((params) => new Policy(file.policy.shape, params));
  return { file, policy: policies[0], members: policies };
}

export function loadModel(file: string): EmotionModel {
  // A number would be read as a file descriptor (0: standard input, synchronously).
  if (typeof file !== 'string' || file === '') throw new EmotionThinkerError('ERR_INVALID_ARG', `loadModel: the model file must be a non-empty path string; got ${file === '' ? 'an empty string' : typeof file}`);
  return parseModel(parseJsonText(readJsonFileText(file, 'model'), file, 'model'), file);
}

export const DEFAULT_MODEL_PATH = path.join(packageRoot, 'models', 'default.json');

let cached: EmotionModel | undefined;

/** The model that ships with the package (trained on RAVDESS actors 01–16 with GRPO-PTR). */
export function defaultModel(): EmotionModel {
  cached ??= loadModel(DEFAULT_MODEL_PATH);
  return cached;
}

/**
 * The `model` option of every call that reads one: a model file path, a loaded model (loadModel,
 * parseModel, defaultModel), or undefined for `fallback` (the bundled model). Anything else is
 * ERR_INVALID_ARG naming it: `model: {}` failed deep inside with an uncoded TypeError.
 */
export function modelOption(m: unknown, fallback: () => EmotionModel = defaultModel): EmotionModel {
  if (m === undefined) return fallback();
  if (typeof m === 'string') return loadModel(m);
  const o = m as Partial<EmotionModel> | null;
  if (o !== null && typeof o === 'object' && o.policy instanceof Policy && o.file !== null && typeof o.file === 'object') return o as EmotionModel;
  const what = m === null ? 'null' : Array.isArray(m) ? 'an array' : typeof m === 'object' ? 'an object that is not a loaded model' : typeof m;
  throw new EmotionThinkerError('ERR_INVALID_ARG', `options.model must be a model file path or a model from loadModel()/defaultModel(); got ${what}`);
}
