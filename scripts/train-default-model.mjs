#!/usr/bin/env node
// Trains the bundled model: GRPO-PTR on RAVDESS actors 01–16 (../shared/data/ravdess), with
// per-clip features standardised over the training clips (no speaker normalisation, so that
// analyze() works on a single clip). Writes models/default.json.
// Usage: npm run build:ts && node scripts/train-default-model.mjs [--seed 1] [--cache features.json]
//   (EMOTIONTHINKER_DIST=dir: a private tsc output instead of dist/)
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// EMOTIONTHINKER_DIST: a compiled copy of src/ other than dist/ (e.g. a private tsc --outDir).
const dist = pathToFileURL(path.resolve(root, process.env.EMOTIONTHINKER_DIST ?? 'dist') + '/').href;
const { prepareRavdess, cueFeatureIndices } = await import(dist + 'train/corpus.js');
const { train, DEFAULT_SFT_STEPS, DEFAULT_RL_STEPS } = await import(dist + 'train/trainer.js');
const { evaluatePolicy } = await import(dist + 'train/evaluate.js');
const { modelFile, saveModel } = await import(dist + 'train/model.js');
const seed = Number(process.argv[process.argv.indexOf('--seed') + 1]) || 1;
const actors = Array.from({ length: 16 }, (_, i) => i + 1);
const t0 = Date.now();
const corpus = await prepareRavdess(path.resolve(root, '../shared/data/ravdess'), {
  trainActors: actors,
  valActors: [],
  cacheFile: path.resolve(root, process.argv.includes('--cache') ? process.argv[process.argv.indexOf('--cache') + 1] : path.join('.cache', 'features.json')),
});
const options = { mode: "ptr", seed };
const result = train({ data: corpus.train, associations: corpus.associations, cueFeatures: cueFeatureIndices(), ...options });
const fit = evaluatePolicy(result.policy, corpus.train, corpus.associations);
const out = path.join(root, 'models', 'default.json');
saveModel(out, modelFile(result.policy, {
  standardizer: corpus.standardizer,
  calibration: corpus.calibration,
  corpus: 'ravdess',
  associations: corpus.associations,
  info: {
    data: 'RAVDESS speech, actors 01-16 (Livingstone & Russo 2018, CC BY-NC-SA 4.0)',
    clips: corpus.train.x.length,
    ...options,
    sftSteps: DEFAULT_SFT_STEPS,
    steps: DEFAULT_RL_STEPS,
    trainingAccuracy: fit.accuracy,
    trainingFactualShare: fit.factualShare,
    trainedAt: new Date().toISOString().slice(0, 10),
  },
}));
console.log(`wrote ${out} in ${((Date.now() - t0) / 1000).toFixed(1)} s: training accuracy ${fit.accuracy.toFixed(3)}, factual share ${fit.factualShare.toFixed(3)}`);
