#!/usr/bin/env node
// How fast an AbortSignal cancels the async GRPO calls (issue #14: within 100 ms): for each
// call, the time one unaborted call takes, and the time from abort() (fired 5 ms into the call)
// to the promise's rejection. The native work is not stopped (it finishes in the background), so
// the second figure is the latency of the JavaScript side only.
//
// Usage: npx tsc -p tsconfig.json && node benchmarks/grpo-abort.mjs [--repeats N]
import { groupAdvantagesAsync, logitsLossAsync, tokenLossAsync } from '../dist/index.js';

const args = process.argv.slice(2);
const repeats = Number(args[args.indexOf('--repeats') + 1]) || 5;

let seed = 12345;
const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const filled = (n, scale, offset = 0) => Float32Array.from({ length: n }, () => offset + scale * (rand() - 0.5));

const ROWS = 256;
const VOCAB = 151936;
const TOKENS = 1 << 24;
const calls = {
  groupAdvantagesAsync: (() => {
    const rewards = filled(1 << 24, 2);
    return (signal) => groupAdvantagesAsync(rewards, 8, { signal });
  })(),
  tokenLossAsync: (() => {
    const inputs = { logp: filled(TOKENS, 1, -1), oldLogp: filled(TOKENS, 1, -1), refLogp: filled(TOKENS, 1, -1), advantages: filled(4096, 2), shape: [4096, TOKENS / 4096] };
    return (signal) => tokenLossAsync(inputs, { signal });
  })(),
  logitsLossAsync: (() => {
    const inputs = {
      logits: filled(ROWS * VOCAB, 16),
      labels: Int32Array.from({ length: ROWS }, (_, i) => (i * 7919) % VOCAB),
      oldLogp: new Float64Array(ROWS).fill(-12),
      refLogp: new Float64Array(ROWS).fill(-12),
      advantages: filled(ROWS, 2),
    };
    return (signal) => logitsLossAsync(inputs, { signal });
  })(),
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

for (const [name, run] of Object.entries(calls)) {
  await run(undefined);  // warm-up
  const full = [];
  const latency = [];
  for (let i = 0; i < repeats; i++) {
    let t = performance.now();
    await run(undefined);
    full.push(performance.now() - t);
    const ac = new AbortController();
    const p = run(ac.signal).then(
      () => 'resolved',
      (e) => e.name,
    );
    await sleep(5);
    t = performance.now();
    ac.abort();
    const how = await p;
    latency.push(performance.now() - t);
    if (how !== 'AbortError') console.log(`${name}: settled as ${how} (the call finished within 5 ms)`);
    await sleep(full[full.length - 1] * 1.5);  // let the background work finish before the next run
  }
  console.log(`${name}: unaborted call ${median(full).toFixed(1)} ms; abort → rejection ${median(latency).toFixed(2)} ms (median of ${repeats})`);
}
