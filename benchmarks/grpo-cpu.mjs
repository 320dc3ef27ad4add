#!/usr/bin/env node
// GRPO on the CPU: the native kernels against a plain JavaScript implementation of the same
// formulas (benchmarks/grpo-reference.mjs), in the same run, plus a memory-bandwidth copy
// benchmark (1 and 2 threads) and the peak memory of the in-place logits loss (child process).
//
// Usage: npx tsc -p tsconfig.json && node benchmarks/grpo-cpu.mjs [--repeats N] [--quick]
//
// Sizes (the issue's): advantages over 1M rewards (groups of 8), token loss over 8M tokens
// ([2048, 4096], fp32, k3 KL, dual clip, token-mean), logits loss over 1024 × 151936 fp32.
// Times are medians of `repeats` runs after one warm-up; the JS baseline runs fewer times on
// the logits (it takes seconds). Bandwidth counts logical bytes: every input element read once
// per pass that reads it, every output element written once; it is compared with the better of
// the 1- and 2-thread copy figures. The machine's other load shows up directly in these
// numbers: compare figures from one run only.
import { Rng } from '../dist/train/rng.js';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { groupAdvantages, logitsLoss, tokenLoss } from '../dist/index.js';
import { jsGroupAdvantages, jsLogitsLoss, jsTokenLoss } from './grpo-reference.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const repeats = Number(args[args.indexOf('--repeats') + 1]) || (quick ? 3 : 7);

// Deterministic PRNG: the package's own seeded generator.
const rng = (seed) => {
  const r = new Rng(seed);
  return () => r.next();
};

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn, n) {
  fn(); // warm-up (JIT, page faults of fresh outputs)
  const ts = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(ts);
}

const GB = 1e9;
const fmt = (ms) => (ms < 10 ? ms.toFixed(3) : ms.toFixed(1)).padStart(9) + ' ms';
const rows = [];
function report(name, ms, extra = '') {
  console.log(`${name.padEnd(58)} ${fmt(ms)}  ${extra}`);
  rows.push({ name, ms });
}

// ---------------------------------------------------------------------------------------------
// Child process: peak memory of the in-place logits loss.
if (args.includes('--child-memory')) {
  const N = 1024, V = 151936;
  const status = () => Object.fromEntries(readFileSync('/proc/self/status', 'utf8').split('\n').filter((l) => /^Vm(HWM|RSS)/.test(l)).map((l) => [l.split(':')[0], Number(l.split(/\s+/)[1]) * 1024]));
  const logits = new Float32Array(N * V);
  const r = rng(3);
  for (let i = 0; i < logits.length; i++) logits[i] = (r() - 0.5) * 16;
  const labels = new Int32Array(N).map(() => Math.floor(r() * V));
  const oldLogp = new Float64Array(N).map(() => -12 + r());
  const refLogp = new Float64Array(N).map((_, i) => oldLogp[i] + 0.05);
  const advantages = new Float64Array(N).map(() => r() - 0.5);
  const inputBytes = logits.byteLength + labels.byteLength + oldLogp.byteLength + refLogp.byteLength + advantages.byteLength;
  let reset = true;
  try {
    writeFileSync('/proc/self/clear_refs', '5'); // resets VmHWM to the current RSS
  } catch {
    reset = false;
  }
  const before = status();
  logitsLoss({ logits, labels, oldLogp, refLogp, advantages }, { inPlace: true });
  const after = status();
  process.stdout.write(JSON.stringify({ inputBytes, rssBefore: before.VmRSS, hwmBefore: before.VmHWM, hwmAfter: after.VmHWM, reset }));
  process.exit(0);
}

console.log(`emotionthinker GRPO CPU benchmark — ${os.cpus()[0].model}, ${os.availableParallelism()} threads, node ${process.version}`);
console.log(`median of ${repeats} runs after a warm-up\n`);

// ---------------------------------------------------------------------------------------------
// Memory bandwidth: copy 256 MiB with TypedArray.set (memmove) on ordinary ArrayBuffers, on 1
// thread and on 2 worker threads each copying its own 128 MiB (SharedArrayBuffers are avoided:
// V8 copies them element by element, which would understate the bandwidth).
const COPY_BYTES = 256 * 1024 * 1024;
const copyBw = {};
{
  const src = new Float32Array(COPY_BYTES / 4);
  const dst = new Float32Array(COPY_BYTES / 4);
  for (let i = 0; i < src.length; i += 1024) src[i] = i;
  const ms1 = time(() => dst.set(src), repeats);
  copyBw[1] = (2 * COPY_BYTES) / (ms1 / 1e3) / GB;
  report('copy 256 MiB, 1 thread', ms1, `${copyBw[1].toFixed(1)} GB/s (read + write)`);

  const workerSrc = `
    const { parentPort, workerData } = require('node:worker_threads');
    const s = new Float32Array(workerData.n), d = new Float32Array(workerData.n);
    for (let i = 0; i < s.length; i += 1024) s[i] = i;
    d.set(s);
    parentPort.on('message', () => { d.set(s); parentPort.postMessage(0); });
    parentPort.postMessage('ready');`;
  const workers = [0, 1].map(() => new Worker(workerSrc, { eval: true, workerData: { n: COPY_BYTES / 8 } }));
  await Promise.all(workers.map((w) => new Promise((res) => w.once('message', res))));
  const round = () => Promise.all(workers.map((w) => new Promise((res) => { w.once('message', res); w.postMessage(0); })));
  await round();
  const ts = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    await round();
    ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  await Promise.all(workers.map((w) => w.terminate()));
  const ms2 = median(ts);
  copyBw[2] = (2 * COPY_BYTES) / (ms2 / 1e3) / GB;
  report('copy 256 MiB, 2 threads (128 MiB each)', ms2, `${copyBw[2].toFixed(1)} GB/s (read + write)`);
  copyBw.best = Math.max(copyBw[1], copyBw[2]);
}
console.log();

// ---------------------------------------------------------------------------------------------
// Group advantages, 1M rewards in groups of 8.
const ratios = {};
{
  const n = 1 << 20, G = 8;
  const r = rng(1);
  const rewards = new Float64Array(n);
  for (let i = 0; i < n; i++) rewards[i] = r() < 0.001 ? NaN : Math.floor(r() * 5) / 4 + (r() < 0.5 ? 0 : 0.1 * r());
  const rewards32 = Float32Array.from(rewards);
  const out64 = new Float64Array(n), out32 = new Float32Array(n);
  const offsets = Uint32Array.from({ length: n / G + 1 }, (_, k) => k * G);
  const msJs = time(() => jsGroupAdvantages(rewards, G), repeats);
  report('advantages 1M, plain JS (float64)', msJs);
  const ms64 = time(() => groupAdvantages(rewards, G, { out: out64 }), repeats);
  report('advantages 1M, native float64, fixed groups', ms64, `${(msJs / ms64).toFixed(1)}× JS`);
  const msOff = time(() => groupAdvantages(rewards, offsets, { out: out64 }), repeats);
  report('advantages 1M, native float64, ragged offsets', msOff, `${(msJs / msOff).toFixed(1)}× JS`);
  const ms32 = time(() => groupAdvantages(rewards32, G, { out: out32 }), repeats);
  report('advantages 1M, native float32, fixed groups', ms32, `${(msJs / ms32).toFixed(1)}× JS`);
  const ms1t = time(() => groupAdvantages(rewards, G, { out: out64, threads: 1 }), repeats);
  report('advantages 1M, native float64, 1 thread', ms1t, `${(msJs / ms1t).toFixed(1)}× JS`);
  ratios.advantages = msJs / ms64;
  const ref = jsGroupAdvantages(rewards, G);
  const got = groupAdvantages(rewards, G);
  let worst = 0;
  for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(ref[i] - got[i]));
  console.log(`  check: max |native − JS| = ${worst.toExponential(2)}`);
}
console.log();

// ---------------------------------------------------------------------------------------------
// Token loss, [2048, 4096] = 8.4M tokens, fp32.
{
  const B = 2048, L = 4096, n = B * L;
  const r = rng(2);
  const logp = new Float32Array(n), oldLogp = new Float32Array(n), refLogp = new Float32Array(n), mask = new Float32Array(n), mask8 = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    logp[i] = -6 * r();
    oldLogp[i] = logp[i] + (r() - 0.5) * 0.6;
    refLogp[i] = logp[i] + (r() - 0.5) * 0.4;
    mask8[i] = mask[i] = i % L < L - ((i / L) % 512) ? 1 : 0; // ragged padding
  }
  const adv = Float32Array.from({ length: B }, () => (r() - 0.5) * 3);
  const grad = new Float32Array(n);
  const opts = { clipLow: 0.2, clipHigh: 0.28, clipC: 3, beta: 0.04, kl: 'k3', agg: 'token-mean' };
  const inputs = { logp, oldLogp, refLogp, advantages: adv, mask, shape: [B, L] };
  const nJs = Math.max(3, Math.ceil(repeats / 2));
  const msJs = time(() => jsTokenLoss(logp, oldLogp, refLogp, adv, mask, B, L, opts), nJs);
  report('token loss 8.4M, plain JS', msJs);
  // Logical bytes with a float mask: logp, old, ref read once, mask read twice (its sum for
  // token-mean, then the pass), gradient written once.
  const bytesF = n * (3 * 4 + 2 * 4 + 4);
  const bytes8 = n * (3 * 4 + 2 * 1 + 4);
  for (const threads of [2, 1]) {
    const ms = time(() => tokenLoss(inputs, { ...opts, threads, gradOut: grad }), repeats);
    const bw = bytesF / (ms / 1e3) / GB;
    report(`token loss 8.4M, native, f32 mask, ${threads} thread${threads > 1 ? 's' : ''}`, ms, `${(msJs / ms).toFixed(1)}× JS, ${bw.toFixed(1)} GB/s = ${((100 * bw) / copyBw.best).toFixed(0)}% of the best copy`);
    if (threads === 2) {
      ratios.tokenLoss = msJs / ms;
      ratios.tokenBandwidth = bw / copyBw.best;
    }
  }
  const ms8 = time(() => tokenLoss({ ...inputs, mask: mask8 }, { ...opts, gradOut: grad }), repeats);
  const bw8 = bytes8 / (ms8 / 1e3) / GB;
  report('token loss 8.4M, native, u8 mask, 2 threads', ms8, `${(msJs / ms8).toFixed(1)}× JS, ${bw8.toFixed(1)} GB/s = ${((100 * bw8) / copyBw.best).toFixed(0)}% of the best copy`);
  const msFresh = time(() => tokenLoss(inputs, opts), repeats);
  report('token loss 8.4M, native, new gradient array each call', msFresh, `${(msJs / msFresh).toFixed(1)}× JS`);
  const ref = jsTokenLoss(logp, oldLogp, refLogp, adv, mask, B, L, opts);
  const got = tokenLoss(inputs, opts);
  let worst = 0;
  for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(ref.grad[i] - got.gradLogp[i]) / Math.max(1e-12, Math.abs(ref.grad[i])));
  console.log(`  check: loss native ${got.loss.toPrecision(10)} vs JS ${ref.loss.toPrecision(10)}, max relative gradient difference ${worst.toExponential(2)}`);
}
console.log();

// ---------------------------------------------------------------------------------------------
// Logits loss, 1024 × 151936 fp32.
{
  const N = 1024, V = 151936;
  const r = rng(3);
  const logits = new Float32Array(N * V);
  for (let i = 0; i < logits.length; i++) logits[i] = (r() - 0.5) * 16;
  const labels = Int32Array.from({ length: N }, () => Math.floor(r() * V));
  const oldLogp = Float64Array.from({ length: N }, () => -12 + r());
  const refLogp = Float64Array.from(oldLogp, (v) => v + 0.05);
  const advantages = Float64Array.from({ length: N }, () => r() - 0.5);
  const opts = { clipLow: 0.2, clipHigh: 0.28, clipC: 3, beta: 0.04, temperature: 1 };
  const inputs = { logits, labels, oldLogp, refLogp, advantages };
  const nJs = quick ? 1 : 2;
  let jsOut;
  const msJs = time(() => (jsOut = jsLogitsLoss(logits, labels, oldLogp, refLogp, advantages, N, V, opts)), nJs);
  report('logits loss 1024×151936 fp32, plain JS', msJs);
  const grad = new Float32Array(N * V);
  const bytes = N * V * 4 * 2; // logits read once from memory (the second read hits cache), gradient written once
  let got;
  const ms = time(() => (got = logitsLoss(inputs, { ...opts, gradOut: grad })), repeats);
  report('logits loss 1024×151936 fp32, native, 2 threads', ms, `${(msJs / ms).toFixed(1)}× JS, ${(bytes / (ms / 1e3) / GB).toFixed(1)} GB/s`);
  ratios.logitsLoss = msJs / ms;
  const ms1 = time(() => logitsLoss(inputs, { ...opts, gradOut: grad, threads: 1 }), repeats);
  report('logits loss 1024×151936 fp32, native, 1 thread', ms1, `${(msJs / ms1).toFixed(1)}× JS`);
  const msNoGrad = time(() => logitsLoss(inputs, { ...opts, computeGrad: false }), repeats);
  report('logits loss 1024×151936 fp32, native, loss only (no gradient)', msNoGrad, `${(N * V * 4 / (msNoGrad / 1e3) / GB).toFixed(1)} GB/s`);
  let worstLp = 0, worstG = 0;
  for (let i = 0; i < N; i++) worstLp = Math.max(worstLp, Math.abs(got.logp[i] - jsOut.logp[i]));
  for (let i = 0; i < N * V; i += 7) worstG = Math.max(worstG, Math.abs(grad[i] - jsOut.grad[i]) / Math.max(1e-12, Math.abs(jsOut.grad[i])));
  console.log(`  check: loss native ${got.loss.toPrecision(10)} vs JS ${jsOut.loss.toPrecision(10)}, max |Δlogp| ${worstLp.toExponential(2)}, max relative gradient difference ${worstG.toExponential(2)}`);
  jsOut = undefined;
  // bf16 and in-place variants (in place destroys the logits, so run it on a copy, last).
  const bf = new Uint16Array(N * V);
  {
    const u = new Uint32Array(logits.buffer);
    for (let i = 0; i < bf.length; i++) bf[i] = (u[i] + 0x7fff + ((u[i] >>> 16) & 1)) >>> 16;
  }
  const gradBf = new Uint16Array(N * V);
  const msBf = time(() => logitsLoss({ ...inputs, logits: bf }, { ...opts, gradOut: gradBf }), repeats);
  report('logits loss 1024×151936 bf16, native, 2 threads', msBf, `${(msJs / msBf).toFixed(1)}× JS (fp32 JS)`);
  const msIn = time(() => logitsLoss(inputs, { ...opts, inPlace: true }), repeats);
  report('logits loss 1024×151936 fp32, native, in place', msIn, `${(msJs / msIn).toFixed(1)}× JS`);
}
console.log();

// ---------------------------------------------------------------------------------------------
// Peak memory of the in-place logits loss, in a fresh process.
{
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child-memory'], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (child.status !== 0) {
    console.log('peak-memory child failed:', child.stderr);
  } else {
    const m = JSON.parse(child.stdout);
    const MiB = 1024 * 1024;
    const over = (m.hwmAfter - m.rssBefore) / MiB;
    console.log(`in-place logitsLoss 1024×151936 fp32: inputs ${(m.inputBytes / MiB).toFixed(1)} MiB, RSS before the call ${(m.rssBefore / MiB).toFixed(1)} MiB, peak during the call ${(m.hwmAfter / MiB).toFixed(1)} MiB${m.reset ? '' : ' (VmHWM could not be reset: peak since start)'}`);
    console.log(`  peak − RSS before = ${over.toFixed(1)} MiB (goal ≤ 64 MiB over the inputs)`);
    ratios.inPlaceExtraMiB = over;
  }
}

console.log('\nsummary (goal): advantages ×%s (≥5), token loss ×%s (≥5), logits loss ×%s (≥5), token loss bandwidth %s%% of the best copy (≥50), in-place extra %s MiB (≤64)',
  ratios.advantages?.toFixed(1), ratios.tokenLoss?.toFixed(1), ratios.logitsLoss?.toFixed(1), (100 * ratios.tokenBandwidth).toFixed(0), ratios.inPlaceExtraMiB?.toFixed(1));
