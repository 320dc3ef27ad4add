#!/usr/bin/env node
// Speech emotion recognition on RAVDESS, speaker-independent: train on actors 01–12, validate
// on 13–16 (../shared/data/ravdess). Ablation in the paper's style, each row mean ± sd over
// seeds: supervised cross-entropy; GRPO outcome reward only; + reasoning reward without τ;
// + τ without the progressive gate; full GRPO-PTR; and, as a documented departure from
// GRPO-PTR, full GRPO-PTR with claim-level credit (TrainOptions.claimCredit 'claim': each claim
// token's advantage from its own judge scores). Reports accuracy, macro-F1, FA (share of claims
// that agree with the measurement), mean FA/IQ/CC/FS and the wall time of each run.
// Usage: npm run build:ts && node benchmarks/ser.mjs [--seeds 3] [--features speaker|global|both]
//          [--steps RL_STEPS] [--sft-steps WARM_START_STEPS] [--rows mode,...] [--out report.json]
//          [--cache features.json]   (EMOTIONTHINKER_DIST=dir: a private tsc output instead of dist/)
import path from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// EMOTIONTHINKER_DIST: a compiled copy of src/ other than dist/ (e.g. a private tsc --outDir).
const dist = pathToFileURL(path.resolve(root, process.env.EMOTIONTHINKER_DIST ?? 'dist') + '/').href;
const { prepareRavdess, cueFeatureIndices } = await import(dist + 'train/corpus.js');
const { train } = await import(dist + 'train/trainer.js');
const { evaluatePolicy } = await import(dist + 'train/evaluate.js');
const { EMOTIONS } = await import(dist + 'inference/vocab.js');
const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const seeds = Array.from({ length: Number(arg('--seeds', 3)) }, (_, i) => i + 1);
const featureSets = arg('--features', 'both') === 'both' ? ['speaker', 'global'] : [arg('--features', 'speaker')];
const steps = arg('--steps', undefined) === undefined ? undefined : Number(arg('--steps'));
const sftSteps = arg('--sft-steps', undefined) === undefined ? undefined : Number(arg('--sft-steps'));
// [label, report key, train options]
const allRows = [
  ['supervised cross-entropy', 'supervised', { mode: 'supervised' }],
  ['GRPO, outcome reward only', 'grpo-outcome', { mode: 'grpo-outcome' }],
  ['+ reasoning reward, no trust τ', 'ptr-no-trust', { mode: 'ptr-no-trust' }],
  ['+ trust τ, no progressive gate', 'ptr-no-gate', { mode: 'ptr-no-gate' }],
  ['full GRPO-PTR', 'ptr', { mode: 'ptr' }],
  ['GRPO-PTR, claim-level credit (option)', 'ptr-claim-credit', { mode: 'ptr', claimCredit: 'claim' }],
];
const only = arg('--rows', undefined)?.split(',');
const rows = only ? allRows.filter(([, key]) => only.includes(key)) : allRows;
const outFile = path.resolve(arg('--out', path.join(root, '.cache', 'ser-report.json')));
const split = { trainActors: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], valActors: [13, 14, 15, 16] };
const cacheFile = path.resolve(root, arg('--cache', path.join('.cache', 'features.json')));
const stats = (xs) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
  return { m, sd };
};
const pm = (xs, scale = 100, digits = 1) => {
  const { m, sd } = stats(xs);
  return `${(m * scale).toFixed(digits)} ± ${(sd * scale).toFixed(digits)}`;
};

const report = { split, seeds, sftSteps, steps, results: {} };
for (const features of featureSets) {
  const t0 = Date.now();
  const corpus = await prepareRavdess(path.resolve(root, '../shared/data/ravdess'), { ...split, cacheFile, speakerNormalization: features === 'speaker' });
  const prepSeconds = (Date.now() - t0) / 1000;
  console.log(`\nfeatures: ${features === 'speaker' ? 'per-clip + per-speaker normalised' : 'per-clip, standardised on the training actors'}; ${corpus.train.x.length} train / ${corpus.val.x.length} validation clips; feature extraction ${prepSeconds.toFixed(1)} s (cached after the first run)`);
  console.log(`${'row'.padEnd(40)}${'accuracy %'.padStart(14)}${'macro-F1 %'.padStart(14)}${'FA share %'.padStart(14)}${'FA'.padStart(12)}${'IQ'.padStart(12)}${'CC'.padStart(12)}${'FS'.padStart(12)}${'train s'.padStart(9)}`);
  report.results[features] = {};
  // The global-feature set is the configuration of the bundled model (single clips); it gets the
  // two end rows only, to keep the benchmark's run time down.
  for (const [label, key, rowOptions] of features === 'speaker' ? rows : rows.filter(([, k]) => k === 'supervised' || k === 'ptr')) {
    const runs = [];
    for (const seed of seeds) {
      const t = Date.now();
      const r = train({ data: corpus.train, associations: corpus.associations, cueFeatures: cueFeatureIndices(), ...rowOptions, seed, steps, sftSteps });
      const seconds = (Date.now() - t) / 1000;
      runs.push({ seed, seconds, ...evaluatePolicy(r.policy, corpus.val, corpus.associations) });
    }
    report.results[features][key] = runs;
    const col = (k) => runs.map((r) => r[k]);
    console.log(
      label.padEnd(40) + pm(col('accuracy')).padStart(14) + pm(col('macroF1')).padStart(14) + pm(col('factualShare')).padStart(14) +
        pm(col('fa'), 1, 2).padStart(12) + pm(col('iq'), 1, 2).padStart(12) + pm(col('cc'), 1, 2).padStart(12) + pm(col('fs'), 1, 2).padStart(12) +
        stats(col('seconds')).m.toFixed(1).padStart(9),
    );
  }
  const best = report.results[features].ptr?.reduce((a, b) => (a.accuracy >= b.accuracy ? a : b));
  if (best) console.log(`confusion (full GRPO-PTR, seed ${best.seed}; rows true, columns predicted: ${EMOTIONS.map((e) => e.slice(0, 3)).join(' ')})`);
  best?.confusion.forEach((row, i) => console.log(`  ${EMOTIONS[i].padEnd(10)}${row.map((v) => String(v).padStart(5)).join('')}`));
}
mkdirSync(path.dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(report, null, 1));
console.log(`\nRAVDESS: Livingstone & Russo (2018), PLoS ONE 13(5): e0196391, CC BY-NC-SA 4.0. Full report: ${path.relative(process.cwd(), outFile)}`);
