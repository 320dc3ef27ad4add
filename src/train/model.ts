// A trained emotion model as one JSON file: the policy's parameters plus everything needed to
// turn a clip into its input (feature definition, standardiser, calibration) and the judge's
// cue–emotion associations. The default model ships in models/default.json.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../atomic-file.js';
import path from 'node:path';
import { EmotionThinkerError } from '../errors.js';
import { packageRoot } from '../native.js';
import { parseCalibration, type Calibration } from '../prosody-calibration.js';
import { FEATURE_NAMES, FEATURE_VERSION, type Standardizer } from './featurize.js';
import type { Associations } from './judge.js';
import { Policy, type PolicyShape } from './policy.js';

export interface EmotionModelFile {
  format: 'emotionthinker-model';
  version: 1;
  featureVersion: number;
  featureNames: string[];
  standardizer: Standardizer;
  calibration: Calibration;
  /** Calibration group the model's levels come from (the training corpus). */
  corpus: string;
  associations: Associations;
  policy: { shape: PolicyShape; params: number[] };
  /** Provenance: data, mode, seed, steps, validation figures. */
  info: Record<string, unknown>;
}

export interface EmotionModel {
  file: EmotionModelFile;
  policy: Policy;
}

export function modelFile(policy: Policy, parts: Omit<EmotionModelFile, 'format' | 'version' | 'featureVersion' | 'featureNames' | 'policy'>): EmotionModelFile {
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

export function parseModel(json: unknown, input: string): EmotionModel {
  const m = json as EmotionModelFile;
  const bad = (why: string) => new EmotionThinkerError('ERR_INVALID_ARG', `not a usable emotion model: ${why}`, { input });
  if (!m || m.format !== 'emotionthinker-model') throw bad('format is not "emotionthinker-model"');
  if (m.version !== 1) throw bad(`version ${String(m.version)} is not supported (expected 1)`);
  if (m.featureVersion !== FEATURE_VERSION || JSON.stringify(m.featureNames) !== JSON.stringify(FEATURE_NAMES)) {
    throw bad(`it was trained on feature set ${m.featureVersion}; this version computes feature set ${FEATURE_VERSION}`);
  }
  try {
    const policy = new Policy(m.policy.shape, Float64Array.from(m.policy.params));
    if (policy.shape.inputs !== FEATURE_NAMES.length + 1) throw new Error(`policy expects ${policy.shape.inputs} inputs`);
    return { file: { ...m, calibration: parseCalibration(m.calibration, input) }, policy };
  } catch (err) {
    throw bad((err as Error).message);
  }
}

export function loadModel(file: string): EmotionModel {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new EmotionThinkerError('ERR_FILE', `cannot read model (${(err as NodeJS.ErrnoException).code ?? err})`, { input: file, cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new EmotionThinkerError('ERR_INVALID_ARG', `model is not valid JSON (${(err as Error).message})`, { input: file });
  }
  return parseModel(json, file);
}

export const DEFAULT_MODEL_PATH = path.join(packageRoot, 'models', 'default.json');

let cached: EmotionModel | undefined;

/** The model that ships with the package (trained on RAVDESS actors 01–16 with GRPO-PTR). */
export function defaultModel(): EmotionModel {
  cached ??= loadModel(DEFAULT_MODEL_PATH);
  return cached;
}
