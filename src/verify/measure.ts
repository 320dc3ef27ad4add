// What was measured in a clip, per cue, and the verdict on a claim against it: the level from the
// calibration's cut points (or a speaker session's), the intonation class from the native contour
// classifier (native/prosody/prosody.cpp: its range class, direction and turn).
import { assignLevels, type Calibration, type Gender } from '../prosody-calibration.js';
import type { ProsodyResult } from '../prosody.js';
import type { ExtractedClaim } from './claims.js';

export type LevelCue = 'pitch' | 'energy' | 'speed';
export const LEVEL_CUES: readonly LevelCue[] = ['pitch', 'energy', 'speed'];

/**
 * Speaker-relative cut points (the speaker session of issue #16, or anything else that knows a
 * speaker's normal range): for a cue, [low|normal, normal|high] in the calibration's units (F0
 * median Hz, RMS dBFS, articulation rate syllables/s), or null/undefined to use the calibration.
 */
export interface CutPointSource {
  cutPoints(cue: LevelCue): readonly [number, number] | null | undefined;
  /** Shown as the cut points' source, e.g. "session alice". */
  readonly name?: string;
}

export type Verdict = 'supported' | 'contradicted' | 'unverifiable';

export interface Measurement {
  /** The functional behind the level (f0MedianHz, rmsMeanDbfs, articulationRate) or "intonation". */
  name: string;
  /** Its value; the class name for intonation; null when it could not be measured. */
  value: number | string | null;
  unit: string | null;
  /** The level (or intonation class) it falls in; null when unmeasurable. */
  level: string | null;
  /** Where the cut points came from: "calibration ravdess/female", "session …", or for intonation the contour parts. */
  source: string;
  /** Intonation only: the classifier's range class, direction and turn, and the numbers behind them. */
  contour?: { rangeClass: string | null; direction: string | null; turn: string | null; rangeSt: number | null; directionSt: number | null };
}

export interface CueMeasurements {
  cues: Record<LevelCue | 'intonation', Measurement>;
  cutPoints: Record<LevelCue, [number, number] | null>;
}

/** What verification needs of a prosody analysis (a ProsodyResult has all of it). */
export type ProsodyMeasurements = Pick<ProsodyResult, 'functionals' | 'intonation' | 'gender'>;

const FEATURE: Record<LevelCue, { name: string; unit: string }> = {
  pitch: { name: 'f0MedianHz', unit: 'Hz' },
  energy: { name: 'rmsMeanDbfs', unit: 'dBFS' },
  speed: { name: 'articulationRate', unit: 'syllables/s' },
};
const LEVEL_KEY = { pitch: 'pitch_level', energy: 'energy_level', speed: 'speed_level' } as const;

function cutsByGroup(cal: Calibration, group: string, cue: LevelCue): [number, number] | null {
  const [corpus, gender] = group.split('/') as [string, Gender | undefined];
  const set = corpus === 'pooled' ? cal.pooled : cal.corpora[corpus];
  if (!set) return null;
  const cuts = cue === 'pitch' && gender ? set.pitchByGender[gender]?.cuts : set[cue];
  return cuts ? [cuts[0], cuts[1]] : null;
}

/** Levels and cut points per cue, from the calibration or, per cue where it has them, the session. */
export function measureCues(p: ProsodyMeasurements, opts: { calibration: Calibration; corpus?: string; gender?: Gender | null; session?: CutPointSource }): CueMeasurements {
  const gender = opts.gender ?? p.gender?.value ?? null;
  const calLevels = assignLevels({ functionals: p.functionals, gender: p.gender }, opts.calibration, { corpus: opts.corpus, gender });
  const cues = {} as CueMeasurements['cues'];
  const cutPoints = {} as CueMeasurements['cutPoints'];
  for (const cue of LEVEL_CUES) {
    const v = p.functionals[FEATURE[cue].name];
    const value = typeof v === 'number' && Number.isFinite(v) ? v : null;
    const own = opts.session?.cutPoints(cue);
    let level: string | null;
    let cuts: [number, number] | null;
    let source: string;
    if (own) {
      cuts = [own[0], own[1]];
      // The calibration's own rule applied to the session's cuts: a one-group calibration.
      const one = { ...opts.calibration, pooled: { n: 1, pitch: cuts, energy: cuts, speed: cuts, pitchByGender: {} }, corpora: {} };
      level = assignLevels({ functionals: p.functionals, gender: null }, one, { gender: null })[LEVEL_KEY[cue]];
      source = opts.session?.name ? `session ${opts.session.name}` : 'session';
    } else {
      level = calLevels[LEVEL_KEY[cue]];
      cuts = cutsByGroup(opts.calibration, calLevels.groups[cue], cue);
      source = `calibration ${calLevels.groups[cue]}`;
    }
    cues[cue] = { name: FEATURE[cue].name, value, unit: FEATURE[cue].unit, level: value === null ? null : level, source };
    cutPoints[cue] = cuts;
  }
  const i = p.intonation;
  const judged = i.label !== 'too_short' && i.label !== 'uncertain';
  cues.intonation = {
    name: 'intonation',
    value: i.label,
    unit: null,
    level: judged ? i.label : null,
    source: 'contour classifier',
    contour: { rangeClass: i.rangeClass, direction: i.direction, turn: i.turn, rangeSt: i.rangeSt, directionSt: i.directionSt },
  };
  return { cues, cutPoints };
}

/** Whether the measured contour has the shape a claim names (before negation). */
function contourHas(m: Measurement, value: string): boolean | null {
  const c = m.contour!;
  switch (value) {
    // "Flat" (and its synonyms level, monotone): a narrow range, or a moderate one with no direction and no turn.
    case 'flat':
      return c.rangeClass === 'flat' || m.level === 'level';
    case 'expressive':
      return c.rangeClass === 'expressive';
    case 'rising':
    case 'falling':
      return c.direction === value;
    case 'rising-falling':
    case 'falling-rising':
      return c.turn === value;
    default:
      return null;
  }
}

/** The verdict on one claim, with the measurement and cut points it was judged against. */
export function judgeClaim(claim: ExtractedClaim, m: CueMeasurements): { verdict: Verdict; measurement: Measurement | null; cutPoints: [number, number] | null } {
  if (claim.cue === 'intonation') {
    const meas = m.cues.intonation;
    const has = meas.level === null ? null : contourHas(meas, claim.value);
    if (has === null) return { verdict: 'unverifiable', measurement: meas, cutPoints: null };
    return { verdict: has !== claim.negated ? 'supported' : 'contradicted', measurement: meas, cutPoints: null };
  }
  if ((LEVEL_CUES as readonly string[]).includes(claim.cue)) {
    const cue = claim.cue as LevelCue;
    const meas = m.cues[cue];
    const cuts = m.cutPoints[cue];
    if (meas.level === null) return { verdict: 'unverifiable', measurement: meas, cutPoints: cuts };
    const same = meas.level === claim.value;
    return { verdict: same !== claim.negated ? 'supported' : 'contradicted', measurement: meas, cutPoints: cuts };
  }
  return { verdict: 'unverifiable', measurement: null, cutPoints: null };
}
