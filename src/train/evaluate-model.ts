// Evaluates a saved model on RAVDESS-layout clips, with the model's own standardiser and
// calibration (so the figures are those a user of the model would see).
import { loadRavdess } from './ravdess.js';
import { extractCorpusFeatures } from './corpus-features.js';
import { policyInput } from '../inference/featurize.js';
import { measuredCues } from './corpus.js';
import { defaultModel, membersOf, type EmotionModel } from '../inference/model.js';
import { evaluatePolicy, type EvalResult } from './evaluate.js';
import { EMOTIONS } from '../inference/vocab.js';
import { EmotionThinkerError } from '../errors.js';

/** The evaluation, `skipped` (how many entries were left out) and each left-out entry with its reason. */
/** The actor field of a RAVDESS-like name (the last two digits), or -1: a skipped file of another actor is not this evaluation's loss. */
function actorOf(file: string): number {
  const m = /-(\d\d)\.wav$/i.exec(file);
  return m ? Number(m[1]) : -1;
}

export async function evaluateModelOnRavdess(
  model: EmotionModel | undefined,
  dir: string,
  actors: number[],
  cacheFile?: string,
): Promise<EvalResult & { skipped: number; skippedEntries: { file: string; reason: string }[] }> {
  const m = model ?? defaultModel();
  const { clips, skipped } = loadRavdess(dir);
  const chosen = clips.filter((c) => actors.includes(c.actor));
  if (!chosen.length) throw new EmotionThinkerError('ERR_INVALID_ARG', `no clips of actors ${actors.join(',')}`, { input: dir });
  const { features, failed } = await extractCorpusFeatures(chosen.map((c) => c.file), { cacheFile });
  const usable = chosen.filter((c) => features.has(c.file));
  const data = {
    x: usable.map((c) => policyInput(features.get(c.file)!, m.file.standardizer, c.gender)),
    y: usable.map((c) => EMOTIONS.indexOf(c.emotion)),
    measured: usable.map((c) => measuredCues(features.get(c.file)!, m.file.calibration, c.gender, m.file.perception?.effortCuts)),
  };
  const skippedEntries = [...skipped.filter((s) => actors.includes(actorOf(s.file))), ...failed.map((f) => ({ file: f.file, reason: f.error }))];
  return { ...evaluatePolicy(membersOf(m), data, m.file.associations), skipped: skippedEntries.length, skippedEntries };
}
