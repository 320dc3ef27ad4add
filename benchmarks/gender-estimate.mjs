#!/usr/bin/env node
// Speaker gender without metadata (issue #16, "Gender"): the prosody layer's F0 rule (median F0
// under 160 Hz: male) against the model's classifier (src/inference/gender.ts, fitted by
// src/train/gender-fit.ts), side by side on the same clips. The classifier is fitted here on
// RAVDESS actors 01-12 with 4 perturbed copies per clip (the bundled recipe's augmentation draw
// for the seed) and judged on actors 13-16 (two men, two women), clean and perturbed as
// benchmarks/ser-robustness.mjs perturbs them, each clip written as 16-bit WAV and measured by
// analyze's own feature path (extractUtteranceFeatures), and on the Edinburgh FDA corpus (one man,
// one woman, read speech, another microphone). Errors per condition, and for the male clips of
// high-arousal emotions (angry, fearful, happy, surprised), where the F0 rule fails; and the
// speaker-session rule (one gender per speaker from the mean of its clips) on the same clips.
// Usage: npm run build:ts && node benchmarks/gender-estimate.mjs [--seed 1] [--cache .cache/features.json]
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = pathToFileURL(path.resolve(root, process.env.EMOTIONTHINKER_DIST ?? 'dist') + '/').href;
const api = await import(dist + 'index.js');
const { prepareRavdess } = await import(dist + 'train/corpus.js');
const { augmentTraining } = await import(dist + 'train/augment-corpus.js');
const { fitGenderClassifier } = await import(dist + 'train/gender-fit.js');
const { maleProbability } = await import(dist + 'inference/gender.js');
const { speakerGender } = await import(dist + 'clip-gender.js');
const { extractUtteranceFeatures, standardize, FEATURE_NAMES } = await import(dist + 'inference/featurize.js');
const aug = await import(dist + 'train/augment.js');
const { encodeLossy } = await import(dist + 'train/codec.js');
const { Rng } = await import(dist + 'train/rng.js');

const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const seed = Number(arg('--seed', 1));
const cacheFile = path.resolve(root, arg('--cache', path.join('.cache', 'features.json')));
const DATA = path.resolve(root, '../shared/data/ravdess'), FDA = path.resolve(root, '../shared/data/fda-ue');
const trainActors = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], valActors = [13, 14, 15, 16];
const t0 = Date.now();
const corpus = await prepareRavdess(DATA, { trainActors, valActors: [], cacheFile });
const train = (await augmentTraining(corpus, { copies: 4, seed })).train;
const F = FEATURE_NAMES.length;
const classifier = fitGenderClassifier(train.x, train.clips.map((c) => c.gender), F);
console.log(`classifier fitted on ${classifier.info.clips} clips of actors 01-12 (clean and 4 perturbed copies, seed ${seed}): ${classifier.info.trainingErrors} training errors, ${((Date.now() - t0) / 1000).toFixed(0)} s`);

function wav(samples, rate = 16000) {
  const n = samples.length, b = Buffer.alloc(44 + 2 * n);
  b.write('RIFF', 0); b.writeUInt32LE(36 + 2 * n, 4); b.write('WAVE', 8); b.write('fmt ', 12);
  b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22); b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(2 * rate, 28); b.writeUInt16LE(2, 32); b.writeUInt16LE(16, 34); b.write('data', 36); b.writeUInt32LE(2 * n, 40);
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32767))), 44 + 2 * i);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}
const names = readdirSync(DATA).filter((f) => f.endsWith('.wav')).sort();
const actorOf = (f) => Number(f.slice(-6, -4));
const valFiles = names.filter((f) => valActors.includes(actorOf(f)));
const babbleFiles = names.filter((f) => trainActors.includes(actorOf(f)));
const load = async (file) => (await api.loadAudio(file, { sampleRate: 16000, mono: true })).samples;
const AROUSED = new Set(['03', '05', '06', '08']); // happy, angry, fearful, surprised
const CONDITIONS = [
  ['clean', (x) => wav(x)],
  ['gain -20 dB', (x) => wav(aug.applyGain(x, -20))],
  ['white noise 10 dB SNR', (x, r) => wav(aug.mixAtSnr(x, aug.whiteNoise(x.length, r), 10))],
  ['babble 10 dB SNR', async (x, r) => {
    const talkers = [];
    for (let k = 0; k < 3; k++) talkers.push(await load(path.join(DATA, babbleFiles[Math.floor(r.next() * babbleFiles.length)])));
    return wav(aug.mixAtSnr(x, aug.babble(x.length, talkers), 10));
  }],
  ['telephone 8 kHz µ-law', (x) => wav(aug.telephone(x))],
  ['reverberation T60 0.5 s', (x, r) => wav(aug.reverberate(x, 0.5, r))],
  ['another microphone', (x, r) => wav(aug.microphone(x, aug.drawMicrophone(r)))],
  ['MP3 16 kbps', (x) => encodeLossy(x, { format: 'mp3', kbps: 16 })],
];

async function judge(bytes, truth) {
  const { features, prosody } = await extractUtteranceFeatures(bytes, {});
  const rule = prosody.gender?.value ?? null;
  const z = standardize(features.values, corpus.standardizer);
  const model = rule === null ? null : maleProbability(z, classifier) >= 0.5 ? 'male' : 'female';
  return { rule: rule === truth, model: model === truth, voiced: rule !== null, z };
}
// A speaker session judges every clip by the classifier over the mean standardised features of
// the speaker's utterances (src/clip-gender.ts speakerGender). Here every voiced clip counts (a
// session also leaves out clipped, noisy or out-of-range clips). Whole batch: one answer per
// speaker from all its clips (analyzeSpeaker); live: each clip judged by the mean over itself and
// the clips before it, in 10 seeded orders (a session's analyze), the first clip thus alone.
const asModel = { file: { perception: { gender: classifier } } };
const maleOfMean = (zs) => {
  const sum = new Float64Array(F);
  for (const z of zs) for (let j = 0; j < F; j++) sum[j] += z[j];
  return speakerGender(null, sum, zs.length, asModel).value;
};
function sessionErrors(bySpeaker) {
  let batch = 0, live = 0, liveN = 0, n = 0;
  for (const [truth, zs] of bySpeaker.values()) {
    n += zs.length;
    if (maleOfMean(zs) !== truth) batch += zs.length;
    const r = new Rng(7);
    for (let o = 0; o < 10; o++) {
      const order = zs.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i--) { const k = Math.floor(r.next() * (i + 1)); [order[i], order[k]] = [order[k], order[i]]; }
      for (let i = 1; i <= order.length; i++) (liveN++, (live += maleOfMean(order.slice(0, i).map((k) => zs[k])) === truth ? 0 : 1));
    }
  }
  return { batch, n, live, liveN };
}
const pct = (a, n) => (n ? ((100 * a) / n).toFixed(1) : '-').padStart(7);
console.log(`\n${'condition'.padEnd(26)}${'n'.padStart(5)}${'F0 rule err %'.padStart(15)}${'model err %'.padStart(13)}${'aroused men: F0 rule'.padStart(22)}${'model'.padStart(8)}${'session: batch'.padStart(16)}${'live'.padStart(7)}`);
const clean = new Map();
for (const f of valFiles) clean.set(f, await load(path.join(DATA, f)));
for (const [name, perturb] of CONDITIONS) {
  const r = new Rng(1000 * seed + name.length);
  let n = 0, ruleErr = 0, modelErr = 0, an = 0, aRule = 0, aModel = 0;
  const bySpeaker = new Map();
  for (const f of valFiles) {
    const truth = actorOf(f) % 2 ? 'male' : 'female';
    const j = await judge(await perturb(clean.get(f), r), truth);
    if (!j.voiced) continue;
    n++, (ruleErr += j.rule ? 0 : 1), (modelErr += j.model ? 0 : 1);
    if (truth === 'male' && AROUSED.has(f.split('-')[2])) an++, (aRule += j.rule ? 0 : 1), (aModel += j.model ? 0 : 1);
    if (!bySpeaker.has(actorOf(f))) bySpeaker.set(actorOf(f), [truth, []]);
    bySpeaker.get(actorOf(f))[1].push(j.z);
  }
  const s = sessionErrors(bySpeaker);
  console.log(`${name.padEnd(26)}${String(n).padStart(5)}${pct(ruleErr, n).padStart(15)}${pct(modelErr, n).padStart(13)}${pct(aRule, an).padStart(22)}${pct(aModel, an).padStart(8)}${pct(s.batch, s.n).padStart(16)}${pct(s.live, s.liveN).padStart(7)}`);
}
let n = 0, ruleErr = 0, modelErr = 0;
const fdaSpeakers = new Map();
for (const f of readdirSync(FDA).filter((f) => f.endsWith('.wav')).sort()) {
  const truth = f.startsWith('rl') ? 'male' : 'female';
  const j = await judge(path.join(FDA, f), truth);
  if (!j.voiced) continue;
  n++, (ruleErr += j.rule ? 0 : 1), (modelErr += j.model ? 0 : 1);
  if (!fdaSpeakers.has(truth)) fdaSpeakers.set(truth, [truth, []]);
  fdaSpeakers.get(truth)[1].push(j.z);
}
const fs = sessionErrors(fdaSpeakers);
console.log(`${'FDA read speech (1 m, 1 f)'.padEnd(26)}${String(n).padStart(5)}${pct(ruleErr, n).padStart(15)}${pct(modelErr, n).padStart(13)}${''.padStart(30)}${pct(fs.batch, fs.n).padStart(16)}${pct(fs.live, fs.liveN).padStart(7)}`);
console.log(`\n${((Date.now() - t0) / 1000).toFixed(0)} s. RAVDESS: Livingstone & Russo (2018), CC BY-NC-SA 4.0; FDA: Bagshaw, Hiller & Jack (1993).`);
