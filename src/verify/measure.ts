// What was measured in a clip, per cue, and the verdict on a claim against it: pitch and speed
// levels from the calibration's cut points (or a speaker session's); energy from the vocal effort
// (the spectral balance, as analyze judges it: a change of the recording's gain does not move it)
// or, only for a level-calibrated input or a prosody analysis without the audio, from the
// absolute RMS level; the intonation class from the native contour classifier
// (native/prosody/prosody.cpp: its range class, direction and turn), each intonation claim judged
// on the contour number that decides it against the classifier's own thresholds.
import { native } from '../native.js';
import { assignLevels, type Calibration, type Gender } from '../level-calibration.js';
import type { ProsodyResult } from '../prosody.js';
import type { IntonationThresholds } from '../prosody-types.js';
import type { ExtractedClaim } from './claims.js';

export type LevelCue = 'pitch' | 'energy' | 'speed';
export const LEVEL_CUES: readonly LevelCue[] = ['pitch', 'energy', 'speed'];

/**
 * Speaker-relative cut points (a SpeakerSession of issue #16, or anything else that knows a
 * speaker's normal range): for a cue, [low|normal, normal|high] in the units of the measurement
 * the cue is judged by (F0 median Hz; for energy the vocal effort effortDb in dB when the audio is
 * given, RMS dBFS otherwise; articulation rate syllables/s), or null/undefined to use the
 * calibration.
 */
export interface CutPointSource {
  cutPoints(cue: LevelCue): readonly [number, number] | null | undefined;
  /** Shown as the cut points' source, e.g. "session alice". */
  readonly name?: string;
  /**
   * The measurement the cue's cut points are in (e.g. 'effortDb'). When given and not the
   * measurement the cue is judged by, the cuts are not used for it (a session's effort cuts
   * cannot judge an absolute level); when absent, the cuts are taken to be in its units.
   */
  measure?(cue: LevelCue): string | null | undefined;
}

export type Verdict = 'supported' | 'contradicted' | 'unverifiable';

export interface Measurement {
  /** The measure behind the level (f0MedianHz, effortDb or rmsMeanDbfs, articulationRate) or "intonation". */
  name: string;
  /** Its value; the class name for intonation; null when it could not be measured. */
  value: number | string | null;
  unit: string | null;
  /** The level (or intonation class) it falls in; null when unmeasurable. */
  level: string | null;
  /** Where the cut points came from: "calibration ravdess/female", "vocal effort re …", "session …"; "contour classifier" for intonation. */
  source: string;
  /** Intonation only: the classifier's label, range class, direction and turn, the numbers behind them and its thresholds. */
  contour?: ContourMeasurement;
}

/** What the contour classifier measured and decided with (docs/formulas.md#intonation-contour). */
export interface ContourMeasurement {
  label: string;
  rangeClass: string | null;
  direction: string | null;
  turn: string | null;
  rangeSt: number | null;
  directionSt: number | null;
  turnDepthSt: number | null;
  curvatureSt: number | null;
  r2Gain: number | null;
  vertex: number | null;
  voicedSeconds: number;
  confidence: number;
  thresholds: IntonationThresholds;
}

/** The native classifier's thresholds: defined in native/prosody/prosody.hpp only. */
export const INTONATION_THRESHOLDS: Readonly<IntonationThresholds> = native.intonationThresholds;

export interface CueMeasurements {
  cues: Record<LevelCue | 'intonation', Measurement>;
  cutPoints: Record<LevelCue, [number, number] | null>;
}

/**
 * What verification needs of a clip: a prosody analysis (a ProsodyResult has all of it) and,
 * when measured from the audio (measureAudio), its vocal effort.
 */
export type ProsodyMeasurements = Pick<ProsodyResult, 'functionals' | 'intonation' | 'gender'> & {
  /**
   * Vocal effort in dB (the spectral balance, 1–5 kHz re 50–1000 Hz over voiced frames: analyze's
   * effortDb), independent of the recording's gain; null when the clip has no voiced frames.
   * Absent in a bare prosody analysis: energy is then judged by the absolute level.
   */
  effortDb?: number | null;
};

/** The energy cue judged by vocal effort: its value and the cut points of analyze's corpusLevels. */
export interface EffortBasis {
  value: number | null;
  cuts: [number, number] | null;
  /** What the cuts are relative to (corpusLevels' relativeTo). */
  relativeTo: string;
}

const FEATURE: Record<LevelCue, { name: string; unit: string }> = {
  pitch: { name: 'f0MedianHz', unit: 'Hz' },
  energy: { name: 'rmsMeanDbfs', unit: 'dBFS' },
  speed: { name: 'articulationRate', unit: 'syllables/s' },
};
const LEVEL_KEY = { pitch: 'pitch_level', energy: 'energy_level', speed: 'speed_level' } as const;

function cutsByGroup(cal: Calibration, group: string, cue: LevelCue): [number, number] | null {
  const [corpus, gender] = group.split('/') as [string, Gender | undefined];
  const set = corpus === 'pooled' ? cal.pooled : Object.hasOwn(cal.corpora, corpus) ? cal.corpora[corpus] : undefined;
  if (!set) return null;
  const cuts = cue === 'pitch' && gender ? set.pitchByGender[gender]?.cuts : set[cue];
  return cuts ? [cuts[0], cuts[1]] : null;
}

const NAMES: Record<LevelCue, [string, string, string]> = { pitch: ['low', 'normal', 'high'], energy: ['low', 'normal', 'high'], speed: ['slow', 'normal', 'fast'] };
// The calibration's rule (assignLevels), for cut points that do not come from it.
const levelOf = (cue: LevelCue, v: number | null, c: readonly [number, number] | null): string | null =>
  v === null || !c ? null : v < c[0] ? NAMES[cue][0] : v >= c[1] ? NAMES[cue][2] : NAMES[cue][1];

/**
 * Levels and cut points per cue, from the calibration or, per cue where it has them, the session.
 * With `effort`, energy is the vocal effort against its cut points; without, the absolute RMS
 * level against the calibration's, and its source says so (`levelCalibrated`: the caller declared
 * the input's level calibrated; otherwise it depends on the recording's gain).
 */
export function measureCues(
  p: ProsodyMeasurements,
  opts: { calibration: Calibration; corpus?: string; gender?: Gender | null; session?: CutPointSource; effort?: EffortBasis; levelCalibrated?: boolean },
): CueMeasurements {
  const gender = opts.gender ?? p.gender?.value ?? null;
  const calLevels = assignLevels({ functionals: p.functionals, gender: p.gender }, opts.calibration, { corpus: opts.corpus, gender });
  const cues = {} as CueMeasurements['cues'];
  const cutPoints = {} as CueMeasurements['cutPoints'];
  for (const cue of LEVEL_CUES) {
    const effort = cue === 'energy' ? opts.effort : undefined;
    const name = effort ? 'effortDb' : FEATURE[cue].name;
    const unit = effort ? 'dB' : FEATURE[cue].unit;
    const v = effort ? effort.value : p.functionals[name];
    const value = typeof v === 'number' && Number.isFinite(v) ? v : null;
    const own = opts.session?.cutPoints(cue);
    const ownMeasure = own ? opts.session?.measure?.(cue) : undefined;
    const useOwn = !!own && (ownMeasure === undefined || ownMeasure === null || ownMeasure === name);
    let level: string | null;
    let cuts: [number, number] | null;
    let source: string;
    if (useOwn) {
      cuts = [own![0], own![1]];
      level = levelOf(cue, value, cuts);
      source = opts.session?.name ? `session ${opts.session.name}` : 'session';
    } else if (effort) {
      cuts = effort.cuts ? [effort.cuts[0], effort.cuts[1]] : null;
      level = levelOf(cue, value, cuts);
      source = `vocal effort re ${effort.relativeTo}`;
    } else {
      level = calLevels[LEVEL_KEY[cue]];
      cuts = cutsByGroup(opts.calibration, calLevels.groups[cue], cue);
      source = `calibration ${calLevels.groups[cue]}`;
      if (cue === 'energy') {
        source += opts.levelCalibrated ? ' (absolute level; the input is declared level-calibrated)' : " (absolute level: depends on the recording's gain)";
      }
    }
    if (own && !useOwn) source += `; the session's cut points are in ${ownMeasure}, not used`;
    cues[cue] = { name, value, unit, level: value === null ? null : level, source };
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
    contour: {
      label: i.label,
      rangeClass: i.rangeClass,
      direction: i.direction,
      turn: i.turn,
      rangeSt: i.rangeSt,
      directionSt: i.directionSt,
      turnDepthSt: i.turnDepthSt,
      curvatureSt: i.curvatureSt,
      r2Gain: i.r2Gain,
      vertex: i.vertex,
      voicedSeconds: i.voicedSeconds,
      confidence: i.confidence,
      thresholds: INTONATION_THRESHOLDS,
    },
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

/**
 * The contour number an intonation claim is decided on, in semitones, and its cut points in the
 * [lower, upper] form of the level cues: the range (flat below, expressive above) for flat and
 * expressive; end minus start (falling at or below −d, rising at or above +d) for rising and
 * falling; the turn's depth (a turn from the threshold up, with the vertex window and R² gain of
 * `contour.thresholds`) for rising-falling and falling-rising.
 */
function contourAxis(value: string, c: ContourMeasurement, overall: Measurement): { measurement: Measurement; cutPoints: [number, number] } | null {
  const th = c.thresholds;
  const judged = overall.level !== null;
  const axis = (name: string, v: number | null, level: string | null, cutPoints: [number, number], what: string) => ({
    measurement: { name, value: v, unit: 'st', level: judged ? level : null, source: `contour classifier: ${what}`, contour: c },
    cutPoints,
  });
  switch (value) {
    case 'flat':
    case 'expressive':
      return axis('rangeSt', c.rangeSt, c.rangeClass, [th.flatBelowSt, th.expressiveAboveSt], 'range, 95th − 5th percentile of the smoothed contour in semitones (flat below the lower cut, expressive above the upper)');
    case 'rising':
    case 'falling':
      return axis('directionSt', c.directionSt, c.direction, [-th.directionSt, th.directionSt], 'last quarter minus first quarter of the voiced span in semitones (falling at or below the lower cut, rising at or above the upper)');
    case 'rising-falling':
    case 'falling-rising':
      return axis('turnDepthSt', c.turnDepthSt, c.turn, [th.turnDepthSt, th.turnDepthSt], `depth of the fitted quadratic's turn in semitones (a turn from the cut up, with its vertex in [${th.turnVertexMin}, ${th.turnVertexMax}] of the voiced span and an R² gain of at least ${th.turnR2Gain}; the sign of the curvature tells the two turns apart)`);
    default:
      return null;
  }
}

/** The verdict on one claim, with the measurement and cut points it was judged against. */
export function judgeClaim(claim: ExtractedClaim, m: CueMeasurements): { verdict: Verdict; measurement: Measurement | null; cutPoints: [number, number] | null } {
  if (claim.cue === 'intonation') {
    const meas = m.cues.intonation;
    const a = contourAxis(claim.value, meas.contour!, meas);
    const measurement = a ? a.measurement : meas;
    const cutPoints = a ? a.cutPoints : null;
    const has = meas.level === null ? null : contourHas(meas, claim.value);
    if (has === null) return { verdict: 'unverifiable', measurement, cutPoints };
    return { verdict: has !== claim.negated ? 'supported' : 'contradicted', measurement, cutPoints };
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
