// Synthetic F0 ground truth: glottal-pulse-like harmonic sources with known contours (glides up
// to ±2 octaves/s, vibrato, jitter, voiceless gaps) in white and babble noise at 0–30 dB SNR.
// Prints GPE/VDE/FPE per SNR and noise type; asserts floors at ≥ 10 dB SNR.
import { describe, expect, it } from 'vitest';
import { extractF0Sync } from '../src/index.js';

const RATE = 16000;

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function gauss(r: () => number) {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

/** A voiced source with instantaneous F0 f(t) (0 = voiceless), harmonics falling 12 dB/oct, plus jitter. */
function source(duration: number, f0At: (t: number) => number, seed: number, jitter = 0.01) {
  const r = rng(seed);
  const n = Math.round(duration * RATE);
  const x = new Float32Array(n);
  let phase = 0;
  let j = 0;
  for (let i = 0; i < n; i++) {
    const t = i / RATE;
    const f = f0At(t);
    if (f <= 0) {
      phase = 0;
      continue;
    }
    if (phase === 0 || Math.floor(phase + f * (1 + j) / RATE) !== Math.floor(phase)) j = jitter * gauss(r);
    phase += (f * (1 + j)) / RATE;
    let v = 0;
    const H = Math.floor(3800 / f);
    for (let h = 1; h <= H; h++) v += Math.sin(2 * Math.PI * h * phase) / (h * h);
    x[i] = 0.3 * v;
  }
  return x;
}

function truthTrack(duration: number, f0At: (t: number) => number, hop: number) {
  const n = Math.floor(duration / hop) + 1;
  return Float64Array.from({ length: n }, (_, i) => f0At(i * hop));
}

const contours: [string, number, (t: number) => number][] = [
  ['glide up 2 oct/s', 1.0, (t) => 100 * 2 ** (2 * Math.min(t, 1))],
  ['glide down 2 oct/s', 1.0, (t) => 400 * 2 ** (-2 * Math.min(t, 1))],
  ['vibrato 6 Hz ±1 st', 1.5, (t) => 220 * 2 ** (Math.sin(2 * Math.PI * 6 * t) / 12)],
  ['gaps', 2.0, (t) => ((t % 0.5) < 0.3 ? 140 + 40 * Math.sin(2 * Math.PI * t) : 0)],
  ['low male', 1.2, (t) => 85 + 10 * t],
  ['high child', 1.0, (t) => 450 - 60 * t],
];

function noise(n: number, kind: 'white' | 'babble', seed: number) {
  const r = rng(seed);
  if (kind === 'white') return Float32Array.from({ length: n }, () => gauss(r));
  // Babble: six talkers' worth of harmonic sources with wandering F0 and syllabic envelopes.
  const out = new Float32Array(n);
  for (let k = 0; k < 6; k++) {
    const base = 90 + 200 * r();
    const rate = 3 + 3 * r();
    const ph = r() * 6;
    const s = source(n / RATE, (t) => base * 2 ** (0.3 * Math.sin(2 * Math.PI * 0.7 * t + ph)), 1000 + k, 0.02);
    for (let i = 0; i < n; i++) out[i] += s[i] * (0.5 + 0.5 * Math.sin(2 * Math.PI * rate * (i / RATE) + ph));
  }
  return out;
}

function mix(sig: Float32Array, nz: Float32Array, snrDb: number) {
  let ps = 0, pn = 0, cnt = 0;
  for (let i = 0; i < sig.length; i++) if (sig[i] !== 0) { ps += sig[i] ** 2; cnt++; }
  for (let i = 0; i < nz.length; i++) pn += nz[i] ** 2;
  ps /= Math.max(1, cnt);
  pn /= nz.length;
  const g = Math.sqrt(ps / (pn * 10 ** (snrDb / 10)));
  return Float32Array.from(sig, (v, i) => v + g * nz[i]);
}

function score(est: Float32Array, truth: Float64Array) {
  let frames = 0, vde = 0, both = 0, gross = 0, s1 = 0, s2 = 0, fine = 0;
  for (let i = 0; i < Math.min(est.length, truth.length); i++) {
    // skip frames within 20 ms of a voicing change: the truth is ambiguous there
    const edge = [-2, -1, 1, 2].some((d) => i + d >= 0 && i + d < truth.length && truth[i + d] > 0 !== truth[i] > 0);
    if (edge) continue;
    const e = Number.isFinite(est[i]) ? est[i] : 0;
    const r = truth[i];
    frames++;
    if (e > 0 !== r > 0) vde++;
    if (e > 0 && r > 0) {
      both++;
      if (Math.abs(e - r) > 0.2 * r) gross++;
      else {
        const c = 1200 * Math.log2(e / r);
        s1 += c; s2 += c * c; fine++;
      }
    }
  }
  const m = fine ? s1 / fine : 0;
  return { frames, vde, both, gross, fpe2: fine ? s2 / fine - m * m : 0, fine };
}

describe('F0 on synthetic signals with exact ground truth', () => {
  const table: Record<string, { gpe: number; vde: number; fpe: number }> = {};
  for (const kind of ['clean', 'white', 'babble'] as const) {
    const snrs = kind === 'clean' ? [Infinity] : [30, 20, 10, 0];
    for (const snr of snrs) {
      it(`${kind} ${snr === Infinity ? '' : snr + ' dB'}`, () => {
        let tot = { frames: 0, vde: 0, both: 0, gross: 0, fpeSum: 0, fine: 0 };
        contours.forEach(([, dur, f], ci) => {
          const sig = source(dur, f, 7 + ci);
          const x = kind === 'clean' ? sig : mix(sig, noise(sig.length, kind, 99 + ci), snr);
          const r = extractF0Sync(x, { sampleRate: RATE });
          const s = score(r.f0, truthTrack(dur, f, r.hopSeconds));
          tot.frames += s.frames; tot.vde += s.vde; tot.both += s.both; tot.gross += s.gross;
          tot.fpeSum += s.fpe2 * s.fine; tot.fine += s.fine;
        });
        const res = { gpe: tot.gross / tot.both, vde: tot.vde / tot.frames, fpe: Math.sqrt(tot.fpeSum / Math.max(1, tot.fine)) };
        table[`${kind} ${snr}`] = res;
        console.log(`synthetic ${kind.padEnd(6)} SNR ${String(snr).padStart(8)}: GPE ${(100 * res.gpe).toFixed(2)}%  VDE ${(100 * res.vde).toFixed(2)}%  FPE ${res.fpe.toFixed(1)} cents`);
        if (snr >= 20) {
          expect(res.gpe).toBeLessThan(0.02);
          expect(res.vde).toBeLessThan(0.06);
          expect(res.fpe).toBeLessThan(40);
        } else if (snr >= 10) {
          // Babble at 10 dB is harmonic competing speech: the tracker follows a babble talker in
          // about a fifth of the frames (a known limit; this floor only guards against regression).
          expect(res.gpe).toBeLessThan(kind === 'babble' ? 0.3 : 0.05);
          expect(res.vde).toBeLessThan(kind === 'babble' ? 0.1 : 0.05);
        }
      });
    }
  }
});
