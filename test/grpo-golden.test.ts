// Every case of shared/golden/grpo.json (an independent float64 PyTorch reference of docs/formulas.md#grpo-and-grpo-ptr)
// through the public API, within the case's tolerance: |got − want| ≤ tol·max(1, |want|).
// The float64 path is held to the file's tolerances; the float32 and bf16 paths are checked too,
// with the tolerances their input precision allows (stated per test).
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fromBf16, groupAdvantages, logitsLoss, ptrRewards, toBf16, tokenLoss } from '../src/index.js';

interface GoldenCase {
  kind: 'advantages' | 'ptr_reward' | 'token_loss' | 'logits_loss';
  params: Record<string, unknown>;
  inputs: Record<string, (number | null)[]>;
  outputs: Record<string, number | (number | null)[]>;
  tol: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const candidates = [path.resolve(here, '../../shared/golden/grpo.json'), '/work/shared/golden/grpo.json'];
const goldenPath = candidates.find((p) => existsSync(p));
const golden: { cases: GoldenCase[] } = goldenPath ? JSON.parse(readFileSync(goldenPath, 'utf8')) : { cases: [] };

const f64 = (a: (number | null)[]) => Float64Array.from(a, (v) => (v === null ? NaN : v));
const f32 = (a: (number | null)[]) => Float32Array.from(a, (v) => (v === null ? NaN : v));

function within(got: ArrayLike<number>, want: ArrayLike<number | null>, tol: number, what: string) {
  expect(got.length, `${what} length`).toBe(want.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    const g = got[i];
    if (w === null || !Number.isFinite(w)) {
      expect(Number.isFinite(g), `${what}[${i}] should be non-finite`).toBe(false);
      continue;
    }
    const err = Math.abs(g - w) / Math.max(1, Math.abs(w));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  expect(worst, `${what}: worst scaled error at [${at}]`).toBeLessThanOrEqual(tol);
}

function scalar(got: number, want: number, tol: number, what: string) {
  within([got], [want], tol, what);
}

const byKind = (k: GoldenCase['kind']) => golden.cases.map((c, i) => ({ c, i })).filter(({ c }) => c.kind === k);

describe('golden file', () => {
  it('is present and covers every kind', () => {
    expect(goldenPath, 'shared/golden/grpo.json not found').toBeDefined();
    for (const k of ['advantages', 'ptr_reward', 'token_loss', 'logits_loss'] as const) expect(byKind(k).length).toBeGreaterThan(0);
  });
});

describe('groupAdvantages (golden)', () => {
  for (const { c, i } of byKind('advantages')) {
    const p = c.params as { mode: 'grpo' | 'dr_grpo' | 'rloo'; std: 'unbiased' | 'population'; eps: number; singleton: 'zero' | 'raw' };
    const opts = { mode: p.mode, std: p.std, eps: p.eps, singleton: p.singleton };
    it(`case ${i}: ${p.mode} ${p.std} singleton=${p.singleton} (float64, tol ${c.tol})`, () => {
      const adv = groupAdvantages(f64(c.inputs.rewards), c.inputs.offsets as number[], opts);
      expect(adv).toBeInstanceOf(Float64Array);
      within(adv, c.outputs.advantages as number[], c.tol, 'advantages');
    });
    it(`case ${i}: float32 rewards (tol 1e-6: the rewards themselves are rounded to float32)`, () => {
      const adv = groupAdvantages(f32(c.inputs.rewards), Uint32Array.from(c.inputs.offsets as number[]), opts);
      expect(adv).toBeInstanceOf(Float32Array);
      within(adv, c.outputs.advantages as number[], 1e-6, 'advantages');
    });
  }
});

describe('ptrRewards (golden)', () => {
  for (const { c, i } of byKind('ptr_reward')) {
    const p = c.params as { alpha_format: number; alpha_outcome: number; alpha_reasoning: number; judge_weights: number[]; reasoning_enabled: boolean };
    it(`case ${i}: weights ${p.judge_weights.join('/')} reasoning ${p.reasoning_enabled ? 'on' : 'off'} (tol ${c.tol})`, () => {
      const r = ptrRewards(
        { correct: c.inputs.correct as number[], format: c.inputs.format as number[], judgeScores: c.inputs.judge_scores as number[], groups: c.inputs.offsets as number[] },
        { alpha: { format: p.alpha_format, outcome: p.alpha_outcome, reasoning: p.alpha_reasoning }, judgeWeights: p.judge_weights, reasoningEnabled: p.reasoning_enabled },
      );
      within(r.reasoningReward, c.outputs.reasoning_reward as number[], c.tol, 'reasoning_reward');
      within(r.trust, c.outputs.trust as number[], c.tol, 'trust');
      within(r.reward, c.outputs.reward as number[], c.tol, 'reward');
    });
  }
});

type LossParams = {
  clip_low: number;
  clip_high: number;
  clip_c: number | null;
  beta: number;
  kl: 'k1' | 'abs' | 'k2' | 'k3';
  agg: 'token-mean' | 'seq-mean-token-mean' | 'seq-mean-token-sum' | 'seq-mean-token-sum-norm';
  norm_len?: number;
  temperature?: number;
};

function lossOptions(p: LossParams) {
  return { clipLow: p.clip_low, clipHigh: p.clip_high, clipC: p.clip_c, beta: p.beta, kl: p.kl, agg: p.agg, normLen: p.norm_len };
}

describe('tokenLoss (golden)', () => {
  for (const { c, i } of byKind('token_loss')) {
    const p = c.params as LossParams;
    const shape = c.inputs.shape as [number, number];
    const label = `case ${i}: ${p.agg} kl=${p.kl} beta=${p.beta} clip=${p.clip_low}/${p.clip_high} c=${p.clip_c}`;
    it(`${label} (float64, tol ${c.tol})`, () => {
      const r = tokenLoss(
        { logp: f64(c.inputs.logp), oldLogp: f64(c.inputs.old_logp), refLogp: f64(c.inputs.ref_logp), advantages: f64(c.inputs.advantages), mask: f64(c.inputs.mask), shape },
        lossOptions(p),
      );
      scalar(r.loss, c.outputs.loss as number, c.tol, 'loss');
      within(r.gradLogp!, c.outputs.grad_logp as number[], c.tol, 'grad_logp');
    });
    it(`${label} (float32 inputs with a Uint8Array mask, tol 1e-6)`, () => {
      const mask = Uint8Array.from(c.inputs.mask as number[]);
      const r = tokenLoss(
        { logp: f32(c.inputs.logp), oldLogp: f32(c.inputs.old_logp), refLogp: f32(c.inputs.ref_logp), advantages: f32(c.inputs.advantages), mask, shape },
        lossOptions(p),
      );
      scalar(r.loss, c.outputs.loss as number, 1e-6, "loss");
      within(r.gradLogp!, c.outputs.grad_logp as number[], 1e-6, "grad_logp");
    });
    it(`${label} (ragged offsets layout, float64, tol ${c.tol})`, () => {
      const [B, L] = shape;
      const offsets = Array.from({ length: B + 1 }, (_, b) => b * L);
      const r = tokenLoss(
        { logp: f64(c.inputs.logp), oldLogp: f64(c.inputs.old_logp), refLogp: f64(c.inputs.ref_logp), advantages: f64(c.inputs.advantages), mask: f64(c.inputs.mask), offsets },
        { ...lossOptions(p), normLen: p.norm_len ?? L },
      );
      scalar(r.loss, c.outputs.loss as number, c.tol, 'loss');
      within(r.gradLogp!, c.outputs.grad_logp as number[], c.tol, 'grad_logp');
    });
  }
});

describe('logitsLoss (golden)', () => {
  for (const { c, i } of byKind('logits_loss')) {
    const p = c.params as LossParams;
    const [N, V] = c.inputs.shape as [number, number];
    const label = `case ${i}: N=${N} V=${V} T=${p.temperature} c=${p.clip_c}`;
    const base = () => ({
      labels: c.inputs.labels as number[],
      oldLogp: c.inputs.old_logp as number[],
      refLogp: c.inputs.ref_logp as number[],
      advantages: c.inputs.advantages as number[],
      mask: c.inputs.mask as number[],
      vocab: V,
    });
    const opts = { ...lossOptions(p), temperature: p.temperature };
    it(`${label} (float64 logits, tol ${c.tol})`, () => {
      const r = logitsLoss({ ...base(), logits: f64(c.inputs.logits) }, opts);
      scalar(r.loss, c.outputs.loss as number, c.tol, 'loss');
      within(r.logp, c.outputs.logp as number[], c.tol, 'logp');
      within(r.entropy, c.outputs.entropy as number[], c.tol, 'entropy');
      within(r.gradLogits!, c.outputs.grad_logits as number[], c.tol, 'grad_logits');
      for (const v of r.logp) expect(v).toBeLessThanOrEqual(0);
    });
    it(`${label} (float32 logits, tol 1e-6)`, () => {
      const r = logitsLoss({ ...base(), logits: f32(c.inputs.logits) }, opts);
      expect(r.gradLogits).toBeInstanceOf(Float32Array);
      scalar(r.loss, c.outputs.loss as number, 1e-6, 'loss');
      within(r.logp, c.outputs.logp as number[], 1e-6, 'logp');
      within(r.entropy, c.outputs.entropy as number[], 1e-6, 'entropy');
      within(r.gradLogits!, c.outputs.grad_logits as number[], 1e-6, 'grad_logits');
    });
    it(`${label} (float32 logits, gradient in place)`, () => {
      const logits = f32(c.inputs.logits);
      const r = logitsLoss({ ...base(), logits }, { ...opts, inPlace: true });
      expect(r.gradLogits).toBe(logits);
      within(logits, c.outputs.grad_logits as number[], 1e-6, 'grad_logits (in place)');
      scalar(r.loss, c.outputs.loss as number, 1e-6, 'loss');
    });
    it(`${label} (bf16 logits vs the float64 path on the same bf16 values)`, () => {
      const bf = toBf16(f32(c.inputs.logits));
      const exact = logitsLoss({ ...base(), logits: Float64Array.from(fromBf16(bf)) }, opts);
      const r = logitsLoss({ ...base(), logits: bf }, opts);
      expect(r.gradLogits).toBeInstanceOf(Uint16Array);
      // Statistics in float32 from exact bf16 inputs: float32-level agreement.
      scalar(r.loss, exact.loss, 1e-5, 'loss');
      within(r.logp, exact.logp, 1e-5, 'logp');
      within(r.entropy, exact.entropy, 1e-5, 'entropy');
      // The gradient is stored in bf16 (8 significant bits): relative 2^-8 of each entry.
      const g = fromBf16(r.gradLogits!);
      const want = exact.gradLogits!;
      for (let j = 0; j < g.length; j++) expect(Math.abs(g[j] - want[j])).toBeLessThanOrEqual(Math.abs(want[j]) * 2 ** -8 + 1e-30);
    });
  }
});
