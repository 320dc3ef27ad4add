// The level calibration's types (src/level-calibration.ts fits and applies it,
// src/calibration-schema.ts checks it when read from JSON). This module loads nothing.
export type Gender = 'male' | 'female';
export type PitchLevel = 'low' | 'normal' | 'high';
export type EnergyLevel = 'low' | 'normal' | 'high';
export type SpeedLevel = 'slow' | 'normal' | 'fast';

export interface Levels {
  pitch_level: PitchLevel | null;
  energy_level: EnergyLevel | null;
  speed_level: SpeedLevel | null;
  /** Which cut points were used, e.g. "ravdess/male" or "pooled". */
  groups: { pitch: string; energy: string; speed: string };
}

/** What calibration needs from a clip (a ProsodyResult has all of it). */
export interface CalibrationFeatures {
  functionals: Record<string, number | null>;
  gender?: { value: Gender; source: 'metadata' | 'estimate' } | null;
}

export interface CalibrationSample {
  corpus?: string;
  gender?: Gender | null;
  f0MedianHz: number | null;
  rmsDbfs: number | null;
  articulationRate: number | null;
}

/** Lower and upper cut point, or null where the group had too few values. */
export type Cuts = [number, number] | null;
export interface CutSet {
  n: number;
  pitch: Cuts;
  energy: Cuts;
  speed: Cuts;
  pitchByGender: Partial<Record<Gender, { n: number; cuts: Cuts }>>;
}

export interface Calibration {
  version: 1;
  quantiles: [number, number];
  minGroup: number;
  features: { pitch: 'f0MedianHz'; energy: 'rmsMeanDbfs'; speed: 'articulationRate' };
  pooled: CutSet;
  corpora: Record<string, CutSet>;
  /** Free-form provenance (corpus, clip count, script). */
  source?: string;
}
