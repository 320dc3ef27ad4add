// Spectral statistics per utterance (log-mel and MFCC means and deviations), computed in the
// native core: the spectral half of the emotion policy's feature vector.
import { native } from './native.js';
import { awaitNative, callNative, invalidArg } from './errors.js';
import { checkSignal, throwIfAborted } from './abort.js';
import { withCancelFlag } from './native-cancel.js';
import { ownInput } from './copy-off-loop.js';
import { F0_OPTION_SPECS, optionSpec } from './option-specs.js';

import type { SpectralOptions, SpectralStats, VoiceOptions, VoiceStats } from './features-types.js';
export type { SpectralOptions, SpectralStats, VoiceOptions, VoiceStats } from './features-types.js';

function checkHead(samples: unknown, sampleRate: unknown): asserts samples is Float32Array {
  if (!(samples instanceof Float32Array)) throw invalidArg('samples must be a mono Float32Array');
  if (typeof sampleRate !== 'number' || !(sampleRate >= 4000) || !Number.isFinite(sampleRate)) {
    throw invalidArg(`sampleRate must be a number >= 4000 Hz; got ${String(sampleRate)}`);
  }
}

// Sample values (finite, within AUDIO_LIMITS.maxAbsSample) are checked by the native core, on
// the worker thread for the async calls: one owner for the bound, and no pass over a long clip
// on the event loop.
function check(samples: unknown, sampleRate: unknown) {
  checkHead(samples, sampleRate);
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

/** spectralStats on the thread pool; options.signal aborts it (AbortError; the native loop stops). */
export async function spectralStatsAsync(samples: Float32Array, sampleRate: number, options: SpectralOptions & { signal?: AbortSignal } = {}): Promise<SpectralStats> {
  const { signal: s, ...opts } = options ?? {};
  const signal = checkSignal(s, 'spectralStatsAsync');
  throwIfAborted(signal);
  const pending = ownInput(samples, 'samples', signal);
  const own = pending instanceof Promise ? await pending : pending;
  return awaitNative(() => withCancelFlag(signal, (flag) => native.spectralStatsAsync(own.data, sampleRate, opts, flag, own.private)));
}

/**
 * An F0 track for `samples`: hopSeconds within the F0 tracker's range, no more frames than the
 * audio holds (frame i is centred at i·hop), each value a frequency below Nyquist or unvoiced (NaN,
 * 0 or negative). A track of a million frames for one second of audio held the loop for ten seconds and
 * returned nonsense; f0 1e9 Hz and a hop of 1e-12 s were taken as given.
 */
function checkTrack(f0: unknown, hopSeconds: unknown, samples: Float32Array, sampleRate: number) {
  if (!(f0 instanceof Float32Array)) throw invalidArg('f0 must be a Float32Array (Hz per frame, NaN when unvoiced)');
  const hop = optionSpec(F0_OPTION_SPECS, 'hopSeconds');
  if (typeof hopSeconds !== 'number' || !(hopSeconds >= hop.min! && hopSeconds <= hop.max!)) {
    throw invalidArg(`hopSeconds must be a number in ${hop.range}; got ${String(hopSeconds)}`);
  }
  const frames = samples.length === 0 ? 0 : Math.floor((samples.length - 1) / (hopSeconds * sampleRate)) + 1;
  if (f0.length > frames + 1) throw invalidArg(`f0 has ${f0.length} frames, but ${samples.length} samples at ${sampleRate} Hz hold ${frames} frames of ${hopSeconds} s`);
  // NaN, 0 or a negative value is unvoiced (the core's rule; WORLD and the f0 command write 0).
  for (let i = 0; i < f0.length; i++) {
    const v = f0[i];
    if (v > 0 && !(v < sampleRate / 2)) throw invalidArg(`f0[${i}] is ${v}; expected a frequency below ${sampleRate / 2} Hz, or NaN or 0 when unvoiced`);
  }
}

/**
 * Voice quality and spectral balance along an F0 track, after eGeMAPS (Eyben et al. 2016): HNR
 * (dB, from the autocorrelation at the tracked period), local jitter and shimmer (from glottal
 * cycle marks), alpha ratio, Hammarberg index, spectral slopes 0–500 and 500–1500 Hz, H1−H2 and
 * spectral flux; means and deviations over voiced frames, means of the balance measures over
 * sounding unvoiced frames. See native/features/voice.hpp for the definitions. The sample rate
 * must be at least 8 kHz; values are null where the clip leaves them undefined.
 */
export function voiceStats(samples: Float32Array, sampleRate: number, f0: Float32Array, hopSeconds: number, options: VoiceOptions = {}): VoiceStats {
  check(samples, sampleRate);
  checkTrack(f0, hopSeconds, samples, sampleRate);
  return callNative(() => native.voiceStats(samples, sampleRate, f0, hopSeconds, options));
}

export async function voiceStatsAsync(
  samples: Float32Array, sampleRate: number, f0: Float32Array, hopSeconds: number, options: VoiceOptions & { signal?: AbortSignal } = {},
): Promise<VoiceStats> {
  const { signal: s, ...opts } = options ?? {};
  const signal = checkSignal(s, 'voiceStatsAsync');
  checkHead(samples, sampleRate);
  checkTrack(f0, hopSeconds, samples, sampleRate);
  throwIfAborted(signal);
  // inputsPrivate covers both arrays: when the samples are copied here, so is the (short) track.
  const pending = ownInput(samples, 'samples', signal);
  const own = pending instanceof Promise ? await pending : pending;
  const track = own.private ? f0.slice() : f0;
  return awaitNative(() => withCancelFlag(signal, (flag) => native.voiceStatsAsync(own.data, sampleRate, track, hopSeconds, opts, flag, own.private)));
}

/**
 * spectralStatsAsync and voiceStatsAsync of samples (and an F0 track) the package made and holds
 * alone until the call settles (featurize, on a decoded file): the bindings read them without a
 * copy. Not exported from index.ts: a caller's arrays go through the calls above, which copy.
 */
export function spectralStatsOwned(samples: Float32Array, sampleRate: number, signal?: AbortSignal, options: SpectralOptions = {}): Promise<SpectralStats> {
  checkHead(samples, sampleRate);
  throwIfAborted(signal);
  return awaitNative(() => withCancelFlag(signal, (flag) => native.spectralStatsAsync(samples, sampleRate, options, flag, true)));
}

export function voiceStatsOwned(samples: Float32Array, sampleRate: number, f0: Float32Array, hopSeconds: number, signal?: AbortSignal): Promise<VoiceStats> {
  checkHead(samples, sampleRate);
  checkTrack(f0, hopSeconds, samples, sampleRate);
  throwIfAborted(signal);
  return awaitNative(() => withCancelFlag(signal, (flag) => native.voiceStatsAsync(samples, sampleRate, f0, hopSeconds, {}, flag, true)));
}
