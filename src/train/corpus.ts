// From a RAVDESS directory to training/validation data: features (cached), a speaker-independent
// split by actor, calibration and standardisation fitted on the training actors only, measured
// cue levels per clip, and the cue–emotion associations the judge uses.
import { assignLevels, calibrationSample, fitCalibration, type Calibration } from '../level-calibration.js';
import { FEATURE_NAMES, policyInput, type Standardizer, type UtteranceFeatures } from '../inference/featurize.js';
import { extractCorpusFeatures, fitStandardizer } from './corpus-features.js';
import type { Associations } from '../inference/judge.js';
import { fitAssociations } from './associations.js';
import { loadRavdess, type Clip } from './ravdess.js';
import type { TrainData } from './trainer.js';
import { EMOTIONS, type MeasuredCues } from '../inference/vocab.js';
import { levelOf } from '../inference/perception.js';
import { fitEffortCuts } from './perception-fit.js';
import { EmotionThinkerError, invalidArg } from '../errors.js';
import path from 'node:path';
import { indicesByGroup, levelSums, pooledWithinSd, SPEAKER_LEVEL_FEATURES, speakerLevelValues, speakerLevelZ } from '../inference/speaker-levels.js';

export interface PreparedCorpus {
  train: TrainData & { clips: Clip[] };
  val: TrainData & { clips: Clip[] };
  calibration: Calibration;
  /** Vocal effort cut points (energy claims), fitted on the training clips. */
  effortCuts: [number, number];
  standardizer: Standardizer;
  associations: Associations;
  /**
   * With speakerNormalization: the population's within-speaker sd of each speaker level
   * (SPEAKER_LEVEL_FEATURES, dB; pooled over the training speakers), which a session shrinks toward.
   */
  speakerLevelSd?: number[];
  skipped: { file: string; reason: string }[];
}

/**
 * Which policy inputs each claim head reads, by feature name: the statistics of its own cue.
 * The last input (gender) goes to pitch, whose cut points are per gender. Intonation reads the
 * contour descriptors its class is decided on (range, direction, turn depth, curvature, fit
 * gain, vertex, confidence) and nothing else, since the class is a function of them alone (it
 * used to read the whole-clip F0 spread and slope statistics too).
 */
export function cueFeatureIndices(): number[][] {
  const idx = (pred: (n: string) => boolean) => FEATURE_NAMES.flatMap((n, j) => (pred(n) ? [j] : []));
  const gender = FEATURE_NAMES.length;
  return [
    [...idx((n) => n.startsWith('f0') && !n.includes('Slope')), gender],
    // Energy: the level dynamics relative to the utterance and the spectral balance (the
    // gain-invariant correlates of vocal effort the energy level is measured from).
    idx((n) => n.startsWith('rms') || n.startsWith('intensity') && !n.startsWith('intonation') || EFFORT_INPUTS.includes(n)),
    idx((n) => /^(voiced|unvoiced|pause|speechRate|articulationRate|averageSyllable|phonation)/.test(n)),
    idx((n) => n.startsWith('intonation.')),
  ];
}

/** Spectral balance features the energy claim head reads besides the level dynamics. */
const EFFORT_INPUTS = ['vq.alphaRatioMean', 'vq.hammarbergMean', 'vq.slope0to500Mean', 'vq.slope500to1500Mean', 'vq.h1h2Mean'];

/**
 * A session model's inputs: each policy input, then its features z-scored within its group (a
 * group: the clips of one speaker over one channel; `group[i]` is clip i's), then the speaker
 * levels z-scored within the group (`levels[i]`: clip i's SPEAKER_LEVEL_FEATURES values).
 */
export function speakerNormalizedInputs(x: Float64Array[], levels: (number | null)[][], group: (number | string)[]): Float64Array[] {
  const withFeatures = withinGroupZScores(x, group);
  const K = SPEAKER_LEVEL_FEATURES.length;
  const sums = new Map<number | string, ReturnType<typeof levelSums>[]>();
  for (const [g, idx] of indicesByGroup(group)) sums.set(g, Array.from({ length: K }, (_, j) => levelSums(idx.map((i) => levels[i][j]))));
  return withFeatures.map((v, i) => {
    const o = new Float64Array(v.length + K);
    o.set(v);
    // The whole group is known in training: no prior (the session shrinks while it knows few).
    for (let j = 0; j < K; j++) o[v.length + j] = speakerLevelZ(levels[i][j], sums.get(group[i])![j], 1, 0);
    return o;
  });
}

/**
 * Each policy input with its features z-scored within its group appended (a group: the clips of
 * one speaker over one channel; `group[i]` is clip i's).
 */
export function withinGroupZScores(x: Float64Array[], group: (number | string)[]): Float64Array[] {
  const byGroup = indicesByGroup(group);
  const D = FEATURE_NAMES.length;
  const extra = x.map(() => new Float64Array(D));
  for (const idx of byGroup.values()) {
    for (let j = 0; j < D; j++) {
      let m = 0;
      for (const i of idx) m += x[i][j];
      m /= idx.length;
      let v = 0;
      for (const i of idx) v += (x[i][j] - m) ** 2;
      const sd = Math.sqrt(v / idx.length) || 1;
      for (const i of idx) extra[i][j] = (x[i][j] - m) / sd;
    }
  }
  return x.map((v, i) => {
    const o = new Float64Array(v.length + D);
    o.set(v);
    o.set(extra[i], v.length);
    return o;
  });
}

/**
 * The levels the judge checks claims against. With `effortCuts` (models of feature set 5 and later), the
 * energy level is the vocal effort (spectral balance, gain-invariant); without, the absolute RMS
 * level under the calibration (valid only for input at the training corpus' recording level).
 */
export function measuredCues(f: UtteranceFeatures, cal: Calibration, gender: 'male' | 'female' | null, effortCuts?: [number, number] | null): MeasuredCues {
  const levels = assignLevels({ functionals: f.functionals, gender: gender ? { value: gender, source: 'metadata' } : null }, cal, { corpus: 'ravdess', gender });
  const energy = effortCuts ? levelOf(f.effortDb, effortCuts) : levels.energy_level;
  return { pitch: levels.pitch_level, energy, speed: levels.speed_level, intonation: f.intonation };
}

export async function prepareRavdess(
  dir: string,
  options: {
    trainActors: number[];
    valActors: number[];
    cacheFile?: string;
    strict?: boolean;
    onProgress?: (d: number, t: number) => void;
    /**
     * Also give the policy every feature z-scored within its speaker (over all of that
     * speaker's clips, no labels used): the classic speaker normalisation of SER. It needs
     * several clips per speaker, so it suits corpus evaluation, not single-clip analysis.
     */
    speakerNormalization?: boolean;
  },
): Promise<PreparedCorpus> {
  // Checked before any file is read (undefined or '1-2' as trainActors were TypeErrors).
  if (typeof dir !== 'string' || dir === '') throw invalidArg('prepareRavdess: the directory must be a non-empty path string');
  if (!options || typeof options !== 'object') throw invalidArg('prepareRavdess: options { trainActors, valActors } are required');
  for (const k of ['trainActors', 'valActors'] as const) {
    const v = options[k];
    if (!Array.isArray(v) || !v.every((a) => Number.isInteger(a) && a >= 1 && a <= 24)) throw invalidArg(`prepareRavdess: options.${k} must be an array of actor numbers 1-24; got ${JSON.stringify(v)}`);
  }
  if (options.trainActors.length === 0) throw invalidArg('prepareRavdess: options.trainActors is empty');
  const shared = options.valActors.filter((a) => options.trainActors.includes(a));
  if (shared.length) throw invalidArg(`prepareRavdess: actors ${shared.join(', ')} are in both trainActors and valActors; validation must be on other speakers`);
  const { clips, skipped } = loadRavdess(dir, { strict: options.strict });
  const wanted = clips.filter((c) => options.trainActors.includes(c.actor) || options.valActors.includes(c.actor));
  const { features, failed } = await extractCorpusFeatures(wanted.map((c) => c.file), {
    cacheFile: options.cacheFile, strict: options.strict, onProgress: options.onProgress,
  });
  const usable = wanted.filter((c) => features.has(c.file));
  const trainClips = usable.filter((c) => options.trainActors.includes(c.actor));
  const valClips = usable.filter((c) => options.valActors.includes(c.actor));
  if (trainClips.length === 0) {
    // Said here, with the directory and why files were left out (it was "fitCalibration needs a non-empty array of samples").
    const why = [...skipped.map((x) => `${path.basename(x.file)}: ${x.reason}`), ...failed.map((f) => f.error)].slice(0, 3);
    throw new EmotionThinkerError(
      'ERR_INVALID_ARG',
      `no usable clip of training actors ${options.trainActors.join(',')} (RAVDESS names 03-01-EE-II-SS-RR-AA.wav, AA the actor)${why.length ? `; skipped: ${why.join('; ')}` : ''}`,
      { input: dir },
    );
  }
  const calibration = fitCalibration(
    trainClips.map((c) => calibrationSample({ functionals: features.get(c.file)!.functionals }, { corpus: 'ravdess', gender: c.gender })),
    { source: `RAVDESS actors ${options.trainActors.join(',')}` },
  );
  const standardizer = fitStandardizer(trainClips.map((c) => features.get(c.file)!.values));
  const effortCuts = fitEffortCuts(trainClips.map((c) => features.get(c.file)!.effortDb));
  const build = (cs: Clip[]) => ({
    clips: cs,
    cueFeatures: cueFeatureIndices(),
    x: cs.map((c) => policyInput(features.get(c.file)!, standardizer, c.gender)),
    y: cs.map((c) => EMOTIONS.indexOf(c.emotion)),
    levels: cs.map((c) => speakerLevelValues(features.get(c.file)!, SPEAKER_LEVEL_FEATURES)),
    measured: cs.map((c) => measuredCues(features.get(c.file)!, calibration, c.gender, effortCuts)),
  });
  const { levels: trainLevels, ...train } = build(trainClips);
  const { levels: valLevels, ...val } = build(valClips);
  let speakerLevelSd: number[] | undefined;
  if (options.speakerNormalization) {
    train.x = speakerNormalizedInputs(train.x, trainLevels, train.clips.map((c) => c.actor));
    val.x = speakerNormalizedInputs(val.x, valLevels, val.clips.map((c) => c.actor));
    speakerLevelSd = pooledWithinSd(trainLevels, train.clips.map((c) => c.actor), SPEAKER_LEVEL_FEATURES.length);
  }
  return {
    train,
    val,
    calibration,
    effortCuts,
    standardizer,
    ...(speakerLevelSd ? { speakerLevelSd } : {}),
    associations: fitAssociations(train.measured, train.y),
    skipped: [...skipped, ...failed.map((f) => ({ file: f.file, reason: f.error }))],
  };
}
