#!/usr/bin/env node
// How a live speaker session warms up (issue #16): a voice agent does not get all of a speaker's
// clips at once (analyzeSpeaker) but one utterance after another (createSpeakerSession().analyze),
// each explained against the statistics known so far, shrunk toward the population while they are
// few. For each validation speaker (RAVDESS actors 13–16) the clips are fed in seeded random
// orders; accuracy and ECE are reported by the utterance's position in the session, next to the
// whole-batch session (analyzeSpeaker over all of the speaker's clips) and single clips (analyze
// with --single, a single-clip model) on the same clips.
// The session model must not have heard actors 13–16: train one with
//   node benchmarks/ser-robustness.mjs --quick --augment none --save-models DIR
// and pass DIR/seed-1-session.json (the bundled models/speaker.json was trained on 01–16).
// Usage: npm run build:ts && node benchmarks/session-warmup.mjs --model FILE [--single FILE]
//   [--orders 5] [--prior 4] [--out report.json]
import path from 'node:path';
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = pathToFileURL(path.resolve(root, process.env.EMOTIONTHINKER_DIST ?? 'dist') + '/').href;
const api = await import(dist + 'index.js');
const { loadModel } = await import(dist + 'inference/model.js');
const { expectedCalibrationError } = await import(dist + 'train/confidence.js');
const { Rng } = await import(dist + 'train/rng.js');

const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const modelFile = arg('--model', null);
if (!modelFile) {
  console.error('usage: node benchmarks/session-warmup.mjs --model FILE (a session model trained without actors 13-16) [--single FILE] [--orders 5] [--prior 4]');
  process.exit(2);
}
const singleFile = arg('--single', null);
const orders = Number(arg('--orders', '5'));
const priorStrength = Number(arg('--prior', '4'));
const outFile = path.resolve(arg('--out', path.join(root, '.cache', 'session-warmup.json')));
const DATA = path.resolve(root, '../shared/data/ravdess');
const VAL = [13, 14, 15, 16];
const model = loadModel(path.resolve(modelFile));
const single = singleFile ? loadModel(path.resolve(singleFile)) : null;
const label = (f) => Number(path.basename(f).split('-')[2]) - 1;
const clipsOf = (a) => readdirSync(DATA).filter((f) => f.endsWith(`-${String(a).padStart(2, '0')}.wav`)).sort().map((f) => path.join(DATA, f));
const probsOf = (r) => api.EMOTIONS.map((e) => r.probabilities[e]);

// Positions in the session, reported in bins (1-based, inclusive).
const BINS = [[1, 1], [2, 3], [4, 6], [7, 12], [13, 24], [25, 60]];
const byBin = BINS.map(() => ({ probs: [], labels: [] }));
const batch = { probs: [], labels: [] }, lone = { probs: [], labels: [] };
const t0 = performance.now();
for (const a of VAL) {
  const clips = clipsOf(a);
  for (const r of await api.analyzeSpeaker(clips, { model, priorStrength })) batch.probs.push(probsOf(r));
  batch.labels.push(...clips.map(label));
  if (single) for (const f of clips) lone.probs.push(probsOf(await api.analyze(f, { model: single }))), lone.labels.push(label(f));
  for (let o = 0; o < orders; o++) {
    const rng = new Rng(1000 * a + o);
    const order = clips.map((f) => [rng.next(), f]).sort((x, y) => x[0] - y[0]).map(([, f]) => f);
    const s = api.createSpeakerSession({ id: `actor ${a}`, model, priorStrength });
    for (const [i, f] of order.entries()) {
      const r = await s.analyze(f);
      const b = BINS.findIndex(([lo, hi]) => i + 1 >= lo && i + 1 <= hi);
      byBin[b].probs.push(probsOf(r));
      byBin[b].labels.push(label(f));
    }
  }
}
const row = (d) => {
  const e = expectedCalibrationError(d.probs, d.labels);
  return { n: d.labels.length, accuracy: e.accuracy, ece: e.ece, confidence: e.confidence };
};
const pct = (v) => (100 * v).toFixed(1);
const report = { model: modelFile, single: singleFile, orders, priorStrength, bins: {}, batch: row(batch), singleClip: single ? row(lone) : null, seconds: (performance.now() - t0) / 1000 };
console.log(`running sessions over actors ${VAL.join(', ')} (${orders} random orders each, prior strength ${priorStrength}); accuracy by the utterance's position:`);
BINS.forEach(([lo, hi], k) => {
  const r = row(byBin[k]);
  report.bins[`${lo}-${hi}`] = r;
  console.log(`  utterances ${`${lo}-${hi}`.padEnd(6)} n ${String(r.n).padStart(4)}  accuracy ${pct(r.accuracy)} %  ECE ${r.ece.toFixed(3)}  confidence ${r.confidence.toFixed(2)}`);
});
console.log(`whole-batch sessions (analyzeSpeaker): accuracy ${pct(report.batch.accuracy)} %, ECE ${report.batch.ece.toFixed(3)}`);
if (report.singleClip) console.log(`single clips (analyze, --single model): accuracy ${pct(report.singleClip.accuracy)} %, ECE ${report.singleClip.ece.toFixed(3)}`);
console.log(`${report.seconds.toFixed(0)} s`);
mkdirSync(path.dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(report, null, 1));
console.log(`RAVDESS: Livingstone & Russo (2018), CC BY-NC-SA 4.0. Report: ${path.relative(process.cwd(), outFile)}`);
