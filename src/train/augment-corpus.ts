// Augmented copies of a prepared training split (issue #16): each training clip `copies` times
// under a random channel perturbation (augment.ts), featurised like any clip and appended with
// its own measured cue levels (the judge checks claims against what the perturbed input shows).
// The standardiser, calibration and effort cuts stay those of the clean clips. Deterministic for
// a seed: clip i's copy c draws from Rng(seed · 1,000,003 + i · 97 + c). For the speaker-session
// model (`speakerNormalization`) a copy is one channel per speaker: one perturbation drawn per
// speaker and copy, applied to every clip of that speaker (its noise or room drawn per clip), and
// the copy's features and levels z-scored within that speaker and channel, as a session over one phone line
// or one room sees them (trained on clean clips only, the session model had 17.9 % accuracy over
// the telephone).
import { loadAudio } from '../audio.js';
import { extractProsodyOwned } from '../prosody.js';
import { featuresFrom, policyInput, utteranceOf } from '../inference/featurize.js';
import { measuredCues, speakerNormalizedInputs, type PreparedCorpus } from './corpus.js';
import { SPEAKER_LEVEL_FEATURES, speakerLevelValues } from '../inference/speaker-levels.js';
import { applyPerturbation, DEFAULT_AUGMENT_KINDS, drawPerturbation, PERTURBATION_KINDS, type Perturbation, type PerturbationKind } from './augment.js';
import { invalidArg } from '../errors.js';
import { Rng } from './rng.js';

export interface AugmentOptions {
  /** Perturbed copies per training clip (default 2). */
  copies?: number;
  seed?: number;
  /** Clips mixed into babble (default 3). */
  talkers?: number;
  /**
   * The corpus was prepared with speakerNormalization (the session model): each copy perturbs all
   * of a speaker's clips with one channel, and its inputs get the within-speaker-and-channel z-scores.
   */
  speakerNormalization?: boolean;
  /**
   * The perturbation kinds drawn from (default DEFAULT_AUGMENT_KINDS, the bundled models' recipe:
   * gain, white, pink, babble, telephone, reverb). PERTURBATION_KINDS adds MP3 and Ogg Vorbis coding
   * and another microphone.
   */
  kinds?: readonly PerturbationKind[];
}

/** Returns a copy of corpus.train with the augmented clips appended (corpus.train is left as it is). */
export async function augmentTraining(corpus: PreparedCorpus, options: AugmentOptions = {}): Promise<{ train: PreparedCorpus['train']; perturbations: Perturbation[] }> {
  const copies = options.copies ?? 2, seed = options.seed ?? 1, talkers = options.talkers ?? 3;
  const kinds = options.kinds ?? DEFAULT_AUGMENT_KINDS;
  if (!Array.isArray(kinds) || kinds.length === 0 || kinds.some((k) => !PERTURBATION_KINDS.includes(k))) {
    throw invalidArg(`kinds must be a non-empty list of ${PERTURBATION_KINDS.join(', ')}; got ${JSON.stringify(options.kinds)}`);
  }
  const t = corpus.train;
  const audio = new Map<string, Float32Array>();
  const samplesOf = async (file: string) => {
    let s = audio.get(file);
    if (!s) audio.set(file, (s = (await loadAudio(file, { sampleRate: 16000, mono: true })).samples));
    return s;
  };
  for (const c of t.clips) await samplesOf(c.file);
  const out = { ...t, clips: [...t.clips], x: [...t.x], y: [...t.y], measured: [...t.measured] };
  const perturbations: Perturbation[] = [];
  const session = options.speakerNormalization === true;
  // Session copies: the channel of speaker `actor`'s copy c (the same draw for each of its clips).
  const channelOf = (actor: number, c: number) => drawPerturbation(new Rng(seed * 1_000_003 + 7_919 * (actor + 1) + 500_009 * (c + 1)), kinds);
  const groups: string[] = [], inputs: Float64Array[] = [], levels: (number | null)[][] = [];
  for (let i = 0; i < t.clips.length; i++) {
    const clip = t.clips[i];
    const clean = audio.get(clip.file)!;
    for (let c = 0; c < copies; c++) {
      const rng = new Rng(seed * 1_000_003 + i * 97 + c);
      const others = () => {
        const pool = t.clips.filter((o) => o.actor !== clip.actor);
        return Array.from({ length: talkers }, () => audio.get(pool[Math.floor(rng.next() * pool.length)].file)!);
      };
      const perturbation = session ? channelOf(clip.actor, c) : drawPerturbation(rng, kinds);
      const samples = await applyPerturbation(clean, perturbation, rng, others);
      const whole = await extractProsodyOwned(samples, 16000, 'augmented', { gender: clip.gender });
      // The same utterance (speech span) analysis as analyze().
      const utterance = await utteranceOf(whole, samples, { gender: clip.gender });
      const f = utterance.prosody.functionals;
      // A perturbation that leaves too little measurable speech is no training example.
      if (f.f0MedianHz === null || !f.syllableCount || (f.phonationTimeS ?? 0) < 0.2) continue;
      const features = await featuresFrom(utterance.prosody, utterance.samples, undefined, true);
      out.clips.push(clip);
      const x = policyInput(features, corpus.standardizer, clip.gender);
      if (session) inputs.push(x), groups.push(`${clip.actor}/${c}`), levels.push(speakerLevelValues(features, SPEAKER_LEVEL_FEATURES));
      else out.x.push(x);
      out.y.push(t.y[i]);
      out.measured.push(measuredCues(features, corpus.calibration, clip.gender, corpus.effortCuts));
      perturbations.push(perturbation);
    }
  }
  if (session) out.x.push(...speakerNormalizedInputs(inputs, levels, groups));
  return { train: out, perturbations };
}
