// Extreme but finite inputs to the GRPO API (issue #14): every result is finite and matches a
// float64 reference computed here by the textbook formula, or the call is refused with
// ERR_INVALID_ARG naming the value. Before the fix these gave NaN/±Infinity silently.
import { describe, expect, it } from 'vitest';
import {
  EmotionThinkerError,
  groupAdvantages,
  groupAdvantagesAsync,
  logitsLoss,
  logitsLossAsync,
  ptrRewards,
  toBf16,
  fromBf16,
  tokenLoss,
} from '../src/index.js';

function caught(fn: () => unknown): EmotionThinkerError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EmotionThinkerError);
    expect((err as EmotionThinkerError).code).toBe('ERR_INVALID_ARG');
    return err as EmotionThinkerError;
  }
  throw new Error('expected ERR_INVALID_ARG, the call returned');
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rel: number, abs = 0) {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    expect(Number.isFinite(got[i]), `element ${i} = ${got[i]} is not finite`).toBe(true);
    expect(Math.abs(got[i] - want[i]), `element ${i}: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(rel * Math.abs(want[i]) + abs);
  }
}

// log_softmax((z − max z)/T): the max is subtracted first, in float64, as any textbook does.
function softmaxRef(z: ArrayLike<number>, T: number) {
  let m = -Infinity;
  for (let j = 0; j < z.length; j++) m = Math.max(m, z[j]);
  const d = Array.from(z, (v) => (v - m) / T);
  const lse = Math.log(d.reduce((s, x) => s + Math.exp(x), 0));
  const p = d.map((x) => Math.exp(x - lse));
  let ent = 0;
  for (let j = 0; j < d.length; j++) if (p[j] > 0) ent -= p[j] * (d[j] - lse);
  return { logp: (label: number) => d[label] - lse, p, ent };
}

// One row with oldLogp = refLogp = 0, A = 1, β = 0.5 and the k1 KL, so the gradient is never
// all zero: L = max(−ρ, −clip(ρ, 0.8, 1.2)) + β·ℓ with ρ = e^clamp(ℓ, ±20), g = ∂L/∂ℓ (no policy
// gradient outside the clamp), and ∂loss/∂z = g·(onehot − p)/T.
function oneRow(logits: Float32Array | Float64Array | Uint16Array, z: ArrayLike<number>, label: number, T: number) {
  const ref = softmaxRef(z, T);
  const lp = ref.logp(label);
  const beta = 0.5;
  const inRange = lp > -20 && lp < 20;
  const rho = Math.exp(Math.min(20, Math.max(-20, lp)));
  const lossRef = Math.max(-rho, -Math.min(1.2, Math.max(0.8, rho))) + beta * lp;
  const g = (inRange && rho <= 1.2 ? -rho : 0) + beta;
  const r = logitsLoss({ logits, labels: [label], oldLogp: [0], refLogp: [0], advantages: [1] }, { beta, kl: 'k1', temperature: T });
  expect(Number.isFinite(r.loss)).toBe(true);
  expect(Math.abs(r.loss - lossRef)).toBeLessThanOrEqual(1e-6 * Math.abs(lossRef) + 1e-12);
  return { r, ref, lp, gradRef: ref.p.map((p, j) => (g * ((j === label ? 1 : 0) - p)) / T) };
}

describe('logitsLoss: temperature range', () => {
  it('refuses 1e-300 and 1e300 naming the value and the range', async () => {
    const inputs = { logits: new Float32Array([1, 2, 3]), labels: [0], oldLogp: [0], advantages: [1] };
    expect(caught(() => logitsLoss(inputs, { beta: 0, temperature: 1e-300 })).message).toMatch(
      /logitsLoss: option temperature must be a number in \[0\.0001, 10000\]; got 1e-300/,
    );
    expect(caught(() => logitsLoss(inputs, { beta: 0, temperature: 1e300 })).message).toMatch(/got 1e\+300/);
    await expect(logitsLossAsync(inputs, { beta: 0, temperature: 1e-300 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG',
      message: expect.stringMatching(/temperature must be a number in \[0\.0001, 10000\]; got 1e-300/),
    });
  });
  it('accepts the ends of the range with finite results matching the reference', () => {
    for (const T of [1e-4, 1e4]) {
      const z = new Float64Array([3, -2, 0.5, 2.9999]);
      const { r, ref, lp, gradRef } = oneRow(z, z, 3, T);
      expectClose(r.logp, [lp], 1e-9, 1e-12);
      expectClose(r.entropy, [ref.ent], 1e-9, 1e-12);
      expectClose(r.gradLogits!, gradRef, 1e-9, 1e-12);
    }
  });
});

describe('logitsLoss: logits of ±3.4e38 and ±1e308', () => {
  it('float32 ±3.4e38: finite logp, entropy and gradient', () => {
    const z = new Float32Array([3.4e38, -3.4e38, 0, 1e38, 3.3e38]);
    for (const [label, T] of [[0, 1], [4, 1], [3, 1], [0, 1e-4], [2, 1e4]] as const) {
      const { r, ref, lp, gradRef } = oneRow(z, z, label, T);
      expectClose(r.logp, [lp], 1e-6);
      expectClose(r.entropy, [ref.ent], 0, 1e-6);
      expectClose(r.gradLogits!, gradRef, 1e-6, 1e-30);
      expect(Number.isFinite(r.loss) && Number.isFinite(r.metrics.entropyMean)).toBe(true);
    }
  });
  it('float32 ties at 3.4e38 next to −3.4e38: entropy log 2, not NaN/Infinity', () => {
    const z = new Float32Array([3.4e38, 3.4e38, -3.4e38]);
    const { r, ref, lp, gradRef } = oneRow(z, z, 1, 1);
    expectClose(r.logp, [lp], 1e-6);
    expectClose(r.entropy, [Math.LN2], 1e-6);
    expect(ref.ent).toBeCloseTo(Math.LN2, 12);
    expectClose(r.gradLogits!, gradRef, 1e-6, 1e-30);
  });
  it('float32 3.3e38 at T = 3 (not a power of two): logp 0 at the maximum', () => {
    const z = new Float32Array([3.3e38, 1, -3.3e38]);
    for (const label of [0, 1]) {
      const { r, lp, gradRef } = oneRow(z, z, label, 3);
      expectClose(r.logp, [lp], 1e-6);
      expectClose(r.gradLogits!, gradRef, 1e-6, 1e-30);
    }
  });
  it('bf16 ±3.38e38: finite', () => {
    const bits = toBf16([3.38e38, 3.38e38, -3.38e38, 0]);
    const z = fromBf16(bits);
    const { r, lp, gradRef } = oneRow(bits, z, 0, 1);
    expectClose(r.logp, [lp], 1e-6);
    expectClose(r.entropy, [Math.LN2], 1e-6);
    expectClose(fromBf16(r.gradLogits as Uint16Array), gradRef, 1e-2);
  });
  it('float64 ±1e308: finite where representable', () => {
    const z = new Float64Array([1e308, 1e308, -1e308, 0]);
    for (const label of [0, 3]) {
      const { r, ref, lp, gradRef } = oneRow(z, z, label, 1);
      expectClose(r.logp, [lp], 1e-12);
      expectClose(r.entropy, [ref.ent], 1e-12);
      expectClose(r.gradLogits!, gradRef, 1e-12, 1e-300);
    }
  });
  it('a log-probability beyond the output range is refused, naming the logits', () => {
    const z = new Float32Array([3.4e38, -3.4e38, 0]);
    const e = caught(() => logitsLoss({ logits: z, labels: [1], oldLogp: [0], advantages: [1] }, { beta: 0 }));
    expect(e.message).toMatch(/logits row 0: log_softmax\(logits\/T\)\[label\] = -6\.79999\d*e\+38 is beyond the float32 range/);
    expect(e.message).toMatch(/logits\[1\] = -3\.39999\d*e\+38, row maximum logits\[0\] = 3\.39999\d*e\+38, temperature 1/);
    const z64 = new Float64Array([1e308, 0]);
    expect(caught(() => logitsLoss({ logits: z64, labels: [1], oldLogp: [0], advantages: [1] }, { beta: 0, temperature: 1e-4 })).message).toMatch(
      /= -Infinity is beyond the float64 range \(labels\[0\] = 1, logits\[1\] = 0, row maximum logits\[0\] = 1e\+308, temperature 0\.0001\)/,
    );
  });
  it('a gradient beyond float32 is refused, naming the advantage and the temperature', () => {
    const z = new Float32Array([1, 2, 3]);
    const ref = softmaxRef(z, 1e-4);
    const e = caught(() => logitsLoss({ logits: z, labels: [0], oldLogp: [ref.logp(0)], advantages: [1e36] }, { beta: 0, temperature: 1e-4 }));
    expect(e.message).toMatch(/logits row 0: the token loss overflows .*advantage 1e\+36.*temperature 0\.0001.*gradient scale -1e\+40 in float32/);
  });
});

// v·2^e in steps a double can hold (2^1062 alone overflows).
function ldexp(v: number, e: number): number {
  while (e > 1000) (v *= 2 ** 1000), (e -= 1000);
  while (e < -1000) (v *= 2 ** -1000), (e += 1000);
  return v * 2 ** e;
}

// Reference statistics on r·2^−k (exact), then the same formulas as docs/formulas.md#grpo-advantages.
function advRef(r: number[], mode: 'grpo' | 'dr_grpo' | 'rloo', eps = 1e-6) {
  const k = Math.floor(Math.log2(Math.max(...r.map(Math.abs))));
  const s = r.map((v) => ldexp(v, -k));
  const n = r.length;
  const mean = s.reduce((a, b) => a + b, 0) / n;
  if (mode === 'grpo') {
    const std = Math.sqrt(s.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
    return s.map((v) => (v - mean) / (std + ldexp(eps, -k)));
  }
  if (mode === 'dr_grpo') return s.map((v) => ldexp(v - mean, k));
  return s.map((v, i) => ldexp(v - (s.reduce((a, b) => a + b, 0) - s[i]) / (n - 1), k));
}

describe('groupAdvantages: rewards near the float64 limits', () => {
  it('rloo of 1e308 rewards is finite and matches r − mean of the others', () => {
    const r = [1e308, 1e308, 1e308, 0];
    const a = groupAdvantages(new Float64Array(r), 4, { mode: 'rloo' });
    // The others' mean, each term divided first so nothing overflows.
    const want = r.map((v, i) => v - r.reduce((acc, x, j) => (j === i ? acc : acc + x / 3), 0));
    expectClose(a, want, 1e-14);
    expectClose(a, advRef(r, 'rloo'), 1e-14);
  });
  it('grpo and dr_grpo of ±1.7e308 are finite', () => {
    const r = [1.7e308, -1.7e308, 3];
    expectClose(groupAdvantages(new Float64Array(r), 3), advRef(r, 'grpo'), 1e-14, 1e-300);
    const d = [1.7e308, -1.7e308];
    expectClose(groupAdvantages(new Float64Array(d), 2, { mode: 'dr_grpo' }), [1.7e308, -1.7e308], 1e-15);
  });
  it('grpo of subnormal rewards with eps 0 is finite (the variance no longer underflows to 0)', () => {
    const r = [1e-320, 2e-320, 0];
    expectClose(groupAdvantages(new Float64Array(r), 3, { eps: 0 }), advRef(r, 'grpo', 0), 1e-12);
  });
  it('an advantage beyond the output range is refused naming the reward', async () => {
    expect(caught(() => groupAdvantages(new Float64Array([1.7e308, -1.7e308]), 2, { mode: 'rloo' })).message).toMatch(
      /rewards\[0\] = 1\.7e\+308 gives a rloo advantage of Infinity, beyond the float64 range/,
    );
    expect(caught(() => groupAdvantages(new Float32Array([3e38, -3e38]), 2, { mode: 'rloo' })).message).toMatch(
      /rewards\[0\] = 3\.0000\d*e\+38 gives a rloo advantage of 6\.0000\d*e\+38, beyond the float32 range/,
    );
    await expect(groupAdvantagesAsync(new Float64Array([0, 1.7e308, -1.7e308]), 3, { mode: 'rloo' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG',
      message: expect.stringMatching(/rewards\[1\] = 1\.7e\+308 gives a rloo advantage/),
    });
  });
  it('float32 grpo of ±3e38 is finite', () => {
    const r = new Float32Array([3e38, -3e38, 1]);
    expectClose(groupAdvantages(r, 3), advRef(Array.from(r), 'grpo'), 1e-6, 1e-30);
  });
});

describe('ptrRewards: huge alpha weights', () => {
  const inputs = { correct: [1, 0], format: [10, 1], judgeScores: [1, 1, 1, 1, 5, 5, 5, 5], groups: 2 };
  it('an overflowing reward is refused naming the alpha and the format reward', () => {
    expect(caught(() => ptrRewards(inputs, { alpha: { format: 1e308 } })).message).toMatch(
      /reward\[0\] overflows to Infinity: alpha\.format = 1e\+308 × format\[0\] = 10/,
    );
    expect(caught(() => ptrRewards({ ...inputs, format: [1, 1] }, { alpha: [1e308, 1e308, 0.5] })).message).toMatch(
      /reward\[0\] overflows to Infinity: alpha = \(1e\+308, 1e\+308, 0\.5\) with format\[0\] = 1/,
    );
  });
  it('large but representable weights give the reference reward', () => {
    const r = ptrRewards(inputs, { alpha: { format: 1e300, outcome: 1e300, reasoning: 1e300 } });
    const R = [0.2, 1];  // Σ w·s/5
    const tau = Math.exp(R[0] - R[1]);  // correct reasons worse than wrong
    const want = [1e300 * 10 + 1e300 * 1 + 1e300 * tau * R[0], 1e300 * 1 + 0 + 1e300 * tau * R[1]];
    expectClose(r.reward, want, 1e-14);
  });
});

describe('tokenLoss: inputs whose loss overflows', () => {
  it('a per-token term beyond float32 is refused naming the advantage', () => {
    const e = caught(() =>
      tokenLoss(
        { logp: new Float32Array([0, -1]), oldLogp: new Float32Array([-20, -1]), advantages: new Float32Array([-1e38, 1]), shape: [1, 2] },
        { beta: 0, clipC: null },
      ),
    );
    expect(e.message).toMatch(/the token loss overflows float32 at token 0 \(sequence 0\): logp 0, oldLogp -20, advantage -9\.99999\d*e\+37/);
  });
  it('k2 of a −1e20 log-prob is refused naming refLogp', () => {
    const e = caught(() =>
      tokenLoss(
        { logp: new Float32Array([-1e20, -1]), oldLogp: new Float32Array([-1e20, -1]), refLogp: new Float32Array([0, -1]), advantages: new Float32Array([1, 1]), shape: [1, 2] },
        { beta: 0.1, kl: 'k2' },
      ),
    );
    expect(e.message).toMatch(/overflows float32 at token 0 .*refLogp 0, advantage 1 and weight 0\.5 give loss Infinity/);
  });
  it('a sum that overflows is refused naming the largest term', () => {
    const e = caught(() =>
      tokenLoss(
        { logp: new Float32Array(4), oldLogp: new Float32Array(4), advantages: new Float32Array([-3e38, -3e38, -3e38, -3e38]), shape: [1, 4] },
        { beta: 0, agg: 'seq-mean-token-sum', clipC: null },
      ),
    );
    expect(e.message).toMatch(/the aggregated token loss overflows \(Infinity\); the largest term is at token 0 .*advantage -3\.0000\d*e\+38/);
  });
  it('large finite float64 advantages give the reference loss and gradient', () => {
    const r = tokenLoss(
      { logp: new Float64Array([-1, -2]), oldLogp: new Float64Array([-1, -2]), advantages: new Float64Array([1e300, -1e300]), shape: [1, 2] },
      { beta: 0 },
    );
    // ratio 1, unclipped: L = −A per token, token-mean over 2.
    expect(r.loss).toBe(0);
    expectClose(r.gradLogp!, [-5e299, 5e299], 1e-15);
  });
});
