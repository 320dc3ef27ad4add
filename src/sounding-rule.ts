// The energy rule's sounding threshold in TypeScript, for the two places that measure frame
// levels themselves: the live stream's energy VAD (a sliding window of recent frames) and
// energySegments / Silero's boundary refinement (a whole clip). It is the native prosody silence
// rule (native/prosody/prosody.cpp finish_analysis, options in ET_ENERGY_OPTIONS): a frame sounds
// when it is within relativeDb of the loud reference, above an absolute floor, and noiseMarginDb
// over the noise floor (a low quantile of the same levels), that last bound never lifted within
// noiseMinRangeDb of the reference. Without the noise floor, white noise at 10 dB SNR keeps every
// frame within 25–30 dB of the speech peaks and the whole recording counts as speech.
import { ENERGY_OPTION_SPECS, optionDefault } from './option-specs.js';

/** The noise floor's quantile and its bound under the reference, read from the native table. */
export const ENERGY_NOISE_RULE = {
  quantile: optionDefault(ENERGY_OPTION_SPECS, 'noiseFloorQuantile') as number,
  minRangeDb: optionDefault(ENERGY_OPTION_SPECS, 'noiseMinRangeDb') as number,
};

/** The noise floor of ascending-sorted levels: their ENERGY_NOISE_RULE.quantile. */
export function noiseFloorOf(sorted: ArrayLike<number>): number {
  return sorted[Math.floor(ENERGY_NOISE_RULE.quantile * (sorted.length - 1))];
}

/** The threshold (dB) a frame level must exceed: the rule above, from the reference and the noise floor. */
export function soundingThresholdDb(referenceDb: number, noiseDb: number, o: { relativeDb: number; noiseMarginDb: number; floorDb: number }): number {
  return Math.max(o.floorDb, referenceDb - o.relativeDb, Math.min(noiseDb + o.noiseMarginDb, referenceDb - ENERGY_NOISE_RULE.minRangeDb));
}
