// Finite-difference checks of the analytic gradients on random inputs, on the float64 path:
// central differences with h = 1e-6, |analytic − numeric| ≤ 1e-6·max(1, |numeric|) (the
// truncation error of a central difference on these smooth pieces is ~h² and the rounding error
// ~1e-10/h). Tokens within 1e-4 of a kink (clip boundary, dual-clip cap, ±20 clamps, k3's ±10
// clamp) are skipped: the derivative is one-sided there. The float32 path is then compared with
// the float64 path (tolerance stated in each test), and invariants of the advantages are checked.
import { describe, expect, it } from 'vitest';
import {
  groupAdvantages,
  groupAdvantagesAsync,
  logitsLoss,
  logitsLossAsync,
  ProgressiveGate,
  tokenLoss,
  tokenLossAsync,
  type KlEstimator,
  type LossAggregation,
} from '../src/index.js';

import { rng } from './helpers/rng.js';

const H = 1e-6;

// Element-wise identity (NaN-free arrays); a plain loop, as toEqual is slow on millions of elements.
function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
const TOL = 1e-6;

interface Case {
  agg: LossAggregation;
  kl: KlEstimator;
  clipC: number | null;
  beta: number;
  clipLow: number;
  clipHigh: number;
  perToken: boolean;
  ragged: boolean;
}

function makeInputs(seed: number, B: number, L: number, c: Case) {
  const r = rng(seed);
  const n = B * L;
  const logp = new Float64Array(n);
  const oldLogp = new Float64Array(n);
  const refLogp = new Float64Array(n);
  const mask = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    logp[i] = -4 * r();
    // Log-ratios mostly within ±0.6 so every clip region is visited; a few beyond the ±20 clamp
    // (+25 only with a dual clip: without one, A < 0 makes −A·e^20 dominate the loss).
    const far = r() < 0.05;
    oldLogp[i] = logp[i] - (far ? (c.clipC !== null && r() < 0.5 ? 25 : -25) : (r() - 0.5) * 1.2);
    refLogp[i] = logp[i] - (r() - 0.5) * 3;
    mask[i] = r() < 0.8 ? 1 : 0;
  }
  const advantages = Float64Array.from({ length: c.perToken ? n : B }, () => (r() - 0.5) * 4);
  // Ragged: random sequence lengths summing to n (some empty).
  let offsets: number[] | undefined;
  if (c.ragged) {
    const cuts = Array.from({ length: B - 1 }, () => Math.floor(r() * (n + 1))).sort((a, b) => a - b);
    offsets = [0, ...cuts, n];
  }
  return { logp, oldLogp, refLogp, mask, advantages, offsets };
}

function nearKink(lp: number, old: number, ref: number, A: number, c: Case): boolean {
  const d = lp - old;
  if (Math.abs(Math.abs(d) - 20) < 1e-4) return true;
  const rho = Math.exp(Math.max(-20, Math.min(20, d)));
  if (Math.abs(rho - (1 - c.clipLow)) < 1e-4 || Math.abs(rho - (1 + c.clipHigh)) < 1e-4) return true;
  if (c.clipC !== null && A < 0 && Math.abs(rho - c.clipC) < 1e-4) return true;
  const x = lp - ref;
  if (c.kl === 'abs' && Math.abs(x) < 1e-4) return true;
  if (c.kl === 'k3') {
    const u = -x;
    if (Math.abs(Math.abs(u) - 20) < 1e-4) return true;
    const uc = Math.max(-20, Math.min(20, u));
    if (Math.abs(Math.exp(uc) - uc - 1 - 10) < 1e-3) return true;
  }
  return false;
}

const CASES: Case[] = [];
for (const agg of ['token-mean', 'seq-mean-token-mean', 'seq-mean-token-sum', 'seq-mean-token-sum-norm'] as const) {
  for (const kl of ['k1', 'abs', 'k2', 'k3'] as const) {
    CASES.push({ agg, kl, clipC: kl === 'k2' ? null : 3, beta: 0.1, clipLow: 0.2, clipHigh: kl === 'k1' ? 0.28 : 0.2, perToken: kl === 'abs', ragged: agg === 'seq-mean-token-mean' && kl !== 'k1' });
  }
}
CASES.push({ agg: 'token-mean', kl: 'k3', clipC: 1.5, beta: 0, clipLow: 0.1, clipHigh: 0.3, perToken: false, ragged: true });

describe('tokenLoss gradient (finite differences, float64)', () => {
  CASES.forEach((c, ci) => {
    it(`${c.agg} kl=${c.kl} beta=${c.beta} c=${c.clipC} ${c.perToken ? 'per-token A' : 'per-seq A'} ${c.ragged ? 'ragged' : 'padded'}`, () => {
      const B = 6, L = 9;
      const x = makeInputs(1000 + ci, B, L, c);
      const layout = c.ragged ? { offsets: x.offsets! } : { shape: [B, L] as [number, number] };
      const opts = { agg: c.agg, kl: c.kl, clipC: c.clipC, beta: c.beta, clipLow: c.clipLow, clipHigh: c.clipHigh, normLen: 7 };
      const run = (logp: Float64Array) =>
        tokenLoss({ logp, oldLogp: x.oldLogp, refLogp: x.refLogp, advantages: x.advantages, mask: x.mask, ...layout }, opts);
      const base = run(x.logp);
      const grad = base.gradLogp!;
      // Sequence index of each token, for the per-sequence advantage.
      const seqOf = (t: number) => (c.ragged ? x.offsets!.findIndex((o, b) => b + 1 < x.offsets!.length && t >= o && t < x.offsets![b + 1]) : Math.floor(t / L));
      let checked = 0;
      for (let t = 0; t < x.logp.length; t++) {
        const A = c.perToken ? x.advantages[t] : x.advantages[seqOf(t)];
        if (nearKink(x.logp[t], x.oldLogp[t], x.refLogp[t], A, c)) continue;
        const p = Float64Array.from(x.logp);
        p[t] += H;
        const up = run(p).loss;
        p[t] -= 2 * H;
        const dn = run(p).loss;
        const num = (up - dn) / (2 * H);
        expect(Math.abs(grad[t] - num), `token ${t}: analytic ${grad[t]} vs numeric ${num}`).toBeLessThanOrEqual(TOL * Math.max(1, Math.abs(num)));
        checked++;
      }
      expect(checked).toBeGreaterThan(x.logp.length * 0.8);
      // Masked tokens carry no gradient.
      for (let t = 0; t < x.logp.length; t++) if (x.mask[t] === 0) expect(grad[t] === 0).toBe(true);
    });
  });

  it('float32 path agrees with float64 (|Δ| ≤ 1e-5·max(1, |value|))', () => {
    const c = CASES[3];
    const B = 64, L = 300;
    const x = makeInputs(7, B, L, c);
    const opts = { agg: c.agg, kl: c.kl, clipC: c.clipC, beta: c.beta };
    const r64 = tokenLoss({ logp: x.logp, oldLogp: x.oldLogp, refLogp: x.refLogp, advantages: x.advantages, mask: x.mask, shape: [B, L] }, opts);
    const f = (a: Float64Array) => Float32Array.from(a);
    // Round the inputs to float32 first so both paths see the same numbers.
    const x32 = { logp: f(x.logp), oldLogp: f(x.oldLogp), refLogp: f(x.refLogp), advantages: f(x.advantages), mask: f(x.mask) };
    const r64b = tokenLoss({ ...Object.fromEntries(Object.entries(x32).map(([k, v]) => [k, Float64Array.from(v)])), shape: [B, L] } as never, opts);
    const r32 = tokenLoss({ ...x32, shape: [B, L] }, opts);
    expect(r32.gradLogp).toBeInstanceOf(Float32Array);
    expect(Math.abs(r32.loss - r64b.loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(r64b.loss)));
    const g32 = r32.gradLogp!, g64 = r64b.gradLogp!;
    for (let i = 0; i < g32.length; i++) expect(Math.abs(g32[i] - g64[i])).toBeLessThanOrEqual(1e-5 * Math.max(1e-3, Math.abs(g64[i])));
    expect(Math.abs(r64.loss - r64b.loss)).toBeLessThan(1e-3);
    for (const k of ['clipFracLow', 'clipFracHigh', 'clipFracDual', 'klMean', 'ratioMean'] as const) {
      expect(Math.abs(r32.metrics[k] - r64b.metrics[k])).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(r64b.metrics[k])));
    }
  });

  it('threads and async give bit-identical results (fixed chunking)', async () => {
    const c = CASES[0];
    const B = 40, L = 5000;
    const x = makeInputs(11, B, L, c);
    const f = (a: Float64Array) => Float32Array.from(a);
    const inputs = { logp: f(x.logp), oldLogp: f(x.oldLogp), refLogp: f(x.refLogp), advantages: f(x.advantages), mask: Uint8Array.from(x.mask), shape: [B, L] as [number, number] };
    const one = tokenLoss(inputs, { threads: 1 });
    const two = tokenLoss(inputs, { threads: 2 });
    const asy = await tokenLossAsync(inputs, { threads: 2 });
    expect(two.loss).toBe(one.loss);
    expect(asy.loss).toBe(one.loss);
    expect(sameBits(two.gradLogp!, one.gradLogp!)).toBe(true);
    expect(sameBits(asy.gradLogp!, one.gradLogp!)).toBe(true);
    expect(two.metrics).toEqual(one.metrics);
  });
});

// Plain float64 log-softmax statistics of one row.
function rowStats(z: ArrayLike<number>, label: number, T: number) {
  let m = -Infinity;
  for (let j = 0; j < z.length; j++) m = Math.max(m, z[j] / T);
  let s = 0;
  for (let j = 0; j < z.length; j++) s += Math.exp(z[j] / T - m);
  const lse = m + Math.log(s);
  let ent = 0;
  for (let j = 0; j < z.length; j++) {
    const p = Math.exp(z[j] / T - lse);
    ent -= p * (z[j] / T - lse);
  }
  return { logp: z[label] / T - lse, ent };
}

describe('logitsLoss gradient (finite differences, float64)', () => {
  for (const T of [1, 0.7, 1.5]) {
    for (const agg of ['token-mean', 'seq-mean-token-mean'] as const) {
      it(`temperature ${T}, ${agg}`, () => {
        const r = rng(T * 100 + agg.length);
        const N = 6, V = 40;
        const logits = Float64Array.from({ length: N * V }, () => (r() - 0.5) * 8);
        const labels = Int32Array.from({ length: N }, () => Math.floor(r() * V));
        const oldLogp = Float64Array.from({ length: N }, (_, i) => rowStats(logits.subarray(i * V, i * V + V), labels[i], T).logp + (r() - 0.5) * 0.5);
        const refLogp = Float64Array.from(oldLogp, (v) => v + (r() - 0.5));
        const advantages = Float64Array.from({ length: N }, () => (r() - 0.5) * 3);
        const mask = Float64Array.from({ length: N }, (_, i) => (i === 2 ? 0 : 1));
        const opts = { temperature: T, beta: 0.05, kl: 'k3' as const, clipC: 3, agg, clipHigh: 0.28 };
        const shape = [2, 3] as [number, number];
        const run = (z: Float64Array) => logitsLoss({ logits: z, labels, oldLogp, refLogp, advantages, mask, shape }, opts);
        const base = run(logits);
        for (let i = 0; i < N; i++) {
          const s = rowStats(logits.subarray(i * V, i * V + V), labels[i], T);
          expect(Math.abs(base.logp[i] - s.logp)).toBeLessThan(1e-12);
          expect(Math.abs(base.entropy[i] - s.ent)).toBeLessThan(1e-12);
          expect(base.logp[i]).toBeLessThanOrEqual(0);
        }
        const g = base.gradLogits!;
        for (let k = 0; k < N * V; k++) {
          const z = Float64Array.from(logits);
          z[k] += H;
          const up = run(z).loss;
          z[k] -= 2 * H;
          const dn = run(z).loss;
          const num = (up - dn) / (2 * H);
          expect(Math.abs(g[k] - num), `logit ${k}: ${g[k]} vs ${num}`).toBeLessThanOrEqual(TOL * Math.max(1, Math.abs(num)) + 1e-9);
        }
        // The gradient of a row sums to zero (softmax minus one-hot); masked row is zero.
        for (let i = 0; i < N; i++) {
          let s = 0;
          for (let j = 0; j < V; j++) s += g[i * V + j];
          expect(Math.abs(s)).toBeLessThan(1e-12);
        }
        for (let j = 0; j < V; j++) expect(g[2 * V + j] === 0).toBe(true);
      });
    }
  }

  it('float32 and bf16 paths track float64 on a large vocabulary, sync and async, in place', async () => {
    const r = rng(99);
    const N = 8, V = 151936;
    const logits32 = Float32Array.from({ length: N * V }, () => (r() - 0.5) * 20);
    logits32[3 * V + 17] = 40; // one dominant logit
    const labels = Int32Array.from({ length: N }, (_, i) => (i === 3 ? 17 : Math.floor(r() * V)));
    const oldLogp = Float64Array.from({ length: N }, () => -12 + r());
    const refLogp = Float64Array.from(oldLogp, (v) => v + 0.1);
    const advantages = Float64Array.from({ length: N }, () => r() - 0.5);
    const inputs = { labels, oldLogp, refLogp, advantages };
    const exact = logitsLoss({ ...inputs, logits: Float64Array.from(logits32) });
    const f32 = logitsLoss({ ...inputs, logits: logits32 });
    // Float32 statistics with float64 sums: logp and entropy within 2e-5 absolute at 152k entries.
    for (let i = 0; i < N; i++) {
      expect(Math.abs(f32.logp[i] - exact.logp[i])).toBeLessThan(2e-5);
      expect(Math.abs(f32.entropy[i] - exact.entropy[i])).toBeLessThan(2e-5);
      expect(f32.logp[i]).toBeLessThanOrEqual(0);
    }
    expect(f32.logp[3]).toBeGreaterThan(-1e-3);
    const g32 = f32.gradLogits!, g64 = exact.gradLogits!;
    let worst = 0;
    for (let k = 0; k < g32.length; k++) worst = Math.max(worst, Math.abs(g32[k] - g64[k]) / Math.max(1e-6, Math.abs(g64[k])));
    expect(worst).toBeLessThan(1e-4);
    const copy = Float32Array.from(logits32);
    const inplace = await logitsLossAsync({ ...inputs, logits: copy }, { inPlace: true });
    expect(inplace.gradLogits).toBe(copy);
    expect(sameBits(copy, g32)).toBe(true);
    expect(inplace.loss).toBe(f32.loss);
  });
});

describe('groupAdvantages invariants', () => {
  it('a constant group gives exactly 0, however many members (no float residue)', () => {
    const rewards = new Float64Array(1000).fill(0.1);
    const adv = groupAdvantages(rewards, [0, 1000]);
    expect(adv.every((v) => v === 0)).toBe(true);
    const a32 = groupAdvantages(new Float32Array(999).fill(0.7), 333, { mode: 'rloo' });
    expect(a32.every((v) => v === 0)).toBe(true);
  });

  it('NaN rewards get 0 and are excluded from the statistics', () => {
    const adv = groupAdvantages([1, NaN, 0, NaN, 0.5], [0, 5], { std: 'population', eps: 0 });
    const ref = groupAdvantages([1, 0, 0.5], [0, 3], { std: 'population', eps: 0 });
    expect(Array.from(adv)).toEqual([ref[0], 0, ref[1], 0, ref[2]]);
    // A group with one valid reward is a singleton; all-NaN is all zero.
    expect(Array.from(groupAdvantages([NaN, 2, NaN, NaN], 2, { singleton: 'raw' }))).toEqual([0, 2, 0, 0]);
  });

  it('grpo output has zero mean and unit std (population, eps 0) per group; rloo matches its definition', () => {
    const r = rng(5);
    const rewards = Float64Array.from({ length: 64 }, () => r());
    const adv = groupAdvantages(rewards, 8, { std: 'population', eps: 0 });
    for (let g = 0; g < 8; g++) {
      const a = adv.subarray(g * 8, g * 8 + 8);
      const mean = a.reduce((s, v) => s + v, 0) / 8;
      const v = a.reduce((s, x) => s + (x - mean) ** 2, 0) / 8;
      expect(Math.abs(mean)).toBeLessThan(1e-12);
      expect(Math.abs(v - 1)).toBeLessThan(1e-12);
    }
    const rl = groupAdvantages(rewards, 8, { mode: 'rloo' });
    const s0 = rewards.subarray(0, 8).reduce((s, v) => s + v, 0);
    expect(Math.abs(rl[3] - (rewards[3] - (s0 - rewards[3]) / 7))).toBeLessThan(1e-14);
  });

  it('large inputs: threads, async and float32 agree', async () => {
    const r = rng(6);
    const rewards = new Float64Array(1 << 20);
    for (let i = 0; i < rewards.length; i++) rewards[i] = r() < 0.01 ? NaN : Math.floor(r() * 5) / 4;
    const a1 = groupAdvantages(rewards, 8, { threads: 1 });
    const a2 = groupAdvantages(rewards, 8, { threads: 2 });
    const a3 = await groupAdvantagesAsync(rewards, 8);
    expect(sameBits(a2, a1)).toBe(true);
    expect(sameBits(a3, a1)).toBe(true);
    const f = groupAdvantages(Float32Array.from(rewards), 8);
    for (let i = 0; i < f.length; i += 997) expect(Math.abs(f[i] - a1[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(a1[i])));
  });
});

describe('ProgressiveGate', () => {
  it('opens when the moving mean over a full window reaches the threshold, and stays open', () => {
    const gate = new ProgressiveGate({ threshold: 0.5, window: 4 });
    expect([0.9, 0.9, 0.9].map((a) => gate.update(a))).toEqual([false, false, false]); // window not full
    expect(gate.update(0.0)).toBe(true); // mean 0.675
    expect(gate.openedAtStep).toBe(4);
    expect(gate.update(0)).toBe(true);
    expect(gate.update(0)).toBe(true);
  });

  it('opens at a given step whatever the accuracy', () => {
    const gate = new ProgressiveGate({ openAtStep: 3 });
    expect([0, 0, 0, 0].map((a) => gate.update(a))).toEqual([false, false, true, true]);
  });

  it('round-trips through JSON mid-training', () => {
    const gate = new ProgressiveGate({ threshold: 0.6, window: 3 });
    gate.update(0.2);
    gate.update(0.7);
    const restored = ProgressiveGate.fromJSON(JSON.stringify(gate));
    expect(restored.toJSON()).toEqual(gate.toJSON());
    expect(restored.update(0.9)).toBe(gate.update(0.9));
    expect(restored.update(0.9)).toBe(true);
    expect(gate.update(0.9)).toBe(true);
    expect(ProgressiveGate.fromJSON(gate.toJSON()).open).toBe(true);
  });
});
