import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  backends,
  cudaLogitsLoss,
  cudaGroupAdvantages,
  cudaPtrAdvantages,
  cudaTokenLoss,
  DeviceBuffer,
  EmotionThinkerError,
  groupAdvantages,
  logitsLoss,
  ptrRewards,
  tokenLoss,
  toBf16,
} from '../src/index.js';
import { rng } from './helpers/wav.js';

const cuda = backends().cuda;

describe('CUDA backend without a GPU', () => {
  it.skipIf(cuda.available)('every device call throws ERR_BACKEND_UNAVAILABLE with the reason, never crashes', () => {
    for (const fn of [
      () => DeviceBuffer.alloc(16),
      () => DeviceBuffer.from(new Float32Array(4)),
      () => groupAdvantages(new Float32Array([1, 2, 3, 4]), 2, { backend: 'cuda' }),
      () => tokenLoss({ logp: new Float32Array(4), oldLogp: new Float32Array(4), advantages: [1], shape: [1, 4] }, { beta: 0, backend: 'cuda' }),
      () => ptrRewards({ correct: [1, 0], format: [1, 1], judgeScores: new Array(8).fill(3), groups: 2 }, { backend: 'cuda' }),
    ]) {
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(EmotionThinkerError);
      expect((err as EmotionThinkerError).code).toBe('ERR_BACKEND_UNAVAILABLE');
      expect((err as Error).message).toMatch(/CUDA|cuda/);
    }
  });
});

// These run on a GPU machine (benchmarks/gpu/run.sh runs them there). Skipped here because
// `backends().cuda.available` is false: ${cuda.reason}
describe.skipIf(!cuda.available)(`CUDA GRPO kernels match the CPU path (skipped without a GPU: ${cuda.reason ?? ''})`, () => {
  const rand = rng(7);
  const randn = (n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());
  const close = (got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string) => {
    expect(got.length, what).toBe(want.length);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
    expect(worst, what).toBeLessThanOrEqual(tol);
  };

  it('golden cases: advantages, PTR, token loss and logits loss within float32 tolerance', () => {
    const golden = JSON.parse(readFileSync(path.resolve(__dirname, '../../shared/golden/grpo.json'), 'utf8'));
    let checked = 0;
    for (const c of golden.cases) {
      const tol = Math.max(c.tol, 2e-5);
      const p = c.params;
      const num = (a: (number | null)[]) => Float32Array.from(a, (v) => (v === null ? NaN : v));
      if (c.kind === 'advantages') {
        const off = Uint32Array.from(c.inputs.offsets);
        const got = groupAdvantages(num(c.inputs.rewards), off, { mode: p.mode, std: p.std, eps: p.eps, singleton: p.singleton, backend: 'cuda' });
        close(got, c.outputs.advantages, tol, `advantages ${JSON.stringify(p)}`);
        checked++;
      } else if (c.kind === 'token_loss') {
        const [B, L] = c.inputs.shape;
        const bufs = ['logp', 'old_logp', 'ref_logp', 'advantages', 'mask'].map((k) => DeviceBuffer.from(num(c.inputs[k])));
        const r = cudaTokenLoss(
          { logp: bufs[0], oldLogp: bufs[1], refLogp: bufs[2], advantages: bufs[3], mask: bufs[4], shape: [B, L] },
          { clipLow: p.clip_low, clipHigh: p.clip_high, clipC: p.clip_c, beta: p.beta, kl: p.kl, agg: p.agg, normLen: p.norm_len },
        );
        close([r.loss], [c.outputs.loss], tol, `token loss ${JSON.stringify(p)}`);
        close(r.gradLogp.download() as Float32Array, c.outputs.grad_logp, tol, 'token grad');
        [...bufs, r.gradLogp].forEach((b) => b.dispose());
        checked++;
      } else if (c.kind === 'logits_loss') {
        const [N, V] = c.inputs.shape;
        const z = DeviceBuffer.from(num(c.inputs.logits));
        const rest = ['old_logp', 'ref_logp', 'advantages', 'mask'].map((k) => DeviceBuffer.from(num(c.inputs[k])));
        const labels = DeviceBuffer.from(Int32Array.from(c.inputs.labels));
        const r = cudaLogitsLoss(
          { logits: z, vocab: V, labels, oldLogp: rest[0], refLogp: rest[1], advantages: rest[2], mask: rest[3] },
          { clipLow: p.clip_low, clipHigh: p.clip_high, clipC: p.clip_c, beta: p.beta, kl: p.kl, temperature: p.temperature },
        );
        close([r.loss], [c.outputs.loss], tol, 'logits loss');
        close(r.logp.download() as Float32Array, c.outputs.logp, tol, 'logp');
        close(r.entropy.download() as Float32Array, c.outputs.entropy, tol, 'entropy');
        close(r.gradLogits.download() as Float32Array, c.outputs.grad_logits, tol, 'grad logits');
        expect(N).toBeGreaterThan(0);
        [z, labels, ...rest, r.logp, r.entropy, r.gradLogits].forEach((b) => b.dispose());
        checked++;
      } else if (c.kind === 'ptr_reward') {
        const off = Uint32Array.from(c.inputs.offsets);
        const offsets = DeviceBuffer.from(off);
        const ins = ['correct', 'format', 'judge_scores'].map((k) => DeviceBuffer.from(num(c.inputs[k])));
        const r = cudaPtrAdvantages(
          { correct: ins[0], format: ins[1], judgeScores: ins[2], groups: offsets },
          {
            alpha: { format: p.alpha_format, outcome: p.alpha_outcome, reasoning: p.alpha_reasoning },
            judgeWeights: p.judge_weights, reasoningEnabled: p.reasoning_enabled,
          },
        );
        close(r.reasoning.download() as Float32Array, c.outputs.reasoning_reward, tol, 'reasoning');
        close(r.trust.download() as Float32Array, c.outputs.trust, tol, 'trust');
        close(r.reward.download() as Float32Array, c.outputs.reward, tol, 'reward');
        [offsets, ...ins, ...Object.values(r)].forEach((b) => b.dispose());
        checked++;
      }
    }
    expect(checked).toBe(golden.cases.length);
  });

  it('host arrays with backend cuda give the CPU results (token and logits loss, PTR)', () => {
    const B = 8, L = 64, T = B * L;
    const lp = randn(T, -3, 0), old = Float32Array.from(lp, (v) => v + (rand() - 0.5) * 0.6), ref = randn(T, -3, 0), adv = randn(B, -1, 1);
    const mask = Uint8Array.from({ length: T }, () => (rand() < 0.8 ? 1 : 0));
    for (const agg of ['token-mean', 'seq-mean-token-mean', 'seq-mean-token-sum'] as const) {
      const cpu = tokenLoss({ logp: lp, oldLogp: old, refLogp: ref, advantages: adv, mask, shape: [B, L] }, { agg });
      const gpu = tokenLoss({ logp: lp, oldLogp: old, refLogp: ref, advantages: adv, mask, shape: [B, L] }, { agg, backend: 'cuda' });
      close([gpu.loss], [cpu.loss], 1e-5, `token loss ${agg}`);
      close(gpu.gradLogp!, cpu.gradLogp!, 1e-5, `token grad ${agg}`);
    }
    const V = 5000, N = 16;
    const z = randn(N * V, -6, 6), labels = Int32Array.from({ length: N }, () => Math.floor(rand() * V));
    const o = randn(N, -10, -8), a = randn(N, -1, 1);
    const cpu = logitsLoss({ logits: z, labels, oldLogp: o, advantages: a }, { beta: 0 });
    const gpu = logitsLoss({ logits: z, labels, oldLogp: o, advantages: a }, { beta: 0, backend: 'cuda' });
    close(gpu.logp, cpu.logp, 1e-5, 'logits logp');
    close(gpu.gradLogits!, cpu.gradLogits!, 1e-5, 'logits grad');
    const pc = ptrRewards({ correct: [1, 0, 1, 0], format: [1, 1, 0, 1], judgeScores: [5, 4, 3, 2, 1, 2, 3, 4, 5, 5, 5, 5, 1, 1, 1, 1], groups: 2 });
    const pg = ptrRewards({ correct: [1, 0, 1, 0], format: [1, 1, 0, 1], judgeScores: [5, 4, 3, 2, 1, 2, 3, 4, 5, 5, 5, 5, 1, 1, 1, 1], groups: 2 }, { backend: 'cuda' });
    close(pg.reward, pc.reward, 1e-6, 'ptr reward');
    close(pg.trust, pc.trust, 1e-6, 'ptr trust');
  });

  it('large random inputs: GPU equals the CPU float32 path', () => {
    const n = 1 << 20;
    const rewards = randn(n, 0, 1);
    const cpu = groupAdvantages(rewards, 8);
    const r = DeviceBuffer.from(rewards);
    const gpu = cudaGroupAdvantages(r, 8);
    close(gpu.download() as Float32Array, cpu, 1e-4, 'advantages 1M');
    r.dispose();
    gpu.dispose();

    const B = 64, L = 4096, T = B * L;
    const lp = randn(T, -3, 0), old = Float32Array.from(lp, (v) => v + (rand() - 0.5) * 0.6), ref = randn(T, -3, 0);
    const adv = randn(B, -1, 1);
    const want = tokenLoss({ logp: lp, oldLogp: old, refLogp: ref, advantages: adv, shape: [B, L] }, { beta: 0.04 });
    const bufs = [lp, old, ref, adv].map((a) => DeviceBuffer.from(a));
    const got = cudaTokenLoss({ logp: bufs[0], oldLogp: bufs[1], refLogp: bufs[2], advantages: bufs[3], shape: [B, L] }, { beta: 0.04 });
    close([got.loss], [want.loss], 1e-5, 'token loss');
    close(got.gradLogp.download() as Float32Array, want.gradLogp!, 1e-5, 'token grad');
    expect(got.metrics.clipFracLow).toBeCloseTo(want.metrics.clipFracLow, 5);
    [...bufs, got.gradLogp].forEach((b) => b.dispose());

    for (const V of [1000, 151936]) {
      const N = 64;
      const zf = randn(N * V, -8, 8);
      const bits = toBf16(zf);
      const labels = Int32Array.from({ length: N }, () => Math.floor(rand() * V));
      const o = randn(N, -12, -9), a = randn(N, -1, 1);
      // beta: 0 on both sides (the default 0.04 needs refLogp).
      const w = logitsLoss({ logits: bits, labels, oldLogp: o, advantages: a }, { beta: 0 });
      const zb = DeviceBuffer.from(bits);
      const [lb, ob, ab] = [DeviceBuffer.from(labels), DeviceBuffer.from(o), DeviceBuffer.from(a)];
      const g = cudaLogitsLoss({ logits: zb, vocab: V, labels: lb, oldLogp: ob, advantages: ab }, { inPlace: true, beta: 0 });
      close(g.logp.download() as Float32Array, w.logp, 1e-4, `logp V=${V}`);
      close(g.entropy.download() as Float32Array, w.entropy, 1e-4, `entropy V=${V}`);
      expect(Math.abs(g.loss - w.loss)).toBeLessThan(1e-4 * Math.max(1, Math.abs(w.loss)));
      [zb, lb, ob, ab, g.logp, g.entropy].forEach((b) => b.dispose());
    }
  });

  it('bad input on the device: out-of-range labels and non-finite logits are coded errors', () => {
    const z = DeviceBuffer.from(Float32Array.from([0, 1, NaN, 2]));
    const lab = DeviceBuffer.from(Int32Array.from([0, 5]));
    const o = DeviceBuffer.from(new Float32Array(2)), a = DeviceBuffer.from(new Float32Array(2));
    expect(() => cudaLogitsLoss({ logits: z, vocab: 2, labels: lab, oldLogp: o, advantages: a }, { beta: 0 })).toThrow(/non-finite|outside the vocabulary/);
    [z, lab, o, a].forEach((b) => b.dispose());
  });
});
