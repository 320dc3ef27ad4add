#!/usr/bin/env node
// Explained emotion outside the studio (issue #16): train on RAVDESS actors 01–12 (GRPO-PTR,
// the bundled model's recipe, temperature fitted on held-out folds of 01–12), validate on
// actors 13–16 through the public API (analyze, analyzeSpeaker) on clean clips and on seeded
// perturbations of them: gain −20/−10/+10 dB, white noise and babble (other training speakers)
// at 20 and 10 dB SNR, telephone (300–3400 Hz, 8 kHz, µ-law) and synthetic reverberation
// (T60 0.5 s). Per condition: accuracy, macro-F1, FA share, ECE (10 bins), mean confidence,
// share flagged uncertain, and agreement of the emotion and of each claim with the clean clip.
// Then speaker sessions (analyzeSpeaker over all of a validation speaker's clips) and the time
// per clip of analyze. Lossy coding: the real LAME MP3 (16 and 32 kbps) and Ogg Vorbis (quality 0)
// encoders (src/train/codec.ts), the files decoded by analyze itself. Another microphone: a random
// frequency response (augment.ts drawMicrophone), one per clip, one per speaker in sessions.
// Seeds 1–5 by default, reported per seed and as mean ± sd over the seeds. `--cv` adds the
// leave-speakers-out cross-validation over actors 01–16 (4 folds of 4 actors, two men and two
// women each; every fold's model trained on the other 12, clean held-out clips, single clip and
// speaker session): it is for choosing a recipe (`--recipe`), not for the validation figures,
// since actors 13–16 are one of its folds.
// Runtime (2 shared CPU cores): one training ≈ 1–1.5 min; a model with its held-out temperature
// is 5 trainings per member, so with --members 1 the default run (5 seeds × single-clip model +
// session model) is ≈ 50 trainings ≈ 1 h, `--cv` adds 8 trainings per seed, `--quick` (seed 1, no
// CV) ≈ 12 min; the default 3 members take three times as long.
// Usage: npm run build:ts && node benchmarks/ser-robustness.mjs [--quick] [--seeds 5|1,3] [--seed 2] [--cv] [--cv-only]
//   [--recipe weightDecay=0.1,inputNoise=0.8] [--out report.json] [--cache features.json] [--anchor OTHER_DIST]
//   [--augment 0,4|none] [--session-augment 4] [--sessions 0] [--augment-kinds gain,white,pink,babble,telephone,reverb,mp3,vorbis]
//   [--members 3] [--save-models DIR] [--load-models DIR] [--probs FILE]
// --save-models DIR writes every trained validation model (seed-S-single-augN.json,
// seed-S-session.json) so that a later run can --load-models them instead of training (e.g. to
// study calibration or a decode rule without an hour of training).
// --members K: every model is an ensemble of K members (src/train/ensemble-train.ts; default
// DEFAULT_ENSEMBLE_MEMBERS, the bundled recipe; 1 = a single policy), which multiplies the
// training time by K.
import path from 'node:path';
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = pathToFileURL(path.resolve(root, process.env.EMOTIONTHINKER_DIST ?? 'dist') + '/').href;
const api = await import(dist + 'index.js');
const { prepareRavdess, cueFeatureIndices } = await import(dist + 'train/corpus.js');
const { evaluatePolicy } = await import(dist + 'train/evaluate.js');
const { modelFile, parseModel, saveModel, loadModel } = await import(dist + 'inference/model.js');
const { perceptionOf, expectedCalibrationError } = await import(dist + 'train/confidence.js');
const { trainEnsemble, DEFAULT_ENSEMBLE_MEMBERS } = await import(dist + 'train/ensemble-train.js');
const { EMOTIONS, CUES } = await import(dist + 'inference/vocab.js');
const aug = await import(dist + 'train/augment.js');
const { Rng } = await import(dist + 'train/rng.js');
const { loadAudio } = api;
const { encodeLossy } = await import(dist + 'train/codec.js');

const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const quick = process.argv.includes('--quick');
// --seeds 5: seeds 1..5; --seeds 2,4: those seeds.
const seedArg = arg('--seeds', quick ? '1' : '5');
// --seed 2: that seed alone.
const seeds = arg('--seed', null) !== null ? [Number(arg('--seed'))] : seedArg.includes(',') ? seedArg.split(',').map(Number) : Array.from({ length: Number(seedArg) }, (_, i) => i + 1);
const cvOnly = process.argv.includes('--cv-only');
const withCv = (process.argv.includes('--cv') || cvOnly) && !quick;
// --recipe k=v,...: training options (TrainOptions: weightDecay, inputNoise, hidden, cueHidden,
// sftSteps, steps, lr, sftLr, ...) for every model of the run, so that recipes can be compared by CV.
const recipe = Object.fromEntries((arg('--recipe', '') || '').split(',').filter(Boolean).map((kv) => {
  const [k, v] = kv.split('=');
  return [k, Number(v)];
}));
const outFile = path.resolve(arg('--out', path.join(root, '.cache', 'ser-robustness.json')));
const cacheFile = path.resolve(root, arg('--cache', path.join('.cache', 'features.json')));
const DATA = path.resolve(root, '../shared/data/ravdess');
// --anchor DIR: another build's dist/ (e.g. the code before this change) timed side by side.
const anchorDir = arg('--anchor', null);
// --augment 0,2: train one single-clip model per list entry (perturbed copies per training clip);
// --augment none: no single-clip model (speaker sessions only).
const augmentArg = arg('--augment', '4');
const augmentCopies = augmentArg === 'none' ? [] : augmentArg.split(',').map(Number);
// --session-augment N: channel copies per training clip for the speaker-session model (one channel per speaker and copy; default 4, the bundled recipe).
const sessionCopies = Number(arg('--session-augment', '4'));
// --augment-kinds gain,white,...,mp3,vorbis: the perturbation kinds of the augmentation (default
// the bundled recipe's, DEFAULT_AUGMENT_KINDS; PERTURBATION_KINDS adds the MP3 and Vorbis codecs and the microphone).
const augmentKinds = arg('--augment-kinds', null)?.split(',');
// --sessions 0: skip the speaker-session model and figures.
const withSessions = arg('--sessions', '1') !== '0';
// --members K: ensemble members per model.
const members = Number(arg('--members', DEFAULT_ENSEMBLE_MEMBERS));
const saveDir = arg('--save-models', null), loadDir = arg('--load-models', null);
// --probs FILE: every clip's reported probabilities (after the model's temperature) and label per
// model and condition, for studying calibration (e.g. refitting a temperature) without re-running analyze.
const probsFile = arg('--probs', null);
const probDump = [];
const anchor = anchorDir ? await import(pathToFileURL(path.resolve(anchorDir) + '/').href + 'index.js') : null;
let analyzeTiming = null;
const trainActors = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], valActors = [13, 14, 15, 16];

// Perturbations: src/train/augment.ts (the same code the training augmentation uses).
const power = (x) => x.reduce((a, v) => a + v * v, 0) / x.length;
function wav(samples, rate) {
  const n = samples.length, buf = new ArrayBuffer(44 + 2 * n), dv = new DataView(buf);
  const w = (o, s) => [...s].forEach((ch, i) => dv.setUint8(o + i, ch.charCodeAt(0)));
  w(0, 'RIFF'), dv.setUint32(4, 36 + 2 * n, true), w(8, 'WAVE'), w(12, 'fmt '), dv.setUint32(16, 16, true);
  dv.setUint16(20, 1, true), dv.setUint16(22, 1, true), dv.setUint32(24, rate, true), dv.setUint32(28, 2 * rate, true);
  dv.setUint16(32, 2, true), dv.setUint16(34, 16, true), w(36, 'data'), dv.setUint32(40, 2 * n, true);
  for (let i = 0; i < n; i++) dv.setInt16(44 + 2 * i, Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32767))), true);
  return new Uint8Array(buf);
}

// ---- data ----
const names = readdirSync(DATA).filter((f) => f.endsWith('.wav')).sort();
const actorOf = (f) => Number(f.slice(-6, -4));
const valFiles = names.filter((f) => valActors.includes(actorOf(f)));
const babbleFiles = names.filter((f) => trainActors.includes(actorOf(f)));
const load = async (f) => (await loadAudio(path.join(DATA, f), { sampleRate: 16000, mono: true })).samples;
const clean = new Map();
for (const f of valFiles) clean.set(f, await load(f));
// The speech bounds of each clean clip (first and last sounding stretch), for the "cut at the
// speech" condition: the clip as a voice agent's VAD turn or a tightly cut file holds it, with a
// random 0.02–0.15 s margin on each side instead of RAVDESS's second of silence.
const speechBounds = new Map();
for (const x of clean.values()) {
  const s = (await api.extractProsody({ samples: x, sampleRate: 16000, channels: 1 })).segments.sounding;
  if (s.length) speechBounds.set(x, [s[0].start, s[s.length - 1].end]);
}
function cutAtSpeech(x, r) {
  const b = speechBounds.get(x);
  if (!b) return x;
  const a = Math.max(0, Math.round((b[0] - 0.02 - 0.13 * r.next()) * 16000));
  const e = Math.min(x.length, Math.round((b[1] + 0.02 + 0.13 * r.next()) * 16000));
  return x.slice(a, e);
}

const CONDITIONS = [
  ['clean', (x) => wav(x, 16000)],
  ['gain -20 dB', (x) => wav(aug.applyGain(x, -20), 16000)],
  ['gain -10 dB', (x) => wav(aug.applyGain(x, -10), 16000)],
  ['gain +10 dB', (x) => (x.some((v) => Math.abs(v * 10 ** 0.5) >= 1) ? null : wav(aug.applyGain(x, 10), 16000))],
  ['white noise 20 dB SNR', (x, r) => wav(aug.mixAtSnr(x, aug.whiteNoise(x.length, r), 20), 16000)],
  ['white noise 10 dB SNR', (x, r) => wav(aug.mixAtSnr(x, aug.whiteNoise(x.length, r), 10), 16000)],
  ['babble 20 dB SNR', (x, r, b) => wav(aug.mixAtSnr(x, b, 20), 16000)],
  ['babble 10 dB SNR', (x, r, b) => wav(aug.mixAtSnr(x, b, 10), 16000)],
  ['telephone 8 kHz µ-law', (x) => wav(aug.telephone(x), 16000)],
  // The augmentation's own reverberation: a far-field microphone (DRR about -17 dB, some 6 m from
  // the talker), and the same room heard from about its critical distance (DRR 0 dB: a laptop or a
  // smart speaker across a table), which the training never drew.
  ['reverberation T60 0.5 s', (x, r) => wav(aug.reverberate(x, 0.5, r), 16000)],
  ['reverberation T60 0.5 s, DRR 0 dB', (x, r) => wav(aug.reverberate(x, 0.5, r, 0), 16000)],
  ['MP3 16 kbps', (x) => encodeLossy(x, { format: 'mp3', kbps: 16 })],
  ['MP3 32 kbps', (x) => encodeLossy(x, { format: 'mp3', kbps: 32 })],
  ['Ogg Vorbis q0 (~25 kbps)', (x) => encodeLossy(x, { format: 'vorbis', quality: 0 })],
  ['cut at the speech (0.02-0.15 s margins)', (x, r) => wav(cutAtSpeech(x, r), 16000)],
  // Another microphone (augment.ts drawMicrophone: tilt, low and high cut, two resonances): one per
  // clip, one per speaker in sessions ({ device: true }: a session hears all of a speaker's clips
  // through the same one).
  ['another microphone', (x, r) => wav(aug.microphone(x, aug.drawMicrophone(r)), 16000), { device: true }],
];

async function babbleFor(r, len) {
  const talkers = [];
  for (let k = 0; k < 3; k++) talkers.push(await load(babbleFiles[Math.floor(r.next() * babbleFiles.length)]));
  return aug.babble(len, talkers);
}

// A result's probabilities in EMOTIONS order (uniform when no emotion was given).
const probsOf = (r) => (r.emotion ? EMOTIONS.map((e) => r.probabilities[e]) : new Array(EMOTIONS.length).fill(1 / EMOTIONS.length));
function dumpProbs(entry, results, labels) {
  if (probsFile) probDump.push({ ...entry, labels, probs: results.map(probsOf) });
}
function metrics(results, labels) {
  const K = EMOTIONS.length, conf = Array.from({ length: K }, () => new Array(K).fill(0));
  let ok = 0, claims = 0, agree = 0, unc = 0;
  const probs = [], ys = [];
  results.forEach((r, i) => {
    if (r.uncertain) unc++;
    const pred = r.emotion ? EMOTIONS.indexOf(r.emotion) : -1;
    if (pred >= 0) conf[labels[i]][pred]++;
    if (pred === labels[i]) ok++;
    for (const c of r.claims) claims++, (agree += c.agrees ? 1 : 0);
    probs.push(probsOf(r));
    ys.push(labels[i]);
  });
  let f1 = 0;
  for (let k = 0; k < K; k++) {
    const tp = conf[k][k], fp = conf.reduce((s, row, t) => s + (t === k ? 0 : row[k]), 0), fn = conf[k].reduce((s, v, p) => s + (p === k ? 0 : v), 0);
    f1 += tp ? (2 * tp) / (2 * tp + fp + fn) : 0;
  }
  const e = expectedCalibrationError(probs, ys);
  return { n: results.length, accuracy: ok / results.length, macroF1: f1 / K, factualShare: claims ? agree / claims : 0, ece: e.ece, confidence: e.confidence, uncertainShare: unc / results.length };
}
const claimOf = (r, cue) => r.claims.find((c) => c.cue === cue)?.claim ?? 'not_mentioned';

async function trainModel(seed, speakerNormalization, copies = 0) {
  const name = `seed-${seed}-${speakerNormalization ? 'session' : `single-aug${copies}`}.json`;
  if (loadDir) {
    const model = loadModel(path.join(loadDir, name));
    const c = model.file.perception?.calibrationInfo ?? {};
    return { model, held: { temperature: model.file.perception?.temperature ?? 1, folds: c.folds ?? NaN, eceBefore: c.eceBefore ?? NaN, eceAfter: c.eceAfter ?? NaN }, seconds: 0 };
  }
  const corpus = await prepareRavdess(DATA, { trainActors, valActors: [], cacheFile, speakerNormalization });
  const t0 = Date.now();
  const { policies, data: memberData, held } = await trainEnsemble(corpus, {
    members, copies, seed, speakerNormalization, kinds: augmentKinds, train: { mode: 'ptr', cueFeatures: cueFeatureIndices(), ...recipe },
  });
  const data = memberData[0];
  const file = modelFile(policies, {
    standardizer: corpus.standardizer, calibration: corpus.calibration, corpus: 'ravdess', associations: corpus.associations,
    perception: perceptionOf(corpus.effortCuts, data.x, corpus.standardizer.mean.length, held, corpus.speakerLevelSd, data.clips.map((c) => c.gender)), info: { seed },
  });
  if (saveDir) mkdirSync(saveDir, { recursive: true }), saveModel(path.join(saveDir, name), file);
  return { model: parseModel(JSON.parse(JSON.stringify(file)), 'benchmark model'), held, seconds: (Date.now() - t0) / 1000 };
}

const report = { trainActors, valActors, seeds, members, recipe, augmentKinds, sessionAugmentCopies: sessionCopies, runs: [], sessions: [], cv: [] };
const pct = (v) => (100 * v).toFixed(1);
const labels = valFiles.map((f) => Number(f.split('-')[2]) - 1);
for (const seed of cvOnly ? [] : seeds) {
 for (const copies of augmentCopies) {
  const single = await trainModel(seed, false, copies);
  console.log(`\nseed ${seed}, ${members > 1 ? `ensemble of ${members}, ` : ''}${copies ? `training augmented with ${copies} perturbed copies per clip` : 'no augmentation'}: model trained in ${single.seconds.toFixed(0)} s (with ${single.held.folds} held-out folds); temperature ${single.held.temperature.toFixed(2)}, held-out ECE ${single.held.eceBefore.toFixed(3)} -> ${single.held.eceAfter.toFixed(3)}`);
  const byCond = {};
  let cleanResults = null, analyzeMs = 0;
  console.log(`${'condition'.padEnd(26)}${'n'.padStart(5)}${'acc %'.padStart(8)}${'F1 %'.padStart(8)}${'FA %'.padStart(8)}${'ECE'.padStart(8)}${'conf'.padStart(7)}${'unc %'.padStart(8)}${'emo=%'.padStart(8)}${CUES.map((c) => (c.slice(0, 5) + '=%').padStart(9)).join('')}`);
  for (const [name, perturb] of CONDITIONS) {
    const r = new Rng(1000 * seed + name.length);
    const results = [], idx = [];
    for (const [i, f] of valFiles.entries()) {
      const x = clean.get(f);
      const b = name.startsWith('babble') ? await babbleFor(r, x.length) : null;
      const bytes = await perturb(x, r, b);
      if (!bytes) continue; // would clip
      const t0 = performance.now();
      results.push(await api.analyze(bytes, { model: single.model }));
      if (name === 'clean') analyzeMs += performance.now() - t0;
      idx.push(i);
    }
    if (name === 'clean') cleanResults = results;
    const m = metrics(results, idx.map((i) => labels[i]));
    dumpProbs({ model: 'single', seed, augmentCopies: copies, temperature: single.held.temperature, condition: name }, results, idx.map((i) => labels[i]));
    const agreeOf = (fn) => idx.reduce((s, i, k) => s + (fn(results[k]) === fn(cleanResults[i]) ? 1 : 0), 0) / idx.length;
    m.emotionAgreement = agreeOf((r) => r.emotion);
    m.claimAgreement = Object.fromEntries(CUES.map((c) => [c, agreeOf((r) => claimOf(r, c))]));
    byCond[name] = m;
    console.log(`${name.padEnd(26)}${String(m.n).padStart(5)}${pct(m.accuracy).padStart(8)}${pct(m.macroF1).padStart(8)}${pct(m.factualShare).padStart(8)}${m.ece.toFixed(3).padStart(8)}${m.confidence.toFixed(2).padStart(7)}${pct(m.uncertainShare).padStart(8)}${pct(m.emotionAgreement).padStart(8)}${CUES.map((c) => pct(m.claimAgreement[c]).padStart(9)).join('')}`);
  }
  const msPerClip = analyzeMs / valFiles.length;
  console.log(`analyze: ${msPerClip.toFixed(1)} ms per clip (clean validation clips, 16 kHz WAV bytes, first pass)`);
  if (anchor) {
    // Side by side in this run: the same clips through this build and the anchor build, alternating, second pass each.
    const bytes = valFiles.map((f) => wav(clean.get(f), 16000));
    const t = { now: 0, anchor: 0 };
    for (let pass = 0; pass < 2; pass++) {
      for (const b of bytes) {
        let t0 = performance.now();
        await api.analyze(b, { model: single.model });
        if (pass) t.now += performance.now() - t0;
        t0 = performance.now();
        await anchor.analyze(b);
        if (pass) t.anchor += performance.now() - t0;
      }
    }
    analyzeTiming = { msPerClip: t.now / bytes.length, anchorMsPerClip: t.anchor / bytes.length, anchor: anchorDir };
    console.log(`analyze time per clip, side by side: ${analyzeTiming.msPerClip.toFixed(1)} ms (this build) vs ${analyzeTiming.anchorMsPerClip.toFixed(1)} ms (anchor ${anchorDir}, its bundled model)`);
  }
  report.runs.push({ seed, augmentCopies: copies, temperature: single.held.temperature, heldOut: single.held, conditions: byCond, analyzeMsPerClip: msPerClip, analyzeTiming });
 }
  if (!withSessions) continue;
  // Speaker sessions: each validation speaker's clips as one batch.
  const spk = await trainModel(seed, true, sessionCopies);
  console.log(`\nseed ${seed}, speaker-session model: temperature ${spk.held.temperature.toFixed(2)} from ${spk.held.folds} held-out folds, held-out ECE ${spk.held.eceBefore.toFixed(3)} -> ${spk.held.eceAfter.toFixed(3)}`);
  const sessions = {};
  // Every condition, applied to all of a speaker's clips (one channel per session).
  for (const [name, perturb, kind] of CONDITIONS) {
    const results = new Array(valFiles.length);
    for (const a of valActors) {
      const idx = valFiles.map((f, i) => [f, i]).filter(([f]) => actorOf(f) === a).map(([, i]) => i);
      const r = new Rng(7 * seed + a);
      const batch = [];
      for (const i of idx) {
        const x = clean.get(valFiles[i]);
        // A clip that the condition would clip (gain +10 dB) stays in the session unchanged.
        const draw = kind?.device ? new Rng(7 * seed + a) : r;
        batch.push((await perturb(x, draw, name.startsWith('babble') ? await babbleFor(r, x.length) : null)) ?? wav(x, 16000));
      }
      const out = await api.analyzeSpeaker(batch, { id: `actor ${a}`, model: spk.model });
      idx.forEach((i, k) => (results[i] = out[k]));
    }
    sessions[name] = metrics(results, labels);
    dumpProbs({ model: 'session', seed, temperature: spk.held.temperature, condition: name }, results, labels);
    console.log(`speaker session (analyzeSpeaker per actor), ${name}: accuracy ${pct(sessions[name].accuracy)} %, macro-F1 ${pct(sessions[name].macroF1)} %, FA ${pct(sessions[name].factualShare)} %, ECE ${sessions[name].ece.toFixed(3)}, confidence ${sessions[name].confidence.toFixed(2)}`);
  }
  report.sessions.push({ seed, temperature: spk.held.temperature, heldOut: spk.held, sessions });
}

// ---- leave-speakers-out cross-validation over actors 01–16 (model selection) ----
const CV_FOLDS = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]];
for (const seed of withCv ? seeds : []) {
  // --augment none: the sessions' CV alone (copies null: no single-clip model).
  for (const copies of augmentCopies.length ? augmentCopies : withSessions ? [null] : []) {
    const t0 = Date.now();
    const folds = [];
    for (const held of CV_FOLDS) {
      const others = Array.from({ length: 16 }, (_, i) => i + 1).filter((a) => !held.includes(a));
      const row = { held };
      for (const speaker of [...(copies === null ? [] : [false]), ...(withSessions ? [true] : [])]) {
        const corpus = await prepareRavdess(DATA, { trainActors: others, valActors: held, cacheFile, speakerNormalization: speaker });
        const { policies } = await trainEnsemble(corpus, {
          members, copies: speaker ? sessionCopies : copies, seed, speakerNormalization: speaker, kinds: augmentKinds, heldOutFolds: 0,
          train: { mode: 'ptr', cueFeatures: cueFeatureIndices(), ...recipe },
        });
        const ev = evaluatePolicy(policies, corpus.val, corpus.associations);
        row[speaker ? 'session' : 'single'] = { accuracy: ev.accuracy, macroF1: ev.macroF1, factualShare: ev.factualShare };
      }
      folds.push(row);
      console.log(`CV seed ${seed}, augment ${copies}, held-out actors ${held.join(',')}:${row.single ? ` single clip ${pct(row.single.accuracy)} %` : ''}${row.session ? ` session ${pct(row.session.accuracy)} %` : ''}`);
    }
    const mean = (k) => folds.reduce((a, f) => a + (f[k]?.accuracy ?? 0), 0) / folds.length;
    const single = copies === null ? null : mean('single');
    report.cv.push({ seed, augmentCopies: copies, folds, single, session: withSessions ? mean('session') : null, seconds: (Date.now() - t0) / 1000 });
    console.log(`CV seed ${seed}, augment ${copies}:${single === null ? '' : ` single clip ${pct(single)} %`}${withSessions ? ` session ${pct(mean('session'))} %` : ''} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
}

// ---- mean ± sd over seeds ----
const msd = (vals) => {
  const m = vals.reduce((a, v) => a + v, 0) / vals.length;
  const sd = vals.length > 1 ? Math.sqrt(vals.reduce((a, v) => a + (v - m) ** 2, 0) / (vals.length - 1)) : 0;
  return { mean: m, sd, n: vals.length };
};
const fmt = (o, scale = 100, digits = 1) => `${(scale * o.mean).toFixed(digits)} ± ${(scale * o.sd).toFixed(digits)}`;
report.summary = { single: {}, sessions: {}, cv: {} };
for (const copies of cvOnly ? [] : augmentCopies) {
  const runs = report.runs.filter((r) => r.augmentCopies === copies);
  const table = {};
  console.log(`\nmean ± sd over seeds ${runs.map((r) => r.seed).join(',')} (augment ${copies}), single clip:`);
  console.log(`${'condition'.padEnd(26)}${'acc %'.padStart(13)}${'F1 %'.padStart(13)}${'FA %'.padStart(13)}${'ECE'.padStart(15)}${'emo=%'.padStart(13)}${'claims=% (min)'.padStart(16)}`);
  for (const [name] of CONDITIONS) {
    const get = (fn) => msd(runs.map((r) => fn(r.conditions[name])));
    const row = {
      accuracy: get((m) => m.accuracy), macroF1: get((m) => m.macroF1), factualShare: get((m) => m.factualShare), ece: get((m) => m.ece),
      confidence: get((m) => m.confidence), emotionAgreement: get((m) => m.emotionAgreement),
      claimAgreementMin: get((m) => Math.min(...Object.values(m.claimAgreement))),
    };
    table[name] = row;
    console.log(`${name.padEnd(26)}${fmt(row.accuracy).padStart(13)}${fmt(row.macroF1).padStart(13)}${fmt(row.factualShare).padStart(13)}${fmt(row.ece, 1, 3).padStart(15)}${fmt(row.emotionAgreement).padStart(13)}${fmt(row.claimAgreementMin).padStart(16)}`);
  }
  report.summary.single[copies] = table;
}
if (report.sessions.length) {
  console.log(`\nspeaker sessions, mean ± sd over seeds ${report.sessions.map((r) => r.seed).join(',')}:`);
  for (const [name] of CONDITIONS) {
    const row = { accuracy: msd(report.sessions.map((s) => s.sessions[name].accuracy)), ece: msd(report.sessions.map((s) => s.sessions[name].ece)), factualShare: msd(report.sessions.map((s) => s.sessions[name].factualShare)) };
    report.summary.sessions[name] = row;
    console.log(`${name.padEnd(26)} accuracy ${fmt(row.accuracy)} %, FA ${fmt(row.factualShare)} %, ECE ${fmt(row.ece, 1, 3)}`);
  }
}
for (const copies of withCv ? (augmentCopies.length ? augmentCopies : withSessions ? [null] : []) : []) {
  const cv = report.cv.filter((c) => c.augmentCopies === copies);
  const all = (k) => msd(cv.flatMap((c) => c.folds.map((f) => f[k].accuracy)));
  const single = copies === null ? null : all('single');
  report.summary.cv[copies ?? 'sessions'] = { single, session: withSessions ? all('session') : null };
  console.log(`\nleave-speakers-out CV over actors 01–16 (augment ${copies}; mean ± sd over ${cv.length} seeds × 4 folds):${single ? ` single clip ${fmt(single)} %` : ''}${withSessions ? ` session ${fmt(all('session'))} %` : ''}`);
}
mkdirSync(path.dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(report, null, 1));
if (probsFile) mkdirSync(path.dirname(path.resolve(probsFile)), { recursive: true }), writeFileSync(path.resolve(probsFile), JSON.stringify(probDump));
console.log(`\nRAVDESS: Livingstone & Russo (2018), CC BY-NC-SA 4.0. Report: ${path.relative(process.cwd(), outFile)}`);
