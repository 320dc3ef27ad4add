// Seeded fuzz of the GRPO API (issue #14): random shapes and random magnitudes, exponents from
// subnormal to the float32/float64 limits. Every call either returns only finite numbers (and
// log-probs ≤ 0, 0 ≤ entropy ≤ log V) or throws ERR_INVALID_ARG; never NaN, ±Infinity, another
// error or a crash. A failure prints the seed and iteration to replay.
import { describe, expect, it } from 'vitest';
import { EmotionThinkerError, fromBf16, groupAdvantages, logitsLoss, ptrRewards, toBf16, tokenLoss } from '../src/index.js';
import { rng } from './helpers/rng.js';

type Rand = () => number;
const F32_MAX = 3.4028234663852886e38;
const BF16_MAX = 3.3895313892515355e38;

const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

// A finite value: ordinary, or sign·m·10^e with e anywhere in the type's range, or an edge.
function value(r: Rand, max: number): number {
  const u = r();
  const sign = r() < 0.5 ? -1 : 1;
  if (u < 0.35) return 20 * (r() - 0.5);
  if (u < 0.9) {
    const e = max === Number.MAX_VALUE ? int(r, -323, 308) : int(r, -45, 38);
    return Math.max(-max, Math.min(max, sign * (1 + 9 * r()) * 10 ** e));
  }
  return sign * pick(r, [0, max, max / 2, 5e-324, 1.4e-45, 1]);
}

function fill(r: Rand, n: number, max: number): number[] {
  // Rows of one magnitude class, or mixed: both stress different paths.
  return Array.from({ length: n }, () => value(r, max));
}

function allFinite(what: string, a: ArrayLike<number> | number): void {
  const arr = typeof a === 'number' ? [a] : a;
  for (let i = 0; i < arr.length; i++) {
    if (!Number.isFinite(arr[i])) throw new Error(`${what}[${i}] = ${arr[i]} is not finite`);
  }
}

function groups(r: Rand, n: number): { groups: number | number[]; n: number } {
  if (r() < 0.5) {
    const g = int(r, 1, 9);
    return { groups: g, n: g * int(r, 1, 4) };
  }
  const offs = [0];
  while (offs[offs.length - 1] < n) offs.push(offs[offs.length - 1] + int(r, 1, 6));
  return { groups: offs, n: offs[offs.length - 1] };
}

function advCase(r: Rand) {
  const f32 = r() < 0.5;
  const g = groups(r, int(r, 1, 20));
  const vals = fill(r, g.n, f32 ? F32_MAX : Number.MAX_VALUE).map((v) => (r() < 0.05 ? NaN : v));
  const rewards = f32 ? Float32Array.from(vals) : Float64Array.from(vals);
  const out = groupAdvantages(rewards, g.groups, {
    mode: pick(r, ['grpo', 'dr_grpo', 'rloo'] as const),
    std: pick(r, ['unbiased', 'population'] as const),
    eps: pick(r, [0, 1e-6, 1, Math.abs(value(r, Number.MAX_VALUE))]),
    singleton: pick(r, ['zero', 'raw'] as const),
  });
  allFinite('advantages', out);
}

function ptrCase(r: Rand) {
  const g = groups(r, int(r, 1, 12));
  const dims = int(r, 1, 4);
  const w = Array.from({ length: dims }, () => r() + 0.01);
  const ws = w.reduce((a, b) => a + b, 0);
  const res = ptrRewards(
    {
      correct: Array.from({ length: g.n }, () => (r() < 0.5 ? 1 : 0)),
      format: fill(r, g.n, Number.MAX_VALUE),
      judgeScores: Array.from({ length: g.n * dims }, () => 1 + 4 * r()),
      groups: g.groups,
    },
    { alpha: [value(r, Number.MAX_VALUE), value(r, Number.MAX_VALUE), value(r, Number.MAX_VALUE)], judgeWeights: w.map((x) => x / ws) },
  );
  allFinite('reward', res.reward);
  allFinite('trust', res.trust);
  allFinite('reasoningReward', res.reasoningReward);
}

function lossOptions(r: Rand) {
  return {
    beta: pick(r, [0, 0.04, 1, Math.abs(value(r, Number.MAX_VALUE))]),
    kl: pick(r, ['k1', 'abs', 'k2', 'k3'] as const),
    agg: pick(r, ['token-mean', 'seq-mean-token-mean', 'seq-mean-token-sum', 'seq-mean-token-sum-norm'] as const),
    clipC: pick(r, [null, 3, 1.5 + Math.abs(value(r, 1e300))]),
    clipHigh: pick(r, [0.2, 0.28, 10]),
  };
}

function tokenCase(r: Rand) {
  const f32 = r() < 0.5;
  const max = f32 ? F32_MAX : Number.MAX_VALUE;
  const B = int(r, 1, 4);
  const L = int(r, 1, 6);
  const n = B * L;
  const mk = (v: number[]) => (f32 ? Float32Array.from(v) : Float64Array.from(v));
  const maskKind = int(r, 0, 2);
  const perToken = r() < 0.5;
  const res = tokenLoss(
    {
      logp: mk(fill(r, n, max)),
      oldLogp: mk(fill(r, n, max)),
      refLogp: mk(fill(r, n, max)),
      advantages: mk(fill(r, perToken ? n : B, max)),
      mask: maskKind === 0 ? undefined : maskKind === 1 ? Uint8Array.from({ length: n }, () => (r() < 0.7 ? 1 : 0)) : mk(fill(r, n, max).map(Math.abs)),
      shape: [B, L],
    },
    { ...lossOptions(r), advantagesPer: perToken ? 'token' : 'sequence' },
  );
  allFinite('loss', res.loss);
  allFinite('gradLogp', res.gradLogp!);
  allFinite('metrics', Object.values(res.metrics));
}

function logitsCase(r: Rand) {
  const type = pick(r, ['f32', 'f64', 'bf16'] as const);
  const max = type === 'f64' ? Number.MAX_VALUE : type === 'f32' ? F32_MAX : BF16_MAX;
  const rows = int(r, 1, 4);
  const V = int(r, 1, 40);
  // A row's logits share a magnitude class half the time (extreme but comparable values).
  const raw: number[] = [];
  for (let i = 0; i < rows; i++) {
    if (r() < 0.5) raw.push(...fill(r, V, max));
    else {
      const s = Math.abs(value(r, max)) / 20;
      for (let j = 0; j < V; j++) raw.push(Math.max(-max, Math.min(max, s * 20 * (r() - 0.5))));
    }
  }
  const logits = type === 'f64' ? Float64Array.from(raw) : type === 'f32' ? Float32Array.from(raw) : toBf16(raw);
  const T = 10 ** (-5 + 10 * r());  // a fifth of them outside the accepted range
  const res = logitsLoss(
    {
      logits,
      labels: Array.from({ length: rows }, () => int(r, 0, V - 1)),
      oldLogp: fill(r, rows, max),
      refLogp: fill(r, rows, max),
      advantages: fill(r, rows, max),
      mask: r() < 0.5 ? undefined : fill(r, rows, max).map(Math.abs),
    },
    { ...lossOptions(r), temperature: T },
  );
  allFinite('loss', res.loss);
  allFinite('logp', res.logp);
  allFinite('entropy', res.entropy);
  allFinite('metrics', Object.values(res.metrics));
  allFinite('gradLogits', type === 'bf16' ? fromBf16(res.gradLogits as Uint16Array) : (res.gradLogits as Float32Array));
  for (let i = 0; i < rows; i++) {
    if (!(res.logp[i] <= 0)) throw new Error(`logp[${i}] = ${res.logp[i]} > 0`);
    if (!(res.entropy[i] >= 0 && res.entropy[i] <= Math.log(V) * (1 + 1e-5) + 1e-5)) {
      throw new Error(`entropy[${i}] = ${res.entropy[i]} outside [0, log ${V}]`);
    }
  }
}

const KINDS = { advantages: advCase, ptrRewards: ptrCase, tokenLoss: tokenCase, logitsLoss: logitsCase };

describe('GRPO fuzz: finite results or ERR_INVALID_ARG', () => {
  for (const [name, run] of Object.entries(KINDS)) {
    it(`${name}: 1500 seeded random cases`, () => {
      const seed = 0x5eed + name.length;
      const r = rng(seed);
      let refused = 0;
      for (let it = 0; it < 1500; it++) {
        try {
          run(r);
        } catch (err) {
          if (err instanceof EmotionThinkerError && err.code === 'ERR_INVALID_ARG') {
            refused++;
            if (process.env.GRPO_FUZZ_VERBOSE) console.log(name, (err as Error).message.replace(/[-\d.e+]+/g, '#').slice(0, 90));
            continue;
          }
          throw new Error(`${name} seed ${seed} iteration ${it}: ${(err as Error).stack ?? String(err)}`);
        }
      }
      // At least a quarter of the cases are computed, not refused: the fuzz exercises the
      // numerics, not only the checks.
      expect(refused, `${refused} of 1500 refused`).toBeLessThan(1125);
    });
  }
});
