#!/usr/bin/env node
// GPU parity and timing for the CUDA GRPO kernels (run by benchmarks/gpu/run.sh on a GPU
// machine, with EMOTIONTHINKER_ADDON pointing at the CUDA build). Imports dist/cuda.js and
// dist/grpo.js directly so that no node_modules are needed there. Prints one JSON object.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { backends } = await import('../../dist/backend.js');
const cu = await import('../../dist/cuda.js');
const grpo = await import('../../dist/grpo.js');
const out = { backends: backends(), golden: { checked: 0, failed: [] }, random: {}, timings: {} };
if (!out.backends.cuda.available) {
  console.log(JSON.stringify(out));
  process.exit(2);
}
const num = (a) => Float32Array.from(a, (v) => (v === null ? NaN : v));
const worst = (got, want) => {
  let w = 0;
  for (let i = 0; i < want.length; i++) w = Math.max(w, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  return w;
};
const goldenPath = process.env.GOLDEN ?? path.resolve(here, '../../../shared/golden/grpo.json');
const golden = JSON.parse(readFileSync(goldenPath, 'utf8'));
for (const [i, c] of golden.cases.entries()) {
  const p = c.params;
  const tol = Math.max(c.tol, 2e-5);
  let err = 0;
  try {
    if (c.kind === 'advantages') {
      err = worst(cu.hostGroupAdvantagesOnCuda(num(c.inputs.rewards), c.inputs.offsets, { mode: p.mode, std: p.std, eps: p.eps, singleton: p.singleton }), c.outputs.advantages);
    } else if (c.kind === 'token_loss') {
      const b = ['logp', 'old_logp', 'ref_logp', 'advantages', 'mask'].map((k) => cu.DeviceBuffer.from(num(c.inputs[k])));
      const r = cu.cudaTokenLoss({ logp: b[0], oldLogp: b[1], refLogp: b[2], advantages: b[3], mask: b[4], shape: c.inputs.shape },
        { clipLow: p.clip_low, clipHigh: p.clip_high, clipC: p.clip_c, beta: p.beta, kl: p.kl, agg: p.agg, normLen: p.norm_len });
      err = Math.max(worst([r.loss], [c.outputs.loss]), worst(r.gradLogp.download(), c.outputs.grad_logp));
    } else if (c.kind === 'logits_loss') {
      const V = c.inputs.shape[1];
      const z = cu.DeviceBuffer.from(num(c.inputs.logits));
      const b = ['old_logp', 'ref_logp', 'advantages', 'mask'].map((k) => cu.DeviceBuffer.from(num(c.inputs[k])));
      const r = cu.cudaLogitsLoss({ logits: z, vocab: V, labels: cu.DeviceBuffer.from(Int32Array.from(c.inputs.labels)), oldLogp: b[0], refLogp: b[1], advantages: b[2], mask: b[3] },
        { clipLow: p.clip_low, clipHigh: p.clip_high, clipC: p.clip_c, beta: p.beta, kl: p.kl, temperature: p.temperature });
      err = Math.max(worst([r.loss], [c.outputs.loss]), worst(r.logp.download(), c.outputs.logp), worst(r.entropy.download(), c.outputs.entropy), worst(r.gradLogits.download(), c.outputs.grad_logits));
    } else if (c.kind === 'ptr_reward') {
      const ins = ['correct', 'format', 'judge_scores'].map((k) => cu.DeviceBuffer.from(num(c.inputs[k])));
      const r = cu.cudaPtrAdvantages({ correct: ins[0], format: ins[1], judgeScores: ins[2], groups: cu.DeviceBuffer.from(Uint32Array.from(c.inputs.offsets)) },
        { alpha: { format: p.alpha_format, outcome: p.alpha_outcome, reasoning: p.alpha_reasoning }, judgeWeights: p.judge_weights, reasoningEnabled: p.reasoning_enabled });
      err = Math.max(worst(r.reasoning.download(), c.outputs.reasoning_reward), worst(r.trust.download(), c.outputs.trust), worst(r.reward.download(), c.outputs.reward));
    }
  } catch (e) {
    out.golden.failed.push({ case: i, kind: c.kind, error: String(e.message) });
    continue;
  }
  out.golden.checked++;
  if (!(err <= tol)) out.golden.failed.push({ case: i, kind: c.kind, err, tol });
}

// Random large inputs against the CPU path. Each section records its own error, so one failure
// (or a JS mistake here) still leaves the rest of the run, the timings included, in the output.
let seed = 12345;
const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 4294967296);
const rnd = (n, lo, hi) => { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rand(); return a; };
const section = (name, where, fn) => {
  try {
    fn();
  } catch (e) {
    where[name] = { error: String(e?.message ?? e) };
  }
};
section('advantages_1M', out.random, () => {
  const r = rnd(1 << 20, 0, 1);
  out.random.advantages_1M = worst(cu.hostGroupAdvantagesOnCuda(r, 8, {}), grpo.groupAdvantages(r, 8));
});
section('token_loss_1M', out.random, () => {
  const B = 256, L = 4096, T = B * L;
  const lp = rnd(T, -3, 0), old = lp.map((v) => v + (rand() - 0.5) * 0.6), ref = rnd(T, -3, 0), adv = rnd(B, -1, 1);
  const want = grpo.tokenLoss({ logp: lp, oldLogp: old, refLogp: ref, advantages: adv, shape: [B, L] }, { beta: 0.04 });
  const bufs = [lp, old, ref, adv].map((a) => cu.DeviceBuffer.from(a));
  const got = cu.cudaTokenLoss({ logp: bufs[0], oldLogp: bufs[1], refLogp: bufs[2], advantages: bufs[3], shape: [B, L] }, { beta: 0.04 });
  out.random.token_loss_1M = Math.max(worst([got.loss], [want.loss]), worst(got.gradLogp.download(), want.gradLogp));
});
for (const V of [1000, 151936, 262144]) {
  section(`logits_bf16_V${V}`, out.random, () => {
    const N = 32;
    const bits = grpo.toBf16(rnd(N * V, -8, 8));
    const labels = Int32Array.from({ length: N }, () => Math.floor(rand() * V));
    const o = rnd(N, -12, -9), a = rnd(N, -1, 1);
    // beta: 0 on both sides: the default beta (0.04, both APIs) requires refLogp.
    const w = grpo.logitsLoss({ logits: bits, labels, oldLogp: o, advantages: a }, { beta: 0 });
    const g = cu.cudaLogitsLoss({ logits: cu.DeviceBuffer.from(bits), vocab: V, labels: cu.DeviceBuffer.from(labels), oldLogp: cu.DeviceBuffer.from(o), advantages: cu.DeviceBuffer.from(a) }, { inPlace: true, beta: 0 });
    const gw = grpo.fromBf16(w.gradLogits);
    const gg = grpo.fromBf16(g.gradLogits.download());
    let gerr = 0;
    for (let i = 0; i < gw.length; i++) gerr = Math.max(gerr, Math.abs(gg[i] - gw[i]));
    out.random[`logits_bf16_V${V}`] = { logp: worst(g.logp.download(), w.logp), entropy: worst(g.entropy.download(), w.entropy), loss: worst([g.loss], [w.loss]), grad_abs: gerr };
  });
}

// Kernel timings (CUDA events, median of repeats, no host transfers).
section('ptr_advantages_1M_ms', out.timings, () => { out.timings.ptr_advantages_1M_ms = cu.cudaBenchmark('ptr-advantages', 1 << 20, 8, 50); });
section('token_loss_8_4M_ms', out.timings, () => { out.timings.token_loss_8_4M_ms = cu.cudaBenchmark('token-loss', 2048, 4096, 30); });
section('logits_bf16_16384x151936_ms', out.timings, () => { out.timings.logits_bf16_16384x151936_ms = cu.cudaBenchmark('logits-bf16', 16384, 151936, 10); });
section('logits_fp32_4096x151936_ms', out.timings, () => { out.timings.logits_fp32_4096x151936_ms = cu.cudaBenchmark('logits-fp32', 4096, 151936, 10); });
console.log(JSON.stringify(out));
