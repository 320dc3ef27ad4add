import { describe, expect, it } from 'vitest';
import { EmotionThinkerError } from '../src/index.js';
import { voiceStats, voiceStatsAsync } from '../src/features.js';

const RATE = 16000;
const HOP = 0.01;

/** Deterministic standard normal noise (Box–Muller on a small LCG). */
function noise(n: number, seed = 7): Float32Array {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

const track = (seconds: number, f0: number) => new Float32Array(Math.floor(seconds / HOP) + 1).fill(f0);

/** Harmonics of f0 with the given amplitudes, plus white noise scaled to snrDb (Infinity: none). */
function harmonic(f0: number, amps: number[], seconds: number, snrDb = Infinity): Float32Array {
  const n = Math.round(seconds * RATE);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) amps.forEach((a, h) => (x[i] += a * Math.sin(2 * Math.PI * f0 * (h + 1) * (i / RATE) + h)));
  if (Number.isFinite(snrDb)) {
    const ps = amps.reduce((s, a) => s + (a * a) / 2, 0);
    const g = Math.sqrt(ps / 10 ** (snrDb / 10));
    const z = noise(n);
    for (let i = 0; i < n; i++) x[i] += g * z[i];
  }
  return x;
}

/**
 * Glottal-like pulses: a damped 600 Hz resonance started at each pulse time (fractional sample
 * times, so period perturbations are exact), periods alternating T(1 ± j), amplitudes 1 ± s.
 */
function pulses(T: number, j: number, s: number, seconds: number): Float32Array {
  const n = Math.round(seconds * RATE);
  const x = new Float32Array(n);
  let t = 0.005;
  for (let k = 0; t < seconds; k++) {
    const a = k % 2 ? 1 - s : 1 + s;
    const i0 = Math.ceil(t * RATE);
    for (let i = i0; i < Math.min(n, i0 + 0.03 * RATE); i++) {
      const d = i / RATE - t;
      x[i] += a * Math.exp(-d / 0.0015) * Math.sin(2 * Math.PI * 600 * d);
    }
    t += T * (k % 2 ? 1 - j : 1 + j);
  }
  return x;
}

describe('voiceStats', () => {
  it('HNR of a harmonic signal in white noise is its SNR', () => {
    for (const snr of [0, 10, 20]) {
      const v = voiceStats(harmonic(160, [1, 0.6, 0.3, 0.2], 1, snr), RATE, track(1, 160), HOP);
      expect(v.voicedFrames).toBe(101);
      expect(v.hnrMean!).toBeGreaterThan(snr - 1.5);
      expect(v.hnrMean!).toBeLessThan(snr + 1.5);
    }
    // A period that is not a whole number of samples (16000 / 130 = 123.08) still reads right.
    const off = voiceStats(harmonic(130, [1, 0.5], 1, 5), RATE, track(1, 130), HOP);
    expect(Math.abs(off.hnrMean! - 5)).toBeLessThan(1.5);
  });

  it('local jitter and shimmer of a pulse train with known perturbation', () => {
    const T = 1 / 125;
    const clean = voiceStats(pulses(T, 0, 0, 1), RATE, track(1, 125), HOP);
    expect(clean.periods).toBeGreaterThan(100);
    expect(clean.jitterLocal!).toBeLessThan(0.002);
    expect(clean.shimmerLocal!).toBeLessThan(0.01);
    // Alternating periods T(1 ± 1 %): |ΔT| = 2 % of the mean period; amplitudes 1 ± 0.1: |ΔA| = 0.2.
    const v = voiceStats(pulses(T, 0.01, 0.1, 1), RATE, track(1, 125), HOP);
    expect(v.jitterLocal!).toBeGreaterThan(0.018);
    expect(v.jitterLocal!).toBeLessThan(0.022);
    expect(v.shimmerLocal!).toBeGreaterThan(0.18);
    expect(v.shimmerLocal!).toBeLessThan(0.22);
    expect(Math.abs(v.shimmerDb! - 20 * Math.log10(1.1 / 0.9))).toBeLessThan(0.2);
    // 3 % jitter reads about 3 times as large.
    const w = voiceStats(pulses(T, 0.03, 0, 1), RATE, track(1, 125), HOP);
    expect(w.jitterLocal!).toBeGreaterThan(0.055);
    expect(w.jitterLocal!).toBeLessThan(0.065);
  });

  it('spectral balance of known harmonic amplitudes', () => {
    // Harmonics 1 and 2 of 200 Hz at amplitudes 1 and 0.5, harmonic 15 (3 kHz) at 0.1.
    const amps = new Array(15).fill(0);
    amps[0] = 1, amps[1] = 0.5, amps[14] = 0.1;
    const v = voiceStats(harmonic(200, amps, 1), RATE, track(1, 200), HOP);
    expect(Math.abs(v.h1h2Mean! - 20 * Math.log10(2))).toBeLessThan(0.15);
    expect(Math.abs(v.hammarbergMean! - 20)).toBeLessThan(0.15);
    expect(v.alphaRatioMean!).toBeCloseTo(10 * Math.log10(1.25 / 0.01), 1);
    expect(v.alphaRatioSd!).toBeLessThan(0.3);
    // A steady spectrum hardly changes between frames.
    expect(v.fluxMean!).toBeLessThan(-5);
    // White noise: flat slopes, alpha ratio = bandwidth ratio 950 / 4000.
    const z = voiceStats(noise(RATE), RATE, track(1, 200), HOP);
    expect(Math.abs(z.alphaRatioMean! - 10 * Math.log10(950 / 4000))).toBeLessThan(0.6);
    expect(Math.abs(z.slope500to1500Mean!)).toBeLessThan(1.5);
    // Falling spectrum (harmonics at 1/h): the 0–500 Hz band slopes down.
    const fall = voiceStats(harmonic(100, Array.from({ length: 40 }, (_, h) => 1 / (h + 1)), 1), RATE, track(1, 100), HOP);
    expect(fall.slope500to1500Mean!).toBeLessThan(-5);
  });

  it('unvoiced clips, agreement of the async call and bad input', async () => {
    const z = noise(RATE);
    const uv = voiceStats(z, RATE, new Float32Array(101).fill(NaN), HOP);
    expect(uv.voicedFrames).toBe(0);
    expect(uv.hnrMean).toBeNull();
    expect(uv.jitterLocal).toBeNull();
    expect(uv.alphaRatioMean).toBeNull();
    expect(uv.unvoicedFrames).toBeGreaterThan(90);
    expect(Math.abs(uv.alphaRatioUv! - 10 * Math.log10(950 / 4000))).toBeLessThan(0.6);
    const x = harmonic(160, [1, 0.5], 0.5, 10);
    const f0 = track(0.5, 160);
    expect(await voiceStatsAsync(x, RATE, f0, HOP)).toEqual(voiceStats(x, RATE, f0, HOP));
    expect(voiceStats(new Float32Array(0), RATE, new Float32Array(0), HOP).hnrMean).toBeNull();
    expect(() => voiceStats(x, 4000, f0, HOP)).toThrow(EmotionThinkerError);
    expect(() => voiceStats(x, RATE, f0, 0)).toThrow(/hopSeconds/);
    expect(() => voiceStats(x, RATE, [1, 2] as unknown as Float32Array, HOP)).toThrow(/f0 must be/);
  });
});

describe('voiceStats: the F0 track must fit the audio', () => {
  it('too many frames, an impossible frequency or hop are ERR_INVALID_ARG (a million-frame track for 1 s held the loop 10 s)', async () => {
    const audio = new Float32Array(16000).map((_, i) => 0.3 * Math.sin((2 * Math.PI * 150 * i) / 16000));
    const bad = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as EmotionThinkerError;
      }
      return null;
    };
    expect(bad(() => voiceStats(audio, 16000, new Float32Array(1e6).fill(150), 0.01))).toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(/f0 has 1000000 frames, but 16000 samples at 16000 Hz hold 100 frames/) });
    expect(bad(() => voiceStats(audio, 16000, new Float32Array(100).fill(1e9), 0.01))).toMatchObject({ message: expect.stringMatching(/f0\[0\] is 1000000000/) });
    expect(bad(() => voiceStats(audio, 16000, new Float32Array(100).fill(Infinity), 0.01))).toMatchObject({ message: expect.stringMatching(/f0\[0\] is Infinity/) });
    expect(bad(() => voiceStats(audio, 16000, new Float32Array(100).fill(150), 1e-12))).toMatchObject({ message: expect.stringMatching(/hopSeconds must be a number in \[0\.001, 0\.1\] s/) });
    await expect(voiceStatsAsync(audio, 16000, new Float32Array(100).fill(9000), 0.01)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    // A track that fits is measured; NaN, 0 and negative values are unvoiced (WORLD and the f0 command write 0).
    const ok = new Float32Array(100).fill(150);
    ok[0] = NaN, (ok[1] = 0), (ok[2] = -1);
    expect(voiceStats(audio, 16000, ok, 0.01).voicedFrames).toBeGreaterThan(90);
  });
});
