// The public option and result types of spectralStats and voiceStats (src/features.ts), defined
// once for users; src/native.ts takes its raw types from them. Loads nothing.
export type { VoiceOptions } from './option-types.js';

/** Options of spectralStats; each default is the `SpectralOptions` struct's (native/features/spectral.hpp). */
export interface SpectralOptions {
  /** Number of mel bands. */
  melBands?: number;
  /** Number of MFCCs kept, computed from the mel bands. */
  mfcc?: number;
  /** Lowest mel frequency in Hz. */
  fmin?: number;
  /** Highest mel frequency in Hz (0: the Nyquist frequency). */
  fmax?: number;
  /** Frames more than this many dB below the loudest one are left out of the statistics. */
  floorDb?: number;
}

/** Mel and MFCC statistics of a clip. */
export interface SpectralStats {
  /** Frames analysed. */
  frames: number;
  /** Frames within floorDb of the loudest, which the statistics use. */
  usedFrames: number;
  /** Mean natural-log mel energy, one per band. */
  melMean: Float32Array;
  /** Standard deviation of the log mel energy, one per band. */
  melStd: Float32Array;
  /** Mean MFCC, one per coefficient. */
  mfccMean: Float32Array;
  /** Standard deviation of each MFCC. */
  mfccStd: Float32Array;
  /** Standard deviation of each MFCC's frame-to-frame change. */
  deltaMfccStd: Float32Array;
}

/**
 * Voice quality and spectral balance along an F0 track, after eGeMAPS (formulas in
 * native/features/voice.hpp). Counts are frames or glottal periods; every other field is null
 * where it is undefined for the clip (no voiced frames, no usable periods, no unvoiced frames).
 * "Mean"/"Sd" fields are over voiced frames, "Uv" fields the mean over loud unvoiced frames.
 */
export interface VoiceStats {
  voicedFrames: number;
  unvoicedFrames: number;
  /** Valid glottal periods used for jitter and shimmer. */
  periods: number;
  /** Harmonics-to-noise ratio in dB. */
  hnrMean: number | null;
  hnrSd: number | null;
  /** Mean absolute difference of consecutive periods over the mean period. */
  jitterLocal: number | null;
  /** Mean absolute difference of consecutive peak amplitudes over the mean amplitude. */
  shimmerLocal: number | null;
  /** Mean absolute ratio of consecutive peak amplitudes in dB. */
  shimmerDb: number | null;
  /** Alpha ratio in dB: energy 50–1000 Hz over 1–5 kHz. */
  alphaRatioMean: number | null;
  alphaRatioSd: number | null;
  /** Hammarberg index in dB: strongest peak 0–2 kHz over 2–5 kHz. */
  hammarbergMean: number | null;
  hammarbergSd: number | null;
  /** Spectral slope 0–500 Hz in dB per kHz. */
  slope0to500Mean: number | null;
  slope0to500Sd: number | null;
  /** Spectral slope 500–1500 Hz in dB per kHz. */
  slope500to1500Mean: number | null;
  slope500to1500Sd: number | null;
  /** First over second harmonic in dB. */
  h1h2Mean: number | null;
  h1h2Sd: number | null;
  /** Spectral flux between consecutive frames (normalised power spectra). */
  fluxMean: number | null;
  fluxSd: number | null;
  alphaRatioUv: number | null;
  hammarbergUv: number | null;
  slope0to500Uv: number | null;
  slope500to1500Uv: number | null;
}
