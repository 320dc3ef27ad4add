#!/usr/bin/env node
// Feature selection without the validation actors: cross-validation over the RAVDESS training
// actors 01–12 only (3 folds of 4 actors, each fold trained on the other 8), per-clip features
// standardised on each fold's training actors (no speaker normalisation), supervised mode.
// Each feature group is the base set plus that group (or minus an old block, DROPS); the
// held-out actors 13–16 are never read.
// Usage: npm run build:ts && node benchmarks/ser-cv.mjs [--seeds 2] [--first-seed 1] [--groups base,all,...]
//   [--cache .cache/features.json]   (EMOTIONTHINKER_DIST=dir: a private tsc output instead of dist/)
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = pathToFileURL(path.resolve(root, process.env.EMOTIONTHINKER_DIST ?? 'dist') + '/').href;
const { prepareRavdess, cueFeatureIndices } = await import(dist + 'train/corpus.js');
const { FEATURE_NAMES } = await import(dist + 'inference/featurize.js');
const { train } = await import(dist + 'train/trainer.js');
const { evaluatePolicy } = await import(dist + 'train/evaluate.js');

const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const seeds = Array.from({ length: Number(arg('--seeds', 2)) }, (_, i) => i + Number(arg('--first-seed', 1)));
const cacheFile = path.resolve(root, arg('--cache', '.cache/features.json'));
const folds = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]];
const isNew = (n) => n.startsWith('vq.');
const has = (...keys) => (n) => keys.some((k) => n === `vq.${k}`);
const GROUPS = {
  base: () => false,
  voice: has('hnrMean', 'hnrSd', 'jitterLocal', 'shimmerLocal', 'shimmerDb'),
  hnr: has('hnrMean', 'hnrSd'),
  jitshim: has('jitterLocal', 'shimmerLocal', 'shimmerDb'),
  balance: has('alphaRatioMean', 'alphaRatioSd', 'hammarbergMean', 'hammarbergSd', 'slope0to500Mean', 'slope0to500Sd', 'slope500to1500Mean', 'slope500to1500Sd'),
  balanceUv: has('alphaRatioUv', 'hammarbergUv', 'slope0to500Uv', 'slope500to1500Uv'),
  h1h2flux: has('h1h2Mean', 'h1h2Sd', 'fluxMean', 'fluxSd'),
  all: (n) => isNew(n),
};
// Groups that also leave existing blocks out: [new features kept, old features dropped].
const DROPS = {
  noMel: [() => false, (n) => n.startsWith('mel')],
  noMelAll: [(n) => isNew(n), (n) => n.startsWith('mel')],
  noMelBalance: [(n) => GROUPS.balance(n) || GROUPS.balanceUv(n), (n) => n.startsWith('mel')],
  noMelStd: [() => false, (n) => n.startsWith('melStd')],
  noMelStdAll: [(n) => isNew(n), (n) => n.startsWith('melStd')],
};
const groups = arg('--groups', Object.keys(GROUPS).join(',')).split(',');
const spec = (g) => (DROPS[g] ? DROPS[g] : [GROUPS[g], () => false]);

/** Keeps the old features, the group's new ones and the gender input; remaps the claim heads' indices. */
function select(data, [keepNew, dropOld]) {
  const keep = FEATURE_NAMES.flatMap((n, j) => ((isNew(n) ? keepNew(n) : !dropOld(n)) ? [j] : []));
  keep.push(FEATURE_NAMES.length); // gender
  const where = new Map(keep.map((j, i) => [j, i]));
  const cue = cueFeatureIndices().map((idx) => idx.filter((j) => where.has(j)).map((j) => where.get(j)));
  const pick = (d) => ({ ...d, cueFeatures: cue, x: d.x.map((x) => Float64Array.from(keep, (j) => x[j])) });
  return { train: pick(data.train), val: pick(data.val), cue, dims: keep.length };
}

const prepared = [];
for (const val of folds) {
  const trainActors = folds.flat().filter((a) => !val.includes(a));
  const t = Date.now();
  prepared.push(await prepareRavdess(path.resolve(root, '../shared/data/ravdess'), { trainActors, valActors: val, cacheFile }));
  console.error(`fold ${val.join(',')}: ${((Date.now() - t) / 1000).toFixed(1)} s to prepare`);
}
console.log(`${'group'.padEnd(12)}${'dims'.padStart(6)}${'CV acc %'.padStart(10)}${'fold sd'.padStart(9)}${'per fold (mean over seeds)'.padStart(30)}${'FA share %'.padStart(12)}`);
const results = {};
for (const g of groups) {
  const perFold = [], faShare = [];
  for (const corpus of prepared) {
    const s = select(corpus, spec(g));
    const evals = seeds.map((seed) => evaluatePolicy(train({ data: s.train, associations: corpus.associations, cueFeatures: s.cue, mode: 'supervised', seed }).policy, s.val, corpus.associations));
    perFold.push(evals.reduce((a, e) => a + e.accuracy, 0) / evals.length);
    faShare.push(evals.reduce((a, e) => a + e.factualShare, 0) / evals.length);
    results[g] = { dims: s.dims, perFold, faShare };
  }
  const m = perFold.reduce((a, b) => a + b, 0) / perFold.length;
  const sd = Math.sqrt(perFold.reduce((a, b) => a + (b - m) ** 2, 0) / (perFold.length - 1));
  console.log(`${g.padEnd(12)}${String(results[g].dims).padStart(6)}${(100 * m).toFixed(1).padStart(10)}${(100 * sd).toFixed(1).padStart(9)}${perFold.map((a) => (100 * a).toFixed(1)).join(' / ').padStart(30)}${(100 * faShare.reduce((a, b) => a + b, 0) / faShare.length).toFixed(1).padStart(12)}`);
}
