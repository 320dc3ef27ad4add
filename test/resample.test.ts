import { describe, expect, it } from 'vitest';
import { mixToMono, resample, resampleAsync, EmotionThinkerError } from '../src/index.js';
import { sine } from './helpers/wav.js';

// Least-squares amplitude of a sinusoid of known frequency in x[from..to).
function fitSine(x: Float32Array, freq: number, rate: number, from: number, to: number) {
  let ss = 0, sc = 0, cc = 0, xs = 0, xc = 0;
  for (let i = from; i < to; i++) {
    const w = (2 * Math.PI * freq * i) / rate;
    const s = Math.sin(w), c = Math.cos(w);
    ss += s * s; sc += s * c; cc += c * c; xs += x[i] * s; xc += x[i] * c;
  }
  const det = ss * cc - sc * sc;
  const a = (xs * cc - xc * sc) / det;
  const b = (xc * ss - xs * sc) / det;
  let res = 0;
  for (let i = from; i < to; i++) {
    const w = (2 * Math.PI * freq * i) / rate;
    const e = x[i] - a * Math.sin(w) - b * Math.cos(w);
    res += e * e;
  }
  return { amp: Math.hypot(a, b), residualRms: Math.sqrt(res / (to - from)) };
}

function rms(x: Float32Array, from: number, to: number) {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return Math.sqrt(s / (to - from));
}

const db = (r: number) => 20 * Math.log10(r);
const PAIRS: [number, number][] = [
  [48000, 16000],
  [44100, 16000],
  [22050, 16000],
  [20000, 16000],
  [8000, 16000],
  [16000, 48000],
  [16000, 44100],
  [96000, 16000],
  [16001, 16000], // coprime rates: the interpolated-phase path
];

describe('resample: band-limited to the spec', () => {
  for (const [from, to] of PAIRS) {
    const lowNyq = Math.min(from, to) / 2;
    const seconds = 0.5;
    const n = Math.round(from * seconds);
    it(`${from} → ${to}: passband within 0.1 dB to 0.9 × Nyquist, images/aliases ≤ −80 dB`, () => {
      const edge = Math.round(0.05 * to);
      const outN = Math.ceil((n * to) / from);
      // Passband: gain of sines from 50 Hz to 0.9 × the lower Nyquist.
      for (const f of [50, 440, 0.3 * lowNyq, 0.6 * lowNyq, 0.8 * lowNyq, 0.9 * lowNyq]) {
        const y = resample(sine(f, from, n, 0.5), from, to);
        expect(y.length).toBe(outN);
        const { amp, residualRms } = fitSine(y, f, to, edge, y.length - edge);
        expect(Math.abs(db(amp / 0.5)), `gain at ${f} Hz`).toBeLessThan(0.1);
        // Anything not the sine itself (images when upsampling, aliasing, ripple) is ≥ 80 dB down.
        expect(db(residualRms / (0.5 / Math.SQRT2)), `residual at ${f} Hz`).toBeLessThan(-80);
      }
      if (to < from) {
        // Stopband: input sines from the output Nyquist up to the input Nyquist must vanish.
        for (const rel of [1.0, 1.05, 1.3, 2.0]) {
          const f = rel * lowNyq;
          if (f >= from / 2) continue;
          const y = resample(sine(f, from, n, 0.5), from, to);
          expect(db(rms(y, edge, y.length - edge) / (0.5 / Math.SQRT2)), `stopband at ${f} Hz`).toBeLessThan(-80);
        }
      }
    });
  }

  it('sweeps: a passband chirp comes out as the same chirp; a chirp above Nyquist comes out as silence', () => {
    const from = 48000, to = 16000, seconds = 2;
    const n = from * seconds;
    const chirp = (rate: number, frames: number, f0: number, f1: number) => {
      const k = Math.log(f1 / f0) / seconds;
      return Float32Array.from({ length: frames }, (_, i) => {
        const t = i / rate;
        return 0.5 * Math.sin((2 * Math.PI * f0 * (Math.exp(k * t) - 1)) / k);
      });
    };
    const y = resample(chirp(from, n, 50, 7000), from, to);
    const ideal = chirp(to, y.length, 50, 7000);
    const edge = 0.05 * to;
    let err = 0;
    for (let i = edge; i < y.length - edge; i++) err += (y[i] - ideal[i]) ** 2;
    err = Math.sqrt(err / (y.length - 2 * edge));
    expect(db(err / (0.5 / Math.SQRT2))).toBeLessThan(-80);

    const above = resample(chirp(from, n, 8000, 23000), from, to);
    expect(db(rms(above, edge, above.length - edge) / (0.5 / Math.SQRT2))).toBeLessThan(-80);
  });

  it('keeps a constant exactly constant and starts without delay', () => {
    const y = resample(new Float32Array(4800).fill(0.25), 48000, 16000);
    for (let i = 300; i < y.length - 300; i++) expect(Math.abs(y[i] - 0.25)).toBeLessThan(1e-6);
    // An impulse at input sample 4800 (0.1 s) peaks at output sample 1600 (0.1 s).
    const imp = new Float32Array(9600);
    imp[4800] = 1;
    const z = resample(imp, 48000, 16000);
    let best = 0;
    for (let i = 1; i < z.length; i++) if (Math.abs(z[i]) > Math.abs(z[best])) best = i;
    expect(best).toBe(1600);
  });

  it('resamples interleaved channels independently', () => {
    const a = sine(300, 44100, 4410, 0.5);
    const b = sine(1000, 44100, 4410, 0.3);
    const inter = new Float32Array(8820);
    for (let i = 0; i < 4410; i++) { inter[2 * i] = a[i]; inter[2 * i + 1] = b[i]; }
    const y = resample(inter, 44100, 16000, { channels: 2 });
    const ya = resample(a, 44100, 16000);
    const yb = resample(b, 44100, 16000);
    expect(y.length).toBe(2 * ya.length);
    for (let i = 0; i < ya.length; i++) {
      expect(y[2 * i]).toBe(ya[i]);
      expect(y[2 * i + 1]).toBe(yb[i]);
    }
  });

  it('the thread count does not change the output; fused mono equals mix-then-resample', () => {
    const n = 44100 * 3;
    const inter = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) { inter[2 * i] = Math.sin(i * 0.01); inter[2 * i + 1] = Math.cos(i * 0.003); }
    const one = resample(inter, 44100, 16000, { channels: 2, threads: 1 });
    const two = resample(inter, 44100, 16000, { channels: 2, threads: 2 });
    const many = resample(inter, 44100, 16000, { channels: 2, threads: 7 });
    expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer))).toBe(true);
    expect(Buffer.from(many.buffer).equals(Buffer.from(one.buffer))).toBe(true);
    const fused = resample(inter, 44100, 16000, { channels: 2, mono: true });
    const staged = resample(mixToMono(inter, 2), 44100, 16000);
    expect(Buffer.from(fused.buffer).equals(Buffer.from(staged.buffer))).toBe(true);
    expect(() => resample(inter, 44100, 16000, { channels: 2, threads: 0 })).toThrow(/options\.threads must be an integer in 1\.\.1024; got 0/);
  });

  it('async gives identical output', async () => {
    const x = sine(700, 44100, 44100);
    const a = resample(x, 44100, 16000);
    const b = await resampleAsync(x, 44100, 16000);
    expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
  });

  it('mixToMono averages channels', () => {
    const y = mixToMono(new Float32Array([1, 0, 0.5, 0.5, -1, 1]), 2);
    expect(Array.from(y)).toEqual([0.5, 0.5, 0]);
  });

  it('rejects bad arguments with ERR_INVALID_ARG', () => {
    const bad: [() => unknown, RegExp][] = [
      [() => resample(new Float32Array(10), 0, 16000), /fromRate must be an integer sample rate/],
      [() => resample(new Float32Array(10), 16000, -5), /toRate must be/],
      [() => resample(new Float32Array(10), 16000.5, 8000), /fromRate/],
      [() => resample(new Float32Array(9), 16000, 8000, { channels: 2 }), /not a multiple of channels \(2\)/],
      [() => resample([1, 2, 3] as unknown as Float32Array, 16000, 8000), /Float32Array/],
      [() => mixToMono(new Float32Array(3), 0), /channels must be a positive integer/],
    ];
    for (const [fn, re] of bad) {
      expect(fn).toThrow(EmotionThinkerError);
      expect(fn).toThrow(re);
    }
  });
});
