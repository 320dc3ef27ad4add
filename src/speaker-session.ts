// Speaker sessions (issue #16): explained emotion relative to one speaker's own voice. A session
// keeps running sums of the speaker's standardised features and of the three level cues, over
// the utterances that held enough evidence (silence, music and other out-of-range input are
// reported and left out). The session model (models/speaker.json) reads every feature twice:
// as it is and z-scored within the speaker — the per-speaker normalisation that lifts RAVDESS
// validation accuracy from about 50 to about 67 % — and the pitch/energy/speed claims are
// stated "for this speaker" against cut points from the speaker's baseline. While few
// utterances are known, the statistics are shrunk toward the population prior: means toward the
// training population's (0 in standardised units; the corpus cut points for the cues),
// variances toward the population's, with the weight of `priorStrength` utterances.
// The session model also reads the speaker's absolute levels relative to the speaker's own
// (src/inference/speaker-levels.ts): within one channel the recording gain is shared by every
// utterance, so "louder than this speaker's usual" does not follow the gain knob.
// Memory is bounded: sums of fixed size, whatever the number of utterances.
import path from 'node:path';
import { createHash } from 'node:crypto';
import pMap from 'p-map';
import { extractUtteranceFeatures, policyInput, type UtteranceFeatures } from './inference/featurize.js';
import { loadModel, modelOption, type EmotionModel } from './inference/model.js';
import { packageRoot } from './package-root.js';
import { analysisOf, corpusLevels, signalUncertainty, type AnalysisResult, type AnalyzeOptions, type CueLevel } from './analyze.js';
import { OUTLIER_Z, outlierShare, policyInputCount } from './inference/perception.js';
import { speakerLevelValues, speakerLevelZ, type LevelSums } from './inference/speaker-levels.js';
import { EmotionThinkerError, invalidArg } from './errors.js';
import { snapshotIfSmall } from './copy-off-loop.js';
import { checkSignal, throwIfAborted } from './abort.js';
import { arr, at, bad, field, jsonRoot, num, numArray, obj, str, type JsonAt } from './json-check.js';
import { checkGender, MEASURE_RANGES, type Gender } from './level-calibration.js';
import type { ProsodyResult } from './prosody.js';
import type { CutPointSource } from './verify/measure.js';
import { clipGender, speakerGender } from './clip-gender.js';
import type { GenderEstimate } from './inference/gender.js';

export const SPEAKER_MODEL_PATH = path.join(packageRoot, 'models', 'speaker.json');
/** Default weight of the population prior, in utterances. */
export const DEFAULT_PRIOR_STRENGTH = 4;
/** Tertile cut points of a normal distribution, in sd from the mean. */
const TERTILE_Z = 0.4307;
const SESSION_FORMAT = 'emotionthinker-speaker-session';

type LevelCue = 'pitch' | 'energy' | 'speed';
const LEVEL_CUES: readonly LevelCue[] = ['pitch', 'energy', 'speed'];

export interface SpeakerSessionOptions {
  /** Speaker label carried into results and the JSON (default 'speaker'). */
  id?: string;
  /** Session model path or loaded model (default: models/speaker.json, which has speaker inputs). */
  model?: string | EmotionModel;
  /** Speaker gender from metadata (otherwise the model's classifier over the speaker's utterances in the statistics; the F0 rule per clip for a model without one). */
  gender?: Gender;
  /** Weight of the population prior in utterances (default 4; 0: no shrinkage). */
  priorStrength?: number;
}

/** One cue's baseline for this speaker: what the "for this speaker" claims are relative to. */
export interface CueBaseline {
  /** The measurement, as in ClaimEvidence.measurement.name: f0MedianHz, effortDb, articulationRate. */
  measure: string;
  unit: string;
  /** Utterances with a value for this cue. */
  n: number;
  /** The speaker's shrunk mean and sd (null until the first utterance). */
  mean: number | null;
  sd: number | null;
  /** Cut points [low|normal, normal|high] for this speaker (corpus cuts until evidence accrues). */
  cuts: [number, number] | null;
}

export interface SpeakerBaseline {
  id: string;
  /** Utterances in the statistics (those with enough evidence). */
  utterances: number;
  /** Utterances left out (insufficient evidence, out of range, clipping, noise). */
  excluded: number;
  priorStrength: number;
  cues: Record<LevelCue, CueBaseline>;
}

export interface SpeakerAnalysisResult extends AnalysisResult {
  speaker: string;
  /** False when the clip was left out of the speaker's statistics (with the reason). */
  inBaseline: boolean;
  excludedReason: string | null;
  /**
   * The utterance's mean level (RMS, dB) against this speaker's mean over the session: "louder
   * than this speaker's usual", gain-invariant within one channel. Null before two utterances
   * are known or with a model without speaker levels.
   */
  levelVsSpeakerDb: number | null;
}

/** The serialised session (toJSON; restore with restoreSpeakerSession). */
export interface SpeakerSessionJSON {
  format: typeof SESSION_FORMAT;
  /** 2 since the speaker levels (version 1 has no `levels`; it restores under a model without them). */
  version: 2;
  id: string;
  /** Digest of the model's standardiser and feature set: the sums are in its units. */
  model: string;
  gender: Gender | null;
  priorStrength: number;
  utterances: number;
  excluded: number;
  sum: number[];
  sumSq: number[];
  cues: Record<LevelCue, { n: number; sum: number; sumSq: number }>;
  /** Sums of each of the model's speaker levels (perception.speakerLevels.names, in dB). */
  levels: LevelSums[];
}

let cachedSpeakerModel: EmotionModel | undefined;
function speakerModel(m: string | EmotionModel | undefined): EmotionModel {
  const model = modelOption(m, () => (cachedSpeakerModel ??= loadModel(SPEAKER_MODEL_PATH)));
  if (!model.file.perception?.speakerInputs) {
    throw invalidArg('the session model must be a speaker-session model (perception.speakerInputs: true, e.g. models/speaker.json)', typeof m === 'string' ? m : undefined);
  }
  return model;
}

export function modelDigest(model: EmotionModel): string {
  const f = model.file;
  // The speaker levels' names are in it (the sums follow them); a model without them keeps its digest.
  const levels = f.perception?.speakerLevels?.names;
  return createHash('sha256').update(JSON.stringify(levels ? [f.featureVersion, f.featureNames, f.standardizer, levels] : [f.featureVersion, f.featureNames, f.standardizer])).digest('hex').slice(0, 16);
}

/** The cue value a level is measured from (the same measures as single-clip claims; pitch in Hz). */
function cueValue(cue: LevelCue, f: UtteranceFeatures): number | null {
  const v = cue === 'pitch' ? f.functionals.f0MedianHz : cue === 'energy' ? f.effortDb : f.functionals.articulationRate;
  return v === null || v === undefined || !Number.isFinite(v) ? null : v;
}

/** Why a clip must not move the statistics, or null when it may. */
function exclusion(features: UtteranceFeatures, prosody: ProsodyResult, whole: ProsodyResult, model: EmotionModel): string | null {
  const f = prosody.functionals;
  if (f.f0MedianHz === null || !f.syllableCount || (f.phonationTimeS ?? 0) < 0.2) return 'insufficient evidence: too little voiced speech';
  const sig = signalUncertainty(whole);
  if (sig.length) return `insufficient evidence: ${sig.map((s) => s.detail).join('; ')}`;
  const p = model.file.perception!;
  // The share reads the standardised features only (not the gender slot after them).
  const x = policyInput(features, model.file.standardizer, null);
  const share = outlierShare(x, model.file.standardizer.mean.length, p.outlierZ ?? OUTLIER_Z);
  if (share > p.outlierShareLimit) return `out of range: ${(100 * share).toFixed(1)} % of the features beyond ±${p.outlierZ} sd of the training speech (not speech like the training clips?)`;
  return null;
}

interface Sums {
  n: number;
  sum: Float64Array;
  sumSq: Float64Array;
  cues: Record<LevelCue, { n: number; sum: number; sumSq: number }>;
  levels: LevelSums[];
}

const levelNames = (model: EmotionModel): string[] => model.file.perception?.speakerLevels?.names ?? [];
const emptyLevels = (model: EmotionModel): LevelSums[] => levelNames(model).map(() => ({ n: 0, sum: 0, sumSq: 0 }));
/** The speaker level that the energy evidence states loudness with (mean frame RMS level). */
const LOUDNESS_LEVEL = 'rmsMeanDbfs';
const emptyCues = () => ({ pitch: { n: 0, sum: 0, sumSq: 0 }, energy: { n: 0, sum: 0, sumSq: 0 }, speed: { n: 0, sum: 0, sumSq: 0 } });

export class SpeakerSession implements CutPointSource {
  readonly id: string;
  readonly priorStrength: number;
  readonly #model: EmotionModel;
  readonly #gender: Gender | null;
  #sums: Sums;
  #excluded = 0;

  /** Use createSpeakerSession / restoreSpeakerSession. */
  constructor(model: EmotionModel, options: { id: string; gender: Gender | null; priorStrength: number }, sums?: Sums, excluded = 0) {
    this.#model = model;
    this.id = options.id;
    this.#gender = options.gender;
    this.priorStrength = options.priorStrength;
    const F = model.file.standardizer.mean.length;
    this.#sums = sums ?? { n: 0, sum: new Float64Array(F), sumSq: new Float64Array(F), cues: emptyCues(), levels: emptyLevels(model) };
    this.#excluded = excluded;
  }

  /** Utterances in the statistics. */
  get utterances(): number {
    return this.#sums.n;
  }

  /**
   * Analyses one utterance of this speaker: adds it to the statistics when it holds enough
   * evidence, then explains it relative to the updated baseline. Any container, rate or layout.
   */
  async analyze(audio: string | Uint8Array, options: Pick<AnalyzeOptions, 'signal' | 'maxDuration'> = {}): Promise<SpeakerAnalysisResult> {
    if (options === null || typeof options !== 'object') throw invalidArg('options must be an object');
    const signal = checkSignal(options.signal, 'SpeakerSession.analyze');
    throwIfAborted(signal);
    const { features, prosody, whole } = await extractUtteranceFeatures(audio, { signal, maxDuration: options.maxDuration, gender: this.#gender ?? undefined });
    const reason = exclusion(features, prosody, whole, this.#model);
    // Added first: the clip counts toward the speaker's gender it is judged with.
    if (reason === null) addTo(this.#sums, features, this.#model);
    else this.#excluded++;
    return this.#explain(features, prosody, whole, this.#judged(features, prosody), reason);
  }

  /**
   * The gender a clip of this speaker is judged with: metadata; else the speaker's, from the
   * utterances in the statistics (speakerGender), so the clips of a session agree; before any
   * utterance is known (or with a model without a classifier), the clip's own.
   */
  #judged(features: UtteranceFeatures, prosody: ProsodyResult): GenderEstimate | null {
    return speakerGender(this.#gender, this.#sums.sum, this.#sums.n, this.#model) ?? clipGender(this.#gender, features.values, prosody.gender, this.#model);
  }

  /**
   * Explains a clip against the current statistics without adding it (used by analyzeSpeaker):
   * `prosody` is its utterance's analysis, `whole` the whole clip's (extractUtteranceFeatures).
   */
  explain(features: UtteranceFeatures, prosody: ProsodyResult, reason: string | null, whole: ProsodyResult = prosody): SpeakerAnalysisResult {
    return this.#explain(features, prosody, whole, this.#judged(features, prosody), reason);
  }

  #explain(features: UtteranceFeatures, prosody: ProsodyResult, whole: ProsodyResult, judged: GenderEstimate | null, reason: string | null): SpeakerAnalysisResult {
    const model = this.#model;
    const gender = judged?.value ?? null;
    const base = policyInput(features, model.file.standardizer, gender);
    const F = model.file.standardizer.mean.length;
    const x = new Float64Array(policyInputCount(F, model.file.perception));
    x.set(base);
    const { mean, sd } = this.#featureBaseline();
    for (let j = 0; j < F; j++) x[F + 1 + j] = (base[j] - mean[j]) / sd[j];
    const popSd = model.file.perception?.speakerLevels?.sd ?? [];
    speakerLevelValues(features, levelNames(model)).forEach((v, j) => (x[2 * F + 1 + j] = speakerLevelZ(v, this.#sums.levels[j], popSd[j], this.priorStrength)));
    const loudness = this.#loudness(features);
    const levels = this.#levels(features, gender, loudness);
    // The gender is decided here (context.gender), so analysisOf reads no options of its own.
    const r = analysisOf(features, prosody, model, {}, { x, levels, whole, gender: judged });
    return { ...r, speaker: this.id, inBaseline: reason === null, excludedReason: reason, levelVsSpeakerDb: loudness?.db ?? null };
  }

  /** The clip's mean level minus the speaker's mean (dB) over n utterances, once two are known. */
  #loudness(features: UtteranceFeatures): { db: number; n: number } | null {
    const s = this.#sums.levels[levelNames(this.#model).indexOf(LOUDNESS_LEVEL)];
    if (!s || s.n < 2) return null;
    const v = speakerLevelValues(features, [LOUDNESS_LEVEL])[0];
    return v === null ? null : { db: v - s.sum / s.n, n: s.n };
  }

  /** Shrunk per-feature mean and sd in standardised units (population prior: mean 0, sd 1). */
  #featureBaseline(): { mean: Float64Array; sd: Float64Array } {
    const { n, sum, sumSq } = this.#sums;
    const k = this.priorStrength;
    const mean = new Float64Array(sum.length), sd = new Float64Array(sum.length);
    for (let j = 0; j < sum.length; j++) {
      const m = n ? sum[j] / n : 0;
      const v = n ? Math.max(0, sumSq[j] / n - m * m) : 0;
      mean[j] = n + k > 0 ? (n * m) / (n + k) : 0;
      // Population variance 1 as the prior; a speaker's own spread once known. A zero spread
      // (one utterance, no prior) leaves the z-score at 0 rather than dividing by zero.
      const s = n + k > 0 ? Math.sqrt((n * v + k) / (n + k)) : 0;
      sd[j] = s > 1e-6 ? s : 1;
    }
    return { mean, sd };
  }

  /** Baseline of each level cue: the speaker's shrunk mean/sd and cut points. */
  baseline(): SpeakerBaseline {
    // The pitch prior's cut points are the speaker's gender's, as each clip's levels are (#levels).
    const corpus = corpusLevels(dummyFeatures(), this.#model, speakerGender(this.#gender, this.#sums.sum, this.#sums.n, this.#model)?.value ?? null, false);
    const out = {} as Record<LevelCue, CueBaseline>;
    for (const cue of LEVEL_CUES) out[cue] = this.#cueBaseline(cue, corpus[cue]);
    return { id: this.id, utterances: this.#sums.n, excluded: this.#excluded, priorStrength: this.priorStrength, cues: out };
  }

  #cueBaseline(cue: LevelCue, corpus: CueLevel): CueBaseline {
    const s = this.#sums.cues[cue];
    const k = this.priorStrength;
    const measure = corpus.measurement.name, unit = corpus.measurement.unit;
    if (s.n === 0) return { measure, unit, n: 0, mean: null, sd: null, cuts: corpus.cuts };
    const m = s.sum / s.n, v = Math.max(0, s.sumSq / s.n - m * m);
    const c = corpus.cuts;
    // Prior: the corpus' tertile cuts, read as a normal distribution (mean at their midpoint, sd
    // from their spread); the speaker's cuts are the same tertiles of the shrunk distribution.
    const pm = c ? (c[0] + c[1]) / 2 : m;
    const ps = c ? (c[1] - c[0]) / (2 * TERTILE_Z) : Math.sqrt(v);
    const w = s.n / (s.n + k);
    const mean = w * m + (1 - w) * pm;
    const sd = Math.sqrt(w * v + (1 - w) * ps * ps);
    return { measure, unit, n: s.n, mean, sd, cuts: sd > 0 ? [mean - TERTILE_Z * sd, mean + TERTILE_Z * sd] : c };
  }

  #levels(features: UtteranceFeatures, gender: Gender | null, loudness: { db: number; n: number } | null): Record<LevelCue, CueLevel> {
    const corpus = corpusLevels(features, this.#model, gender, false);
    const out = {} as Record<LevelCue, CueLevel>;
    for (const cue of LEVEL_CUES) {
      const b = this.#cueBaseline(cue, corpus[cue]);
      const value = cueValue(cue, features);
      const names = cue === 'speed' ? ['slow', 'normal', 'fast'] : ['low', 'normal', 'high'];
      const level = value === null || !b.cuts ? null : value < b.cuts[0] ? names[0] : value >= b.cuts[1] ? names[2] : names[1];
      const fmtv = (v: number) => (b.unit === 'Hz' ? `${Math.round(v)} ${b.unit}` : `${v.toFixed(1)} ${b.unit}`);
      out[cue] = {
        ...corpus[cue],
        level,
        cuts: b.cuts,
        relativeTo: b.n
          ? `this speaker (baseline ${b.mean !== null ? fmtv(b.mean) : '?'} over ${b.n} utterance${b.n === 1 ? '' : 's'}, shrunk toward the population with the weight of ${this.priorStrength})`
          : 'the population (no baseline for this speaker yet)',
        // The claim is stated from the speaker-relative level (the emotion is conditioned on it).
        force: b.n > 0,
        ...(cue === 'energy' && loudness !== null
          ? { also: `level ${Math.abs(loudness.db).toFixed(1)} dB ${loudness.db >= 0 ? 'above' : 'below'} this speaker's mean over ${loudness.n} utterances` }
          : {}),
      };
    }
    return out;
  }

  /**
   * CutPointSource (verifyReasoning's `session` option): this speaker's cut points for a cue once
   * an utterance has given it a value, in the units of measure(cue); null before (the verifier's
   * own cut points are used).
   */
  cutPoints(cue: LevelCue): [number, number] | null {
    if (!(LEVEL_CUES as readonly unknown[]).includes(cue)) return null;
    const b = this.baseline().cues[cue];
    return b.n > 0 && b.cuts ? [b.cuts[0], b.cuts[1]] : null;
  }

  /** CutPointSource: the measurement the cut points are in (f0MedianHz, effortDb, articulationRate). */
  measure(cue: LevelCue): string | null {
    return (LEVEL_CUES as readonly unknown[]).includes(cue) ? this.baseline().cues[cue].measure : null;
  }

  /** CutPointSource: shown as the cut points' source ("session <id>"). */
  get name(): string {
    return this.id;
  }

  toJSON(): SpeakerSessionJSON {
    const s = this.#sums;
    return {
      format: SESSION_FORMAT,
      version: 2,
      id: this.id,
      model: modelDigest(this.#model),
      gender: this.#gender,
      priorStrength: this.priorStrength,
      utterances: s.n,
      excluded: this.#excluded,
      sum: Array.from(s.sum),
      sumSq: Array.from(s.sumSq),
      cues: { pitch: { ...s.cues.pitch }, energy: { ...s.cues.energy }, speed: { ...s.cues.speed } },
      levels: s.levels.map((l) => ({ ...l })),
    };
  }

  /** @internal analyzeSpeaker's accumulation. */
  add(features: UtteranceFeatures): void {
    addTo(this.#sums, features, this.#model);
  }

  /** @internal */
  countExcluded(): void {
    this.#excluded++;
  }

  /** @internal */
  get model(): EmotionModel {
    return this.#model;
  }

  /** @internal */
  get gender(): Gender | null {
    return this.#gender;
  }
}

function addTo(s: Sums, features: UtteranceFeatures, model: EmotionModel): void {
  // The sums hold the standardised features (sum.length of them), not the gender slot after them.
  const x = policyInput(features, model.file.standardizer, null);
  s.n++;
  for (let j = 0; j < s.sum.length; j++) {
    s.sum[j] += x[j];
    s.sumSq[j] += x[j] * x[j];
  }
  for (const cue of LEVEL_CUES) {
    const v = cueValue(cue, features);
    if (v === null) continue;
    const c = s.cues[cue];
    c.n++, (c.sum += v), (c.sumSq += v * v);
  }
  speakerLevelValues(features, levelNames(model)).forEach((v, j) => {
    if (v === null) return;
    const l = s.levels[j];
    l.n++, (l.sum += v), (l.sumSq += v * v);
  });
}

function dummyFeatures(): UtteranceFeatures {
  return { values: [], functionals: {}, intonation: null, genderEstimate: null, caption: '', effortDb: null };
}

function sessionOptions(options: SpeakerSessionOptions | undefined): { id: string; gender: Gender | null; priorStrength: number } {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object') throw invalidArg('options must be an object');
  const id = options.id ?? 'speaker';
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw invalidArg(`options.id must be a non-empty string of at most 200 characters; got ${JSON.stringify(id)}`);
  const k = options.priorStrength ?? DEFAULT_PRIOR_STRENGTH;
  if (typeof k !== 'number' || !Number.isFinite(k) || k < 0 || k > 1e6) throw invalidArg(`options.priorStrength must be a number in [0, 1e6]; got ${String(k)}`);
  return { id, gender: checkGender(options.gender) ?? null, priorStrength: k };
}

/** A new, empty speaker session. */
export function createSpeakerSession(options?: SpeakerSessionOptions): SpeakerSession {
  const o = sessionOptions(options);
  return new SpeakerSession(speakerModel(options?.model), o);
}

/** One running sum `{ n, sum, sumSq }` of a saved session: n ≤ maxN utterances, |sum| and sumSq within `bound(n)`. */
/**
 * Sums of n values each within [lo, hi]: |sum| and sumSq within what such values allow, and
 * sum² ≤ n·sumSq (a variance is never negative). A tampered session could otherwise state a
 * baseline no voice has ("normal is -7 Hz to 79 Hz for this speaker").
 */
function checkSums(a: JsonAt, v: unknown, maxN: number, lo: number, hi: number): LevelSums {
  const o = obj(a, v, ['n', 'sum', 'sumSq']);
  const n = num(...field(a, o, 'n'), { integer: true, min: 0, max: maxN });
  const big = Math.max(Math.abs(lo), Math.abs(hi));
  const sum = num(...field(a, o, 'sum'), { min: lo * n - 1e-6, max: hi * n + 1e-6 });
  const sumSq = num(...field(a, o, 'sumSq'), { min: 0, max: big * big * n + 1e-6 });
  checkSpread(at(a, 'sumSq'), n, sum, sumSq);
  return { n, sum, sumSq };
}

/** sum² ≤ n·sumSq, up to rounding: otherwise the sums are not of any set of n values. */
function checkSpread(a: JsonAt, n: number, sum: number, sumSq: number): void {
  if (sum * sum > n * sumSq * (1 + 1e-9) + 1e-6) bad(a, sumSq, `at least sum²/n = ${(sum * sum) / Math.max(1, n)} (the sums of ${n} values)`);
}

/** The range of each level cue's value: F0 median (Hz), vocal effort (dB), articulation rate (syllables/s). */
const CUE_RANGE: Record<LevelCue, readonly [number, number]> = { pitch: MEASURE_RANGES.f0MedianHz, energy: [-200, 200], speed: MEASURE_RANGES.articulationRate };

/**
 * A session from its toJSON() (an object or JSON text). A malformed, tampered or foreign JSON is
 * ERR_MODEL_FORMAT naming the field; a session saved under another model is refused.
 */
export function restoreSpeakerSession(json: unknown, options: Pick<SpeakerSessionOptions, 'model'> = {}): SpeakerSession {
  const model = speakerModel(options?.model);
  const a: JsonAt = jsonRoot('speaker session', 'speaker session');
  let v = json;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch (err) {
      throw new EmotionThinkerError('ERR_MODEL_FORMAT', `speaker session: not JSON (${(err as Error).message})`, { cause: err });
    }
  }
  const o = obj(a, v, ['format', 'version', 'id', 'model', 'gender', 'priorStrength', 'utterances', 'excluded', 'sum', 'sumSq', 'cues', 'levels']);
  str(...field(a, o, 'format'), [SESSION_FORMAT]);
  const version = num(...field(a, o, 'version'), { integer: true, min: 1, max: 2 });
  const id = str(...field(a, o, 'id'));
  if (id.length === 0 || id.length > 200) bad(at(a, 'id'), id, 'a non-empty string of at most 200 characters');
  const digest = str(...field(a, o, 'model'));
  if (digest !== modelDigest(model)) bad(at(a, 'model'), digest, `${modelDigest(model)} (the session was saved under another model or feature set)`);
  const [ga, g] = field(a, o, 'gender');
  if (g !== null && g !== 'male' && g !== 'female') bad(ga, g, "'male', 'female' or null");
  const priorStrength = num(...field(a, o, 'priorStrength'), { min: 0, max: 1e6 });
  const n = num(...field(a, o, 'utterances'), { integer: true, min: 0, max: 1e12 });
  const excluded = num(...field(a, o, 'excluded'), { integer: true, min: 0, max: 1e12 });
  const F = model.file.standardizer.mean.length;
  // Standardised features are clamped to ±6, so |sum| ≤ 6n and sumSq ≤ 36n.
  const sum = numArray(...field(a, o, 'sum'), F, { min: -6 * n - 1e-6, max: 6 * n + 1e-6 });
  const sumSq = numArray(...field(a, o, 'sumSq'), F, { min: 0, max: 36 * n + 1e-6 });
  for (let j = 0; j < F; j++) checkSpread(at(at(a, 'sumSq'), j), n, sum[j], sumSq[j]);
  const ca = at(a, 'cues');
  const co = obj(ca, field(a, o, 'cues')[1], LEVEL_CUES);
  const cues = emptyCues();
  for (const cue of LEVEL_CUES) cues[cue] = checkSums(at(ca, cue), field(ca, co, cue)[1], n, ...CUE_RANGE[cue]);
  // Version 1 predates the speaker levels: it has none (and its digest only matches a model without them).
  const K = levelNames(model).length;
  const levels = emptyLevels(model);
  if (version === 1) {
    if (o.levels !== undefined) bad(at(a, 'levels'), o.levels, 'no levels in a version 1 session');
  } else {
    const [la, lv] = field(a, o, 'levels');
    const list = arr(la, lv, K);
    // Levels are dB of audio in [-1, 1]: far inside ±1000 dB.
    list.forEach((l, j) => (levels[j] = checkSums(at(la, j), l, n, -1000, 1000)));
  }
  return new SpeakerSession(model, { id, gender: g as Gender | null, priorStrength }, { n, sum: Float64Array.from(sum), sumSq: Float64Array.from(sumSq), cues, levels }, excluded);
}

/** Options of analyzeSpeaker. */
export interface SpeakerBatchOptions extends SpeakerSessionOptions, Pick<AnalyzeOptions, 'signal' | 'maxDuration'> {
  /**
   * Called for each clip that cannot be read or analysed (an unreadable file, an unsupported
   * format, over maxDuration). With it, that clip is left out of the statistics, its result is
   * null, and the others are analysed; without it, the first such clip rejects the whole batch.
   */
  onClipError?: (error: EmotionThinkerError, index: number) => void;
}

/**
 * Analyses clips known to be one speaker: statistics over the whole set (clips with enough
 * evidence), then each clip explained against them. Order-independent: the same clips in any
 * order give the same results (returned in the order given). `[]` is ERR_INVALID_ARG.
 */
export async function analyzeSpeaker(audios: (string | Uint8Array)[], options?: SpeakerBatchOptions & { onClipError?: undefined }): Promise<SpeakerAnalysisResult[]>;
export async function analyzeSpeaker(audios: (string | Uint8Array)[], options: SpeakerBatchOptions): Promise<(SpeakerAnalysisResult | null)[]>;
export async function analyzeSpeaker(audios: (string | Uint8Array)[], options: SpeakerBatchOptions = {}): Promise<(SpeakerAnalysisResult | null)[]> {
  if (!Array.isArray(audios) || audios.length === 0) throw invalidArg('analyzeSpeaker needs a non-empty array of clips (paths or file bytes) of one speaker');
  const o = sessionOptions(options);
  const signal = checkSignal(options.signal, 'analyzeSpeaker');
  const onClipError = options.onClipError;
  if (onClipError !== undefined && typeof onClipError !== 'function') throw invalidArg(`options.onClipError must be a function; got ${typeof onClipError}`);
  throwIfAborted(signal);
  const session = new SpeakerSession(speakerModel(options.model), o);
  // Clips are read two at a time, after awaits: a caller's bytes of at most 4 MiB are copied now
  // (README "Arrays and async calls"; a reused buffer was read as the caller's next clip).
  const clips = audios.map((a) => (a instanceof Uint8Array ? snapshotIfSmall(a) : a));
  // Two clips in flight: one decodes while the other is analysed.
  const items = await pMap(
    clips,
    async (audio, index) => {
      try {
        const { features, prosody, whole } = await extractUtteranceFeatures(audio, { signal, maxDuration: options.maxDuration, gender: o.gender ?? undefined });
        return { features, prosody, whole, reason: exclusion(features, prosody, whole, session.model), key: JSON.stringify(features.values) };
      } catch (err) {
        if (!onClipError || !(err instanceof EmotionThinkerError)) throw err;
        onClipError(err, index);
        return null;
      }
    },
    { concurrency: 2 },
  );
  // Sums in a canonical order (by the features themselves), so the floating-point result does
  // not depend on the order the clips were given in.
  const ok = items.flatMap((it) => (it ? [it] : []));
  ok.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const it of ok) {
    if (it.reason === null) session.add(it.features);
    else session.countExcluded();
  }
  return items.map((it) => (it ? session.explain(it.features, it.prosody, it.reason, it.whole) : null));
}
