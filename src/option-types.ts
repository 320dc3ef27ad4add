// Generated from the native option tables by scripts/gen-option-types.mjs (test/option-specs.test.ts
// checks it is current): edit ET_F0_OPTIONS (native/prosody/f0.hpp), ET_ENERGY_OPTIONS
// (native/prosody/prosody.hpp) or ET_VOICE_OPTIONS (native/features/voice.hpp), then regenerate.

/**
 * Options of the prosody analysis itself: the F0 tracker, energy, pauses, syllable nuclei and
 * analysis rate (camelCase, all optional; the core validates ranges). src/native.ts takes its
 * RawProsodyOptions from this type.
 */
export interface ProsodyAnalysisOptions {
  /** hop between frames (of every per-frame track) (default 0.01 s; [0.001, 0.1] s) */
  hopSeconds?: number;
  /** lowest F0 searched (below f0Max) (default 60 Hz; [20, 2000] Hz) */
  f0Min?: number;
  /** highest F0 searched (default 600 Hz; [20, 2000] Hz) */
  f0Max?: number;
  /** NCCF window for candidates (default 0.015 s; [0.005, 0.2] s) */
  windowSeconds?: number;
  /** short NCCF window for the voicing evidence (default 0.01 s; [0, 0.2] s) */
  voicingWindowSeconds?: number;
  /** weight of the short-window NCCF in a candidate's strength (default 0.8; [0, 1]) */
  voicingWeight?: number;
  /** RMS window for the silence rule (default 0.015 s; [0, 0.2] s) */
  levelWindowSeconds?: number;
  /** 4th-order Butterworth low-pass before the NCCF (0, or 3600 and above: off) (default 1500 Hz; [0, 4000] Hz) */
  lowpassHz?: number;
  /** voiced candidates kept per frame (default 10; an integer in 1..50) */
  maxCandidates?: number;
  /** minimum NCCF peak height for a candidate (default 0.25; [0, 1)) */
  candidateFloor?: number;
  /** per octave below the frame's highest NCCF peak (default 0.02; [0, 1]) */
  octaveCost?: number;
  /** times the NCCF at half the candidate's lag (default 0.1; [0, 10]) */
  subharmonicCost?: number;
  /** per octave of F0 change between frames (per 10 ms) (default 1; [0, 10]) */
  octaveJumpCost?: number;
  /** per voicing change (per 10 ms), before the level factor (default 0.35; [0, 10]) */
  voicedUnvoicedCost?: number;
  /** unvoiced-candidate base strength (default 0.54; [0, 1]) */
  voicingThreshold?: number;
  /** frame RMS relative to the reference level (levelQuantile) (default 0.08; [0, 1]) */
  silenceThreshold?: number;
  /** level change (frames i-1 to i+1) scaling V/UV costs and the level-trend voicing term (0: both off) (default 8 dB; [0, 100] dB) */
  vuvLevelDb?: number;
  /** lower bound of that factor (default 0.2; [0, 1]) */
  vuvMinFactor?: number;
  /** upper bound of that factor (default 2; [1, 10]) */
  vuvMaxFactor?: number;
  /** reference level for the silence rule: this quantile of frame levels (default 0.9; (0, 1]) */
  levelQuantile?: number;
  /** per octave beyond the widths from the first-pass median (0: off) (default 0.5; [0, 10]) */
  rangePriorCost?: number;
  /** octaves above the first-pass median F0 without cost (default 0.7 octaves; [0, 10] octaves) */
  rangePriorWidth?: number;
  /** octaves below the median without cost (default 0.7 octaves; [0, 10] octaves) */
  rangePriorWidthBelow?: number;
  /** first-pass voiced time needed to apply the prior (default 0.1 s; [0, 3600] s) */
  rangePriorMinVoicedSeconds?: number;
  /** unvoiced strength added before a level fall (see step 4) (default 0.1; [0, 1]) */
  offsetVoicingBonus?: number;
  /** ... and after a level rise (default 0.05; [0, 1]) */
  onsetVoicingBonus?: number;
  /** span of those level changes (default 0.04 s; (0, 0.5] s) */
  voicingTrendSeconds?: number;
  /** rate the input is resampled to (default 16000 Hz; [8000, 192000] Hz) */
  analysisRate?: number;
  /** frame RMS window (rectangular, centred) (default 0.025 s; [0.005, 0.5] s) */
  rmsWindowSeconds?: number;
  /** Praat To Intensity minimum pitch (Kaiser window 6.4/minPitch s) (default 100 Hz; [20, 1000] Hz) */
  intensityMinPitch?: number;
  /** minimum pitch of the nucleus intensity contour (6.4/40 s = 160 ms window) (default 40 Hz; [20, 1000] Hz) */
  nucleiMinPitch?: number;
  /** silent when intensity < q99 - silenceDb (default 25 dB; (0, 100] dB) */
  silenceDb?: number;
  /** also silent when intensity < the clip's noise floor + noiseMarginDb (default 3 dB; [0, 100] dB) */
  noiseMarginDb?: number;
  /** the intensity quantile read as the noise floor (default 0.02; [0, 0.5]) */
  noiseFloorQuantile?: number;
  /** the noise floor never lifts the threshold within this of q99 (default 10 dB; [0, 100] dB) */
  noiseMinRangeDb?: number;
  /** shortest silent pause (default 0.25 s; [0, 60] s) */
  minPauseSeconds?: number;
  /** a nucleus must be preceded by a dip of this depth (default 2 dB; [0, 60] dB) */
  minDipDb?: number;
  /** also require a dip after the peak (before the next peak) (default false) */
  nucleiDipAfter?: boolean;
}

/** Options of voiceStats (the core validates ranges). src/native.ts takes its RawVoiceOptions from this type. */
export interface VoiceOptions {
  /** spectral window and the minimum HNR window (default 0.04 s; (0, 1] s) */
  windowSeconds?: number;
  /** HNR window in periods of the frame's F0 (default 3 periods; (0, 100] periods) */
  hnrPeriods?: number;
  /** valid glottal periods lie in [1/f0Max, 1/f0Min] (defaults: the F0 tracker's range) (default 60 Hz; (0, 2000] Hz) */
  f0Min?: number;
  /** see f0Min (default 600 Hz; (0, 10000] Hz) */
  f0Max?: number;
  /** largest ratio of consecutive periods that continues a cycle sequence (default 1.3; (1, 10]) */
  maxPeriodFactor?: number;
  /** cycle-mark search half-width (default 0.2 periods; (0, 0.5) periods) */
  markSearch?: number;
  /** shortest voiced stretch used for jitter and shimmer (default 3 frames; an integer in 1..1000000 frames) */
  minStretchFrames?: number;
  /** unvoiced frames within this of the loudest frame give the unvoiced means (default 35 dB; [0, 200] dB) */
  unvoicedFloorDb?: number;
}
