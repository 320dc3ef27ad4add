// Spectral statistics per utterance (log-mel and MFCC means and deviations), computed in the
// native core: the spectral half of the emotion policy's feature vector.
import { native, type RawSpectralOptions, type RawSpectralStats } from './native.js';
import { awaitNative, callNative, invalidArg } from './errors.js';

export type SpectralOptions = RawSpectralOptions;
export type SpectralStats = RawSpectralStats;

function check(samples: unknown, sampleRate: unknown) {
  if (!(samples instanceof Float32Array)) throw invalidArg('samples must be a mono Float32Array');
  if (typeof sampleRate !== 'number' || !(sampleRate >= 4000) || !Number.isFinite(sampleRate)) {
    throw invalidArg(`sampleRate must be a number >= 4000 Hz; got ${String(sampleRate)}`);
  }
  for (let i = 0; i < samples.length; i++) {
    if (!Number.isFinite(samples[i])) throw invalidArg(`samples[${i}] is ${samples[i]}; audio samples must be finite`);
  }
}

/**
 * Log-mel (40 bands, natural log of power) and MFCC (13, orthonormal DCT-II) statistics over
 * 25 ms Hamming frames every 10 ms, using the frames within `floorDb` (50 dB) of the loudest.
 * Audio shorter than one window gives frames: 0 and zero statistics.
 */
export function spectralStats(samples: Float32Array, sampleRate: number, options: SpectralOptions = {}): SpectralStats {
  check(samples, sampleRate);
  return callNative(() => native.spectralStats(samples, sampleRate, options));
}

export async function spectralStatsAsync(samples: Float32Array, sampleRate: number, options: SpectralOptions = {}): Promise<SpectralStats> {
  check(samples, sampleRate);
  return awaitNative(() => native.spectralStatsAsync(samples, sampleRate, options));
}
