// Trains an ensemble (src/inference/ensemble.ts): K policies of one shape on one prepared corpus,
// member k with its own seed for both the initialisation and the augmentation draw, so the
// members differ in what they heard as well as where they started. Member 0 is the single-model
// recipe at `seed`, so K = 1 reproduces it exactly. Optionally fits the probability temperature
// of the whole ensemble on held-out folds of the training speakers (confidence.ts).
// Why a per-member augmentation draw: over a leave-speakers-out CV of RAVDESS actors 01–16,
// three members with their own draws reached 60.2 % against 59.3 % for three members that shared
// one draw (single members 58.0 %; docs/robust-emotion.md).
import type { Policy } from '../inference/policy.js';
import { MAX_ENSEMBLE_MEMBERS } from '../inference/ensemble.js';
import { augmentTraining } from './augment-corpus.js';
import type { PerturbationKind } from './augment.js';
import { heldOutTemperature, type HeldOutFit, type HeldOutMember } from './confidence.js';
import type { PreparedCorpus } from './corpus.js';
import { train, type TrainData, type TrainOptions } from './trainer.js';
import { invalidArg } from '../errors.js';
import { DEFAULT_ENSEMBLE_MEMBERS, heldOutFoldsFor, memberSeed } from './ensemble-recipe.js';

export { DEFAULT_ENSEMBLE_MEMBERS, HELD_OUT_FOLDS, memberSeed } from './ensemble-recipe.js';

export interface EnsembleTrainOptions {
  /** Members (default DEFAULT_ENSEMBLE_MEMBERS). */
  members?: number;
  /** Augmented copies per training clip (augment-corpus.ts); 0: the clean clips only. */
  copies: number;
  seed: number;
  /** The corpus was prepared with speakerNormalization (the session model). */
  speakerNormalization?: boolean;
  kinds?: readonly PerturbationKind[];
  /** Training options other than data, associations and seed. */
  train: Omit<TrainOptions, 'data' | 'associations' | 'seed'>;
  /** Held-out speaker folds for the temperature (default HELD_OUT_FOLDS of the model kind: 4 single-clip, 6 session); 0: no fit. */
  heldOutFolds?: number;
  onProgress?: (message: string) => void;
}

export interface TrainedEnsemble {
  policies: Policy[];
  /** Each member's training set (clean clips, then its augmented copies). */
  data: (TrainData & { clips: PreparedCorpus['train']['clips'] })[];
  /** The held-out temperature fit, or null when heldOutFolds is 0. */
  held: HeldOutFit | null;
}

export async function trainEnsemble(corpus: PreparedCorpus, options: EnsembleTrainOptions): Promise<TrainedEnsemble> {
  const K = options.members ?? DEFAULT_ENSEMBLE_MEMBERS;
  if (!Number.isInteger(K) || K < 1 || K > MAX_ENSEMBLE_MEMBERS) throw invalidArg(`members must be an integer from 1 to ${MAX_ENSEMBLE_MEMBERS}; got ${JSON.stringify(options.members)}`);
  const folds = options.heldOutFolds ?? heldOutFoldsFor(options.speakerNormalization);
  const members: HeldOutMember[] = [];
  const data: TrainedEnsemble['data'] = [];
  const policies: Policy[] = [];
  for (let k = 0; k < K; k++) {
    const seed = memberSeed(options.seed, k);
    const d = options.copies
      ? (await augmentTraining(corpus, { copies: options.copies, seed, speakerNormalization: options.speakerNormalization, kinds: options.kinds })).train
      : corpus.train;
    data.push(d);
    members.push({ data: d, speakers: d.clips.map((c) => c.actor), options: { ...options.train, seed } });
    policies.push(train({ ...options.train, seed, data: d, associations: corpus.associations }).policy);
    options.onProgress?.(`member ${k + 1}/${K} trained (seed ${seed})`);
  }
  const held = folds > 0 ? heldOutTemperature(members, folds, (f) => options.onProgress?.(`held-out fold ${f + 1}/${folds} done`)) : null;
  return { policies, data, held };
}
