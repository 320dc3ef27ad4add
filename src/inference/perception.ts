// What the model file adds for perception that holds outside the studio (issue #16): the vocal
// effort cut points behind the energy claims, the temperature that calibrates the emotion
// probabilities, and the limit beyond which an input counts as out of the training range.
// Optional in the file: a model without it falls back to uncalibrated behaviour (temperature 1,
// no out-of-range check) and, for energy, to the absolute-level calibration.
import { arr, at, bad, field, num, numArray, obj, scalarRecord, str, type JsonAt } from '../json-check.js';
import { SPEAKER_LEVEL_FEATURES } from './speaker-levels.js';
import { checkGenderClassifier, type GenderClassifier } from './gender.js';
import type { EnergyLevel } from '../level-calibration.js';

export interface Perception {
  /**
   * Vocal effort (UtteranceFeatures.effortDb) cut points [low|normal, normal|high]: tertiles over
   * the training clips. Gain-invariant, unlike RMS dBFS.
   */
  effortCuts: [number, number];
  /** Softmax temperature of the emotion head, fitted on held-out training folds (1 = none). */
  temperature: number;
  /**
   * Out-of-range check: a clip is outside the training range when more than `outlierShareLimit`
   * of its standardised features lie beyond ±`outlierZ` (the limit is a high quantile of that
   * share over the training clips).
   */
  outlierZ: number;
  outlierShareLimit: number;
  /**
   * The policy also reads every feature z-scored within the speaker (inputs 2F + 1): a model for
   * speaker sessions (src/speaker-session.ts), which cannot answer a lone clip.
   */
  speakerInputs?: boolean;
  /**
   * A session model of feature set 7 with speaker levels also reads these absolute levels
   * z-scored within the speaker (inputs 2F + 1 + names.length; src/inference/speaker-levels.ts):
   * their names and the population's within-speaker sd (dB) the session shrinks toward.
   */
  speakerLevels?: { names: string[]; sd: number[] };
  /** Provenance of the temperature: folds, clips, ECE before and after. */
  calibrationInfo?: Record<string, number | string>;
  /** Speaker gender from the standardised features when no metadata gives it (gender.ts); absent: the F0 rule. */
  gender?: GenderClassifier;
}

/** Policy inputs of a model: the features and gender, a session model's within-speaker z-scores, its speaker levels. */
export function policyInputCount(features: number, perception: Perception | undefined): number {
  return perception?.speakerInputs ? 2 * features + 1 + (perception.speakerLevels?.names.length ?? 0) : features + 1;
}

/** |z| beyond which a standardised feature counts as an outlier. */
export const OUTLIER_Z = 4;
/** Quantile of the training clips' outlier share that sets the limit. */
export const OUTLIER_QUANTILE = 0.99;

export function levelOf(value: number | null, cuts: [number, number] | null): EnergyLevel | null {
  if (value === null || !Number.isFinite(value) || !cuts) return null;
  return value < cuts[0] ? 'low' : value >= cuts[1] ? 'high' : 'normal';
}

/**
 * Softmax of log p / t: the emotion probabilities at temperature t. The one definition, used where
 * the temperature is fitted (src/train/confidence.ts) and where it is applied (analyze).
 */
export function temperatureScale(p: ArrayLike<number>, t: number): Float64Array {
  const z = Float64Array.from(p, (v) => Math.log(Math.max(v, 1e-300)) / t);
  let m = -Infinity;
  for (const v of z) m = Math.max(m, v);
  let s = 0;
  for (let i = 0; i < z.length; i++) s += (z[i] = Math.exp(z[i] - m));
  return z.map((v) => v / s);
}

/** Share of a standardised vector's entries beyond ±z. */
export function outlierShare(x: ArrayLike<number>, count: number, z = OUTLIER_Z): number {
  let k = 0;
  for (let j = 0; j < count; j++) if (Math.abs(x[j]) > z) k++;
  return count ? k / count : 0;
}

/** Checks the optional `perception` field of a model file (`features`: the model's feature count). */
export function checkPerception(a: JsonAt, v: unknown, features?: number): Perception {
  const o = obj(a, v, ['effortCuts', 'temperature', 'outlierZ', 'outlierShareLimit', 'speakerInputs', 'speakerLevels', 'calibrationInfo', 'gender']);
  const cuts = numArray(...field(a, o, 'effortCuts'), 2, { min: -1000, max: 1000 });
  if (!(cuts[0] <= cuts[1])) bad(at(a, 'effortCuts'), cuts, 'two ascending cut points');
  const temperature = num(...field(a, o, 'temperature'), { above: 0, max: 100 });
  const outlierZ = num(...field(a, o, 'outlierZ'), { above: 0, max: 100 });
  const outlierShareLimit = num(...field(a, o, 'outlierShareLimit'), { min: 0, max: 1 });
  if (o.speakerInputs !== undefined && typeof o.speakerInputs !== 'boolean') bad(at(a, 'speakerInputs'), o.speakerInputs, 'true or false');
  const speakerInputs = o.speakerInputs === true;
  let speakerLevels: Perception['speakerLevels'];
  if (o.speakerLevels !== undefined) {
    const la = at(a, 'speakerLevels');
    if (!speakerInputs) bad(la, o.speakerLevels, 'no speaker levels (they need speakerInputs: true)');
    const lo = obj(la, o.speakerLevels, ['names', 'sd']);
    const [na, nv] = field(la, lo, 'names');
    const list = arr(na, nv);
    if (list.length === 0 || list.length > SPEAKER_LEVEL_FEATURES.length) bad(na, nv, `1 to ${SPEAKER_LEVEL_FEATURES.length} names`);
    const names = list.map((n, k) => str(at(na, k), n, SPEAKER_LEVEL_FEATURES));
    if (new Set(names).size !== names.length) bad(na, nv, 'distinct names');
    const sd = numArray(...field(la, lo, 'sd'), names.length, { above: 0, max: 200 });
    speakerLevels = { names, sd };
  }
  const calibrationInfo = o.calibrationInfo === undefined ? undefined : scalarRecord(at(a, 'calibrationInfo'), o.calibrationInfo);
  const gender = o.gender === undefined ? undefined : checkGenderClassifier(at(a, 'gender'), o.gender, features);
  return { effortCuts: [cuts[0], cuts[1]], temperature, outlierZ, outlierShareLimit, ...(speakerInputs ? { speakerInputs } : {}), ...(speakerLevels ? { speakerLevels } : {}), ...(calibrationInfo ? { calibrationInfo } : {}), ...(gender ? { gender } : {}) };
}
