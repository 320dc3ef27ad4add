// Checks an emotion model file (models/default.json and what `train` writes) field by field
// before anything uses it: a tampered or damaged file must fail with the file and the field
// named, never load and answer with numbers computed from NaN, a short standardiser or an
// out-of-range feature index.
import { checkCalibration } from '../calibration-schema.js';
import type { Calibration } from '../calibration-types.js';
import { arr, at, bad, field, jsonError, noPrototypeKeys, num, numArray, obj, str, type JsonAt } from '../json-check.js';
import { FEATURE_NAMES, FEATURE_VERSION, type Standardizer } from './featurize.js';
import type { Associations } from './judge.js';
import { policyLayout, type PolicyShape } from './policy.js';
import { MAX_ENSEMBLE_MEMBERS } from './ensemble.js';
import { checkPerception, policyInputCount, type Perception } from './perception.js';
import { CLAIM_VALUES, CUES, EMOTIONS } from './vocab.js';

/** A trained emotion model as stored (models/default.json, what `train` writes). */
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
  /**
   * Further members of an ensemble (same shape as `policy`, other seeds): analyze decodes from
   * `policy` and all of these (src/inference/ensemble.ts). Absent: `policy` alone.
   */
  ensemble?: { params: number[] }[];
  /** Provenance: data, mode, seed, steps, validation figures. */
  info: Record<string, unknown>;
  /** Gain-invariant energy cuts, probability temperature, out-of-range limit (perception.ts; optional). */
  perception?: Perception;
}

/**
 * Largest magnitude accepted for a parameter, a standardiser mean or sd. Trained values are
 * within ±100; anything near this bound means a damaged file (and would overflow tanh/exp).
 */
export const MAX_ABS_VALUE = 1e6;
/** Largest hidden layer width accepted (the shipped model uses 64 and 32). */
export const MAX_HIDDEN = 4096;
/** How far a row of association probabilities may be from summing to 1 (float rounding). */
const ASSOCIATION_SUM_TOLERANCE = 1e-6;

const MODEL_KEYS = ['format', 'version', 'featureVersion', 'featureNames', 'standardizer', 'calibration', 'corpus', 'associations', 'policy', 'ensemble', 'info', 'perception'] as const;
const finite = { min: -MAX_ABS_VALUE, max: MAX_ABS_VALUE };

/** policy.shape (also a checkpoint's shape): widths, and feature indices within `inputs`. */
export function checkPolicyShape(a: JsonAt, v: unknown, inputs?: number): PolicyShape {
  const o = obj(a, v, ['inputs', 'hidden', 'cueHidden', 'cueFeatures']);
  const [ia, iv] = field(a, o, 'inputs');
  const n = num(ia, iv, { integer: true, min: 1 });
  if (inputs !== undefined && n !== inputs) bad(ia, n, `${inputs} (the features plus gender)`);
  const hidden = num(...field(a, o, 'hidden'), { integer: true, min: 1, max: MAX_HIDDEN });
  const cueHidden = num(...field(a, o, 'cueHidden'), { integer: true, min: 1, max: MAX_HIDDEN });
  const ca = at(a, 'cueFeatures');
  const lists = arr(ca, field(a, o, 'cueFeatures')[1], CUES.length);
  const cueFeatures = lists.map((list, k) => {
    const la = at(ca, k);
    const idx = numArray(la, list, undefined, { integer: true, min: 0, max: n - 1 });
    if (idx.length === 0) bad(la, list, `a non-empty list of feature indices for the ${CUES[k]} claim`);
    return [...idx];
  });
  return { inputs: n, hidden, cueHidden, cueFeatures };
}

/** A parameter vector of exactly the size `shape` needs, every value finite and bounded. */
export function checkParams(a: JsonAt, v: unknown, shape: PolicyShape): Float64Array {
  return Float64Array.from(numArray(a, v, policyLayout(shape).size, finite));
}

function checkFeatureNames(a: JsonAt, v: unknown): string[] {
  const names = arr(a, v);
  names.forEach((s, i) => str(at(a, i), s));
  const first = FEATURE_NAMES.findIndex((name, i) => names[i] !== name);
  if (first >= 0) {
    throw jsonError(
      at(a, first),
      first < names.length
        ? `is ${JSON.stringify(names[first])} but this version computes ${JSON.stringify(FEATURE_NAMES[first])} there (feature set ${FEATURE_VERSION}); the model was trained on other features`
        : `is missing: the model has ${names.length} features, this version computes ${FEATURE_NAMES.length} (feature set ${FEATURE_VERSION})`,
    );
  }
  if (names.length !== FEATURE_NAMES.length) {
    throw jsonError(a, `has ${names.length} names; this version computes ${FEATURE_NAMES.length} (feature set ${FEATURE_VERSION})`);
  }
  return FEATURE_NAMES;
}

function checkAssociations(a: JsonAt, v: unknown): Associations {
  const o = obj(a, v, CUES);
  const out = {} as Associations;
  for (const cue of CUES) {
    const values = CLAIM_VALUES[cue].slice(1);
    const ca = at(a, cue);
    const co = obj(ca, field(a, o, cue)[1], values);
    out[cue] = {};
    for (const value of values) {
      const ra = at(ca, value);
      const row = numArray(ra, field(ca, co, value)[1], EMOTIONS.length, { min: 0, max: 1 });
      const sum = row.reduce((s, p) => s + p, 0);
      if (Math.abs(sum - 1) > ASSOCIATION_SUM_TOLERANCE) throw jsonError(ra, `sums to ${sum}; expected probabilities over ${EMOTIONS.length} emotions summing to 1`);
      out[cue][value] = [...row];
    }
  }
  return out;
}

/**
 * Checks a parsed model file and returns a clean copy (same fields, checked values). `file`
 * names the model in errors (a path, or a description for an in-memory object).
 */
export function checkModelFile(file: string, json: unknown): { file: EmotionModelFile; params: Float64Array; members: Float64Array[] } {
  const a: JsonAt = { file, what: 'emotion model', path: '' };
  const o = obj(a, json, MODEL_KEYS);
  str(...field(a, o, 'format'), ['emotionthinker-model']);
  num(...field(a, o, 'version'), { integer: true, min: 1, max: 1 });
  const fva = at(a, 'featureVersion');
  const fv = field(a, o, 'featureVersion')[1];
  if (fv !== FEATURE_VERSION) bad(fva, fv, `${FEATURE_VERSION}: this version computes feature set ${FEATURE_VERSION}; retrain the model`);
  const featureNames = checkFeatureNames(...field(a, o, 'featureNames'));
  const F = featureNames.length;

  const sa = at(a, 'standardizer');
  const so = obj(sa, field(a, o, 'standardizer')[1], ['mean', 'std']);
  const mean = numArray(...field(sa, so, 'mean'), F, finite);
  const std = numArray(...field(sa, so, 'std'), F, { above: 0, max: MAX_ABS_VALUE });

  const calibration = checkCalibration(at(a, 'calibration'), field(a, o, 'calibration')[1]);
  const groups = Object.keys(calibration.corpora);
  const corpus = str(at(a, 'corpus'), field(a, o, 'corpus')[1]);
  if (!groups.includes(corpus)) bad(at(a, 'corpus'), corpus, groups.length ? `one of the calibration's groups (${groups.join(', ')})` : 'a calibration group, but calibration.corpora is empty');
  const associations = checkAssociations(...field(a, o, 'associations'));

  const perception = o.perception === undefined ? undefined : checkPerception(at(a, 'perception'), o.perception, F);
  const pa = at(a, 'policy');
  const po = obj(pa, field(a, o, 'policy')[1], ['shape', 'params']);
  // A speaker-session model also reads the F features (and its speaker levels) z-scored within the speaker.
  const shape = checkPolicyShape(...field(pa, po, 'shape'), policyInputCount(F, perception));
  const params = checkParams(...field(pa, po, 'params'), shape);
  const members = [params];
  if (o.ensemble !== undefined) {
    const ea = at(a, 'ensemble');
    // policy is the first member; the list holds the others.
    const list = arr(ea, o.ensemble);
    if (list.length === 0 || list.length > MAX_ENSEMBLE_MEMBERS - 1) throw jsonError(ea, `holds ${list.length} members; expected 1 to ${MAX_ENSEMBLE_MEMBERS - 1} further members (the policy is the first)`);
    list.forEach((m, k) => {
      const ma = at(ea, k);
      const mo = obj(ma, m, ['params']);
      members.push(checkParams(...field(ma, mo, 'params'), shape));
    });
  }

  const [ia, info] = field(a, o, 'info');
  obj(ia, info);
  noPrototypeKeys(ia, info);

  return {
    file: {
      format: 'emotionthinker-model',
      version: 1,
      featureVersion: FEATURE_VERSION,
      featureNames,
      standardizer: { mean: [...mean], std: [...std] },
      calibration,
      corpus,
      associations,
      policy: { shape, params: [...params] },
      ...(members.length > 1 ? { ensemble: members.slice(1).map((m) => ({ params: [...m] })) } : {}),
      info: info as Record<string, unknown>,
      ...(perception ? { perception } : {}),
    },
    params,
    members,
  };
}
