#!/usr/bin/env node
// What the private input copies of the async calls cost (issue #14): for a large case of each
// call, the median wall time of the async call and of the same call made synchronously (which
// reads the caller's arrays in place), in one process, and their ratio. The async call adds the
// copies and the thread-pool hop; the first call of a size pays page faults for its buffers,
// later same-sized calls reuse them (warm-up excluded here). Arrays on a SharedArrayBuffer are
// not copied (the last rows). Compare with the addon before the change:
// EMOTIONTHINKER_ADDON=path/to/old.node node benchmarks/native-safety.mjs
// Usage: npx tsc -p tsconfig.json && npx node-gyp build && node benchmarks/native-safety.mjs [--repeats N]
import * as et from '../dist/index.js';
import { nativePath } from '../dist/native.js';

const repeats = Number(process.argv[process.argv.indexOf('--repeats') + 1]) || 5;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
async function time(f) {
  const t = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await f();
    t.push(performance.now() - t0);
  }
  return median(t);
}
function sine(n, rate) {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = 0.3 * Math.sin((2 * Math.PI * 150 * i) / rate) + 0.01 * Math.sin(i * 0.71);
  return x;
}
function wav(x, rate) {
  const buf = Buffer.alloc(44 + x.length * 2);
  buf.write('RIFF', 0); buf.writeUInt32LE(36 + x.length * 2, 4); buf.write('WAVE', 8);
  buf.write('fmt ', 12); buf.writeUInt32LE(16, 16); buf.writeUInt16LE(1, 20); buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(rate, 24); buf.writeUInt32LE(rate * 2, 28); buf.writeUInt16LE(2, 32); buf.writeUInt16LE(16, 34);
  buf.write('data', 36); buf.writeUInt32LE(x.length * 2, 40);
  new Int16Array(buf.buffer, buf.byteOffset + 44, x.length).set(x.map((v) => v * 32767));
  return buf;
}

const N = 512, V = 32768;
const logits = new Float32Array(N * V).map((_, i) => Math.sin(i * 0.37) * 3);
const loss = { logits, labels: new Int32Array(N).map((_, i) => (i * 7919) % V), oldLogp: new Float64Array(N).fill(-10), advantages: new Float64Array(N).map((_, i) => (i % 3) - 1) };
const tokens = 1 << 22;
const tok = { logp: new Float64Array(tokens).fill(-1), oldLogp: new Float64Array(tokens).fill(-1.1), advantages: new Float64Array(tokens).fill(0.5), shape: [tokens / 1024, 1024] };
const rewards = new Float64Array(1 << 23).map((_, i) => Math.sin(i));
const audio48 = sine(48000 * 600, 48000);
const audio16 = sine(16000 * 120, 16000);
const bytes = wav(sine(16000 * 1200, 16000), 16000);

const shared = (src) => {
  const out = new src.constructor(new SharedArrayBuffer(src.byteLength));
  out.set(src);
  return out;
};
const sharedLogits = shared(logits);
const sharedTok = { ...tok, logp: shared(tok.logp), oldLogp: shared(tok.oldLogp), advantages: shared(tok.advantages) };
const sharedRewards = shared(rewards);
const cases = [
  ['logitsLoss 512×32768 f32', () => et.logitsLossAsync(loss, { beta: 0 }), () => et.logitsLoss(loss, { beta: 0 })],
  ['logitsLoss inPlace', () => et.logitsLossAsync(loss, { beta: 0, inPlace: true }), () => et.logitsLoss(loss, { beta: 0, inPlace: true })],
  ['tokenLoss 4M tokens f64', () => et.tokenLossAsync(tok, { beta: 0 }), () => et.tokenLoss(tok, { beta: 0 })],
  ['groupAdvantages 8M f64', () => et.groupAdvantagesAsync(rewards, 8), () => et.groupAdvantages(rewards, 8)],
  ['resample 10 min 48→16 kHz', () => et.resampleAsync(audio48, 48000, 16000), () => et.resample(audio48, 48000, 16000)],
  ['decodeWav 20 min 16 kHz', () => et.decodeWavAsync(bytes), () => et.decodeWav(bytes)],
  ['extractProsody 2 min 16 kHz', () => et.extractProsody({ samples: audio16, sampleRate: 16000, channels: 1 }), () => et.extractProsodySync({ samples: audio16, sampleRate: 16000, channels: 1 })],
  ['logitsLoss, SharedArrayBuffer', () => et.logitsLossAsync({ ...loss, logits: sharedLogits }, { beta: 0 }), () => et.logitsLoss({ ...loss, logits: sharedLogits }, { beta: 0 })],
  ['tokenLoss, SharedArrayBuffer', () => et.tokenLossAsync(sharedTok, { beta: 0 }), () => et.tokenLoss(sharedTok, { beta: 0 })],
  ['groupAdvantages, SharedArrayBuffer', () => et.groupAdvantagesAsync(sharedRewards, 8), () => et.groupAdvantages(sharedRewards, 8)],
];
console.log(`addon: ${nativePath}; median of ${repeats}`);
console.log('call | async ms | sync ms | async/sync');
for (const [name, fa, fs] of cases) {
  try {
    await fa();  // warm-up
    fs();
  } catch (err) {
    console.log(`${name} | refused: ${err.code} ${err.message}`);  // an addon without SharedArrayBuffer support
    continue;
  }
  const a = await time(fa);
  const s = await time(fs);
  console.log(`${name} | ${a.toFixed(1)} | ${s.toFixed(1)} | ${(a / s).toFixed(2)}`);
}
