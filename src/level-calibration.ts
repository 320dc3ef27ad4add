// Level calibration (pitch / energy / speed): fitting cut points, loading and saving them, and
// assigning a clip's levels. Its types are in calibration-types.ts, the file check in
// calibration-schema.ts; the caption and the EmotionCoT record that word the levels are in
// prosody-caption.ts.
//
// Features: pitch = F0 median (Hz), energy = mean frame RMS over speech (sounding) frames in
// dBFS, speed = articulation rate (syllables per second of phonation). Cut points are quantiles
// (tertiles by default) fitted per corpus, and for pitch per corpus × gender; a group with fewer
// than `minGroup` (50) clips falls back to the pooled cuts (pitch: pooled over corpora for that
// gender, then pooled over everything). Levels: value < cut[0] → low/slow, ≥ cut[1] → high/fast.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic-file.js';
import path from 'node:path';
import { checkCalibration } from './calibration-schema.js';
import { EmotionThinkerError, invalidArg } from './errors.js';
import { jsonRoot, parseJsonText, readJsonFileText } from './json-check.js';
import { packageRoot } from './package-root.js';
import type { Calibration, CalibrationFeatures, CalibrationSample, CutSet, Cuts, Gender, Levels } from './calibration-types.js';

export type { Calibration, CalibrationFeatures, CalibrationSample, EnergyLevel, Gender, Levels, PitchLevel, SpeedLevel } from './calibration-types.js';

function quantile(sorted: number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const i = Math.floor(pos);
  return i + 1 >= sorted.length ? sorted[sorted.length - 1] : sorted[i] + (sorted[i + 1] - sorted[i]) * (pos - i);
}

function cutsOf(values: (number | null | undefined)[], q: [number, number], minGroup: number): Cuts {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length < minGroup || v.length === 0) return null;
  return [quantile(v, q[0]), quantile(v, q[1])];
}

function cutSet(samples: CalibrationSample[], q: [number, number], minGroup: number): CutSet {
  const set: CutSet = {
    n: samples.length,
    pitch: cutsOf(samples.map((s) => s.f0MedianHz), q, minGroup),
    energy: cutsOf(samples.map((s) => s.rmsDbfs), q, minGroup),
    speed: cutsOf(samples.map((s) => s.articulationRate), q, minGroup),
    pitchByGender: {},
  };
  for (const g of ['male', 'female'] as Gender[]) {
    const sub = samples.filter((s) => s.gender === g);
    if (sub.length) set.pitchByGender[g] = { n: sub.length, cuts: cutsOf(sub.map((s) => s.f0MedianHz), q, minGroup) };
  }
  return set;
}

/** Turns a result (or any CalibrationFeatures) into a calibration sample. */
export function calibrationSample(f: CalibrationFeatures, meta: { corpus?: string; gender?: Gender | null } = {}): CalibrationSample {
  return {
    corpus: meta.corpus,
    gender: meta.gender ?? f.gender?.value ?? null,
    f0MedianHz: f.functionals.f0MedianHz ?? null,
    rmsDbfs: f.functionals.rmsMeanDbfs ?? null,
    articulationRate: f.functionals.articulationRate ?? null,
  };
}

export interface FitOptions {
  /** Lower and upper cut quantiles (default tertiles [1/3, 2/3]). */
  quantiles?: [number, number];
  /** Smallest group that gets its own cuts (default 50). */
  minGroup?: number;
  source?: string;
}

/** Fits level cut points from samples grouped by corpus (and gender for pitch). */
export function fitCalibration(samples: CalibrationSample[], options: FitOptions = {}): Calibration {
  if (!Array.isArray(samples) || samples.length === 0) throw invalidArg('fitCalibration needs a non-empty array of samples');
  const quantiles = options.quantiles ?? [1 / 3, 2 / 3];
  const minGroup = options.minGroup ?? 50;
  if (!(quantiles[0] > 0 && quantiles[0] < quantiles[1] && quantiles[1] < 1)) throw invalidArg('quantiles must satisfy 0 < q0 < q1 < 1');
  if (!Number.isInteger(minGroup) || minGroup < 1) throw invalidArg('minGroup must be a positive integer');
  // No prototype: a corpus named "__proto__" or "constructor" is a key like any other.
  const corpora: Record<string, CutSet> = Object.create(null);
  for (const name of new Set(samples.map((s) => s.corpus ?? 'default'))) {
    corpora[name] = cutSet(samples.filter((s) => (s.corpus ?? 'default') === name), quantiles, minGroup);
  }
  return {
    version: 1,
    quantiles,
    minGroup,
    features: { pitch: 'f0MedianHz', energy: 'rmsMeanDbfs', speed: 'articulationRate' },
    pooled: cutSet(samples, quantiles, 1),
    corpora,
    source: options.source,
  };
}

export function saveCalibration(cal: Calibration, file: string): void {
  writeFileAtomic(file, JSON.stringify(cal, null, 2) + '\n');
}

/** Checks a parsed calibration fully (calibration-schema.ts); errors are ERR_MODEL_FORMAT naming `input` and the field. */
export function parseCalibration(json: unknown, input = 'calibration'): Calibration {
  return checkCalibration(jsonRoot(input, 'calibration'), json);
}

export function loadCalibration(file: string): Calibration {
  // A number would be read as a file descriptor (0: standard input, synchronously).
  if (typeof file !== 'string' || file === '') throw new EmotionThinkerError('ERR_INVALID_ARG', `loadCalibration: the calibration file must be a non-empty path string; got ${file === '' ? 'an empty string' : typeof file}`);
  return parseCalibration(parseJsonText(readJsonFileText(file, 'calibration'), file, 'calibration'), file);
}

let defaultCal: Calibration | undefined;
/** The calibration shipped with the package (fitted on RAVDESS per gender; scripts/fit-calibration.mjs). */
export function defaultCalibration(): Calibration {
  if (defaultCal) return defaultCal;
  const candidates = [path.join(packageRoot, 'src', 'calibration', 'default.json'), path.join(packageRoot, 'dist', 'calibration', 'default.json')];
  for (const f of candidates) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue; // not at this location; try the next
    }
    // Present but damaged is an error of its own, not "missing".
    defaultCal = parseCalibration(parseJsonText(text, f, 'calibration'), f);
    return defaultCal;
  }
  throw new EmotionThinkerError('ERR_FILE', 'the default calibration (src/calibration/default.json) is missing from this install');
}

function level<T extends string>(v: number | null | undefined, cuts: Cuts, names: [T, T, T]): T | null {
  if (v === null || v === undefined || !Number.isFinite(v) || !cuts) return null;
  return v < cuts[0] ? names[0] : v >= cuts[1] ? names[2] : names[1];
}

/** Applies cut points to one clip. `corpus` picks the group; unknown or small groups use pooled cuts. */
export function assignLevels(f: CalibrationFeatures, cal: Calibration, opts: { corpus?: string; gender?: Gender | null } = {}): Levels {
  const s = calibrationSample(f, opts);
  const group = opts.corpus !== undefined && Object.hasOwn(cal.corpora, opts.corpus) ? cal.corpora[opts.corpus] : undefined;
  const name = opts.corpus ?? 'pooled';
  const pick = (k: 'energy' | 'speed'): [Cuts, string] => (group?.[k] ? [group[k], name] : [cal.pooled[k], 'pooled']);
  let pitch: [Cuts, string] = [cal.pooled.pitch, 'pooled'];
  const g = s.gender ?? undefined;
  if (g && group?.pitchByGender[g]?.cuts) pitch = [group.pitchByGender[g]!.cuts, `${name}/${g}`];
  else if (g && cal.pooled.pitchByGender[g]?.cuts) pitch = [cal.pooled.pitchByGender[g]!.cuts, `pooled/${g}`];
  else if (group?.pitch) pitch = [group.pitch, name];
  const [ec, eg] = pick('energy');
  const [sc, sg] = pick('speed');
  return {
    pitch_level: level(s.f0MedianHz, pitch[0], ['low', 'normal', 'high']),
    energy_level: level(s.rmsDbfs, ec, ['low', 'normal', 'high']),
    speed_level: level(s.articulationRate, sc, ['slow', 'normal', 'fast']),
    groups: { pitch: pitch[1], energy: eg, speed: sg },
  };
}

/** A `gender` option (metadata): 'male', 'female', or undefined/null for none; anything else is ERR_INVALID_ARG naming `what`. */
export function checkGender(value: unknown, what = 'options.gender'): Gender | undefined {
  if (value === undefined || value === null) return undefined;
  if (value !== 'male' && value !== 'female') throw invalidArg(`${what} must be 'male' or 'female'; got ${JSON.stringify(value)}`);
  return value;
}

/**
 * The physical range of the level measures, where a value outside is a damaged record, not a voice:
 * F0 median (Hz) and articulation rate (syllables/s). Read by calibrate's record check and a
 * speaker session's restore.
 */
export const MEASURE_RANGES = { f0MedianHz: [20, 2000], articulationRate: [0, 100] } as const satisfies Record<string, readonly [number, number]>;

