#!/usr/bin/env node
// Trains the bundled model: GRPO-PTR on RAVDESS actors 01–16 (../shared/data/ravdess), with
// per-clip, gain-invariant features of the utterance's speech span (FEATURE_VERSION) standardised over the training clips (no
// speaker normalisation, so that analyze() works on a single clip), then fits the probability
// temperature on held-out folds of the training speakers (HELD_OUT_FOLDS: 4 for the default
// model, 6 for the session model; each fold's model trained as the final one on the others). The default model's training set is augmented with
// AUGMENT_COPIES seeded channel perturbations of every clip (gain ±20 dB, white/pink/babble noise
// at 5–30 dB SNR, telephone, reverberation T60 0.2–0.8 s; src/train/augment.ts). Also trains
// the speaker-session model (models/speaker.json: per-clip features plus the same features
// z-scored within the speaker), augmented with SESSION_AUGMENT_COPIES copies in which each speaker
// is heard over one perturbed channel (the within-speaker statistics are a session's, over one
// channel: src/train/augment-corpus.ts). Each model is an ensemble of DEFAULT_ENSEMBLE_MEMBERS
// policies, member k trained at seed + 1000·k with its own augmentation draw, decoded together
// (src/train/ensemble-train.ts, src/inference/ensemble.ts); the temperature is fitted on the
// ensemble's held-out probabilities. Deterministic for a seed. Writes models/default.json and
// models/speaker.json.
// Each model file also carries the speaker-gender classifier (src/train/gender-fit.ts); `--only
// gender` adds or refits it in both files without retraining the policies.
// Usage: npm run build:ts && node scripts/train-default-model.mjs [--seed 1] [--cache features.json] [--only default|speaker|gender] [--augment 4] [--session-augment 4] [--members 3]
//   (EMOTIONTHINKER_DIST=dir: a private tsc output instead of dist/)
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// EMOTIONTHINKER_DIST: a compiled copy of src/ other than dist/ (e.g. a private tsc --outDir).
const dist = pathToFileURL(path.resolve(root, process.env.EMOTIONTHINKER_DIST ?? 'dist') + '/').href;
const { prepareRavdess, cueFeatureIndices } = await import(dist + 'train/corpus.js');
const { DEFAULT_SFT_STEPS, DEFAULT_RL_STEPS } = await import(dist + 'train/trainer.js');
const { trainEnsemble, memberSeed, DEFAULT_ENSEMBLE_MEMBERS } = await import(dist + 'train/ensemble-train.js');
const { evaluatePolicy } = await import(dist + 'train/evaluate.js');
const { modelFile, saveModel } = await import(dist + 'inference/model.js');
const { FEATURE_VERSION } = await import(dist + 'inference/featurize.js');
const { perceptionOf } = await import(dist + 'train/confidence.js');
const { fitGenderClassifier } = await import(dist + 'train/gender-fit.js');
const { augmentTraining } = await import(dist + 'train/augment-corpus.js');
const { loadModel } = await import(dist + 'inference/model.js');
const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const seed = Number(arg('--seed', 1)) || 1;
const only = arg('--only', 'both');
// Perturbed copies per training clip for the default model (benchmarks/ser-robustness.mjs compares 0 and 4).
const AUGMENT_COPIES = Number(arg('--augment', 4));
// Channel copies per training clip for the session model (ser-robustness.mjs --session-augment 0|4:
// seed 1, telephone sessions 22.1 -> 51.7 %, white noise 10 dB 18.3 -> 55.8 %, clean 60.4 -> 60.0 %).
const SESSION_AUGMENT_COPIES = Number(arg('--session-augment', 4));
const MEMBERS = Number(arg('--members', DEFAULT_ENSEMBLE_MEMBERS));
const actors = Array.from({ length: 16 }, (_, i) => i + 1);
const cacheFile = path.resolve(root, arg('--cache', path.join('.cache', 'features.json')));
if (only === 'gender') {
  // Adds (or refits) the gender classifier of both bundled models without retraining their
  // policies: the default model's member-0 augmentation draw (copies and seed as above). Both
  // models standardise the features alike, so one fit serves both (checked per file).
  const corpus = await prepareRavdess(path.resolve(root, '../shared/data/ravdess'), { trainActors: actors, valActors: [], cacheFile });
  const data = (await augmentTraining(corpus, { copies: AUGMENT_COPIES, seed: memberSeed(seed, 0) })).train;
  // perceptionOf's classifier (src/train/gender-fit.ts) over the standardised features of the
  // training clips and their perturbed copies.
  const gender = fitGenderClassifier(data.x, data.clips.map((c) => c.gender), corpus.standardizer.mean.length);
  for (const kind of ['default', 'speaker']) {
    const out = path.join(root, 'models', `${kind}.json`);
    const file = loadModel(out).file;
    if (JSON.stringify(file.standardizer) !== JSON.stringify(corpus.standardizer)) throw new Error(`${out}: its standardiser is not the corpus's; retrain it (--only ${kind}) instead`);
    saveModel(out, { ...file, perception: { ...file.perception, gender } });
    console.log(`${out}: gender classifier over ${gender.info.clips} clips, ${gender.info.trainingErrors} training errors`);
  }
  process.exit(0);
}
const kinds = only === 'both' ? ['default', 'speaker'] : [only];
for (const kind of kinds) {
  const t0 = Date.now();
  const speaker = kind === 'speaker';
  const corpus = await prepareRavdess(path.resolve(root, '../shared/data/ravdess'), { trainActors: actors, valActors: [], cacheFile, speakerNormalization: speaker });
  const copies = speaker ? SESSION_AUGMENT_COPIES : AUGMENT_COPIES;
  const { policies, data: memberData, held } = await trainEnsemble(corpus, {
    members: MEMBERS,
    copies,
    seed,
    speakerNormalization: speaker,
    train: { mode: 'ptr', cueFeatures: cueFeatureIndices() },
    onProgress: (m) => console.log(`${kind}: ${m}`),
  });
  const data = memberData[0];
  const fit = evaluatePolicy(policies, corpus.train, corpus.associations);
  const out = path.join(root, 'models', `${kind}.json`);
  saveModel(out, modelFile(policies, {
    standardizer: corpus.standardizer,
    calibration: corpus.calibration,
    corpus: 'ravdess',
    associations: corpus.associations,
    perception: perceptionOf(corpus.effortCuts, data.x, corpus.standardizer.mean.length, held, corpus.speakerLevelSd, data.clips.map((c) => c.gender)),
    info: {
      data: 'RAVDESS speech, actors 01-16 (Livingstone & Russo 2018, CC BY-NC-SA 4.0)',
      clips: corpus.train.x.length,
      augmentedCopies: data.x.length - corpus.train.x.length,
      members: policies.length,
      memberSeeds: policies.map((_, k) => memberSeed(seed, k)),
      features: speaker ? 'per clip + z-scored within the speaker + the speaker levels z-scored within the speaker (speaker sessions)' : `per clip, gain-invariant, speech span (feature set ${FEATURE_VERSION})`,
      mode: 'ptr',
      seed,
      sftSteps: DEFAULT_SFT_STEPS,
      steps: DEFAULT_RL_STEPS,
      trainingAccuracy: fit.accuracy,
      trainingFactualShare: fit.factualShare,
      heldOutAccuracy: held.accuracy,
      heldOutEceBefore: held.eceBefore,
      heldOutEceAfter: held.eceAfter,
      temperature: held.temperature,
    },
  }));
  console.log(`wrote ${out} in ${((Date.now() - t0) / 1000).toFixed(1)} s: training accuracy ${fit.accuracy.toFixed(3)}, factual share ${fit.factualShare.toFixed(3)}; held-out folds: accuracy ${held.accuracy.toFixed(3)}, ECE ${held.eceBefore.toFixed(3)} -> ${held.eceAfter.toFixed(3)} at T ${held.temperature.toFixed(3)}`);
}
