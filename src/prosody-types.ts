// Public result types of the prosody calls (src/prosody.ts) that the native core returns as they
// are, defined once for users; src/native.ts takes its raw types from them. Loads nothing.

/**
 * The thresholds the intonation classifier decides with (docs/formulas.md#intonation-contour),
 * as the native core defines them (native/prosody/prosody.hpp, kIntonationThresholds).
 */
export interface IntonationThresholds {
  /** Less voiced time (s): too_short. */
  minVoicedSeconds: number;
  /** Lower mean NCCF of the voiced frames: uncertain. */
  minConfidence: number;
  /** rangeSt below this: flat. */
  flatBelowSt: number;
  /** rangeSt above this: expressive. */
  expressiveAboveSt: number;
  /** directionSt ≥ +this: rising; ≤ −this: falling. */
  directionSt: number;
  /** A turn's vertex lies in [turnVertexMin, turnVertexMax] of the voiced span, */
  turnVertexMin: number;
  turnVertexMax: number;
  /** is at least turnDepthSt deep, */
  turnDepthSt: number;
  /** and the quadratic's R² exceeds the line's by at least this. */
  turnR2Gain: number;
}

/** A time interval of the clip, in seconds. */
export interface ProsodySegment {
  start: number;
  end: number;
  /** end − start. */
  duration: number;
}

/**
 * The intonation contour's class (docs/formulas.md#intonation-contour). Numbers are in semitones
 * relative to the utterance median and null where undefined for the clip (never NaN).
 */
export interface ProsodyIntonation {
  /**
   * One of too_short, uncertain, flat, rising-falling, falling-rising, rising, falling,
   * expressive, level (in that precedence).
   */
  label: string;
  /** flat, moderate or expressive; null when too short. */
  rangeClass: string | null;
  /** rising, falling or level; null when too short. */
  direction: string | null;
  /** rising-falling, falling-rising or none; null when too short. */
  turn: string | null;
  /** 95th − 5th percentile of the smoothed contour. */
  rangeSt: number | null;
  /** Median of the last quarter of the voiced span minus that of the first quarter. */
  directionSt: number | null;
  /** How far the fitted quadratic's turn inside the voiced span lies beyond the nearer end (0 when the vertex is outside). */
  turnDepthSt: number | null;
  /** Second derivative of the fitted quadratic over the voiced span scaled to [0, 1], in semitones: < 0 arch, > 0 dip. */
  curvatureSt: number | null;
  /** R² of the quadratic fit minus that of the line. */
  r2Gain: number | null;
  /** Where the fitted quadratic turns, in units of the voiced span (0 start, 1 end; may lie outside). */
  vertex: number | null;
  /** Voiced time analysed, in seconds. */
  voicedSeconds: number;
  /** Mean NCCF of the voiced frames (below 0.5: "uncertain"). */
  confidence: number;
}

/** One timing of benchmarkProsodyCuda (milliseconds). */
export interface ProsodyTiming {
  /** Host-to-device copies. */
  h2dMs: number;
  /** Kernels. */
  computeMs: number;
  /** Device-to-host copies. */
  d2hMs: number;
  /** First upload to last download (CUDA events). */
  gpuMs: number;
  /** Wall clock of the whole call, host work included. */
  totalMs: number;
  /** Frames analysed, all clips together. */
  frames: number;
  /** Samples analysed, all clips together. */
  samples: number;
}
