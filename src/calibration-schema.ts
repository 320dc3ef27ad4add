// Checks a level calibration read from JSON (a calibration file, or the `calibration` part of a
// model file): every cut is finite and the lower cut does not exceed the upper one, counts are
// integers, group names cannot reach Object.prototype. A reversed or NaN cut would silently
// label every clip "normal" (or nothing at all), so it is an error here.
import { at, bad, field, num, numArray, obj, str, type JsonAt } from './json-check.js';
import type { Calibration } from './calibration-types.js';

type CutSet = Calibration['pooled'];
type Cuts = CutSet['pitch'];

const CALIBRATION_KEYS = ['version', 'quantiles', 'minGroup', 'features', 'pooled', 'corpora', 'source'] as const;
const FEATURES = { pitch: 'f0MedianHz', energy: 'rmsMeanDbfs', speed: 'articulationRate' } as const;
const CUT_SET_KEYS = ['n', 'pitch', 'energy', 'speed', 'pitchByGender'] as const;
const GENDERS = ['male', 'female'] as const;
const count = { integer: true, min: 0 };

function cuts(a: JsonAt, v: unknown): Cuts {
  if (v === null) return null;
  const [lo, hi] = numArray(a, v, 2);
  if (!(lo <= hi)) bad(a, v, 'two cut points in increasing order (lower cut first)');
  return [lo, hi];
}

function cutSet(a: JsonAt, v: unknown): CutSet {
  const o = obj(a, v, CUT_SET_KEYS);
  const byGender = obj(...field(a, o, 'pitchByGender'), GENDERS);
  const pitchByGender: CutSet['pitchByGender'] = {};
  for (const g of GENDERS) {
    if (byGender[g] === undefined) continue;
    const ga = at(at(a, 'pitchByGender'), g);
    const go = obj(ga, byGender[g], ['n', 'cuts']);
    pitchByGender[g] = { n: num(...field(ga, go, 'n'), count), cuts: cuts(...field(ga, go, 'cuts')) };
  }
  return {
    n: num(...field(a, o, 'n'), count),
    pitch: cuts(...field(a, o, 'pitch')),
    energy: cuts(...field(a, o, 'energy')),
    speed: cuts(...field(a, o, 'speed')),
    pitchByGender,
  };
}

/** Checks and copies a calibration; `corpora` comes back without a prototype (a safe map). */
export function checkCalibration(a: JsonAt, v: unknown): Calibration {
  const o = obj(a, v, CALIBRATION_KEYS);
  num(...field(a, o, 'version'), { integer: true, min: 1, max: 1 });
  const qa = at(a, 'quantiles');
  const [q0, q1] = numArray(qa, field(a, o, 'quantiles')[1], 2);
  if (!(q0 > 0 && q0 < q1 && q1 < 1)) bad(qa, [q0, q1], 'two quantiles with 0 < q0 < q1 < 1');
  const minGroup = num(...field(a, o, 'minGroup'), { integer: true, min: 1 });
  const fa = at(a, 'features');
  const fo = obj(fa, field(a, o, 'features')[1], Object.keys(FEATURES));
  for (const [k, name] of Object.entries(FEATURES)) str(...field(fa, fo, k), [name]);
  const pooled = cutSet(at(a, 'pooled'), field(a, o, 'pooled')[1]);
  const ca = at(a, 'corpora');
  const co = obj(ca, field(a, o, 'corpora')[1]);
  const corpora: Record<string, CutSet> = Object.create(null);
  for (const [name, set] of Object.entries(co)) corpora[name] = cutSet(at(ca, name), set);
  const out: Calibration = { version: 1, quantiles: [q0, q1], minGroup, features: { ...FEATURES }, pooled, corpora };
  if (o.source !== undefined) out.source = str(at(a, 'source'), o.source);
  return out;
}

/** Group names a calibration has cut points for (a model's `corpus` must be one of them). */
export function calibrationGroups(cal: Calibration): string[] {
  return Object.keys(cal.corpora);
}
