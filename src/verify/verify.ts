// verifyReasoning: a speech LLM's free-text emotion explanation checked against what was measured
// in the clip — the answer mapped to a label, each prosodic claim with its verdict, the judge's
// four scores (SPEC §5) and the GRPO-PTR reward with SPEC §4's weights (from the native option
// table through ptrRewards; nothing here restates a weight).
import { checkSignal, throwIfAborted } from '../abort.js';
import { invalidArg } from '../errors.js';
import { ptrRewards } from '../grpo.js';
import { extractProsodyOwned, type ProsodyResult } from '../prosody.js';
import { corpusLevels } from '../analyze.js';
import { featuresFrom, utteranceOf } from '../inference/featurize.js';
import { clipGender } from '../clip-gender.js';
import { loadAudio, type LoadAudioOptions } from '../audio.js';
import { checkGender, type Calibration, type Gender } from '../level-calibration.js';
import { modelOption, type EmotionModel } from '../inference/model.js';
import { toScore, type Associations } from '../inference/judge.js';
import { CUES, EMOTIONS, isSalient } from '../inference/vocab.js';
import { checkVocabulary, mapAnswer, parseReasoningText, referenceLabel, type AnswerVocabulary } from './answer.js';
import { extractClaims, type ExtractedClaim } from './claims.js';
import { judgeClaim, measureCues, type CueMeasurements, type EffortBasis, type CutPointSource, type Measurement, type ProsodyMeasurements, type Verdict } from './measure.js';

/**
 * Longest response text accepted (characters): beyond it, ERR_INVALID_ARG. 256 Ki characters is
 * about 64k tokens, more than any speech LLM generates for one answer; it bounds the synchronous
 * text work of one response to about a quarter of a second on a slow core.
 */
export const MAX_RESPONSE_CHARS = 256 * 1024;

export interface VerifiedClaim extends ExtractedClaim {
  verdict: Verdict;
  measurement: Measurement | null;
  /**
   * [low|normal, normal|high] used for the level; for intonation the classifier's thresholds on the
   * contour number the claim is decided on (measurement.name: rangeSt, directionSt or turnDepthSt);
   * null for unknown cues.
   */
  cutPoints: [number, number] | null;
}

export interface ReasoningScores {
  /** Factual alignment, 1–5: share of verifiable claims the measurements support (3 when none is verifiable). */
  fa: number;
  /** Caption completeness, 1–5: share of the measurably salient cues the text mentions. */
  cc: number;
  /** Fluency and structure, 1–5: tags, an answer in the vocabulary, no self-contradiction. */
  fs: number;
  /** Interpretative quality, 1–5: how strongly the cited cue values point to the answer under the model's cue–emotion associations. */
  iq: number;
}

export interface ReasoningVerification {
  /** The raw answer (tags and Markdown stripped); null when none was found. */
  answer: string | null;
  /** The answer mapped onto the vocabulary; null when unknown or ambiguous. */
  label: string | null;
  claims: VerifiedClaim[];
  scores: ReasoningScores;
  /** α_f·R_format + α_o·R_outcome + α_t·R_t (SPEC §4, a group of one so τ = 1); the outcome term is 0 without options.emotion. */
  reward: number;
}

export interface VerifyOptions extends Pick<LoadAudioOptions, 'maxDuration'> {
  /** The reference emotion: turns on the outcome term of the reward. */
  emotion?: string;
  /** Answer vocabulary, label → forms (default DEFAULT_ANSWER_VOCABULARY). */
  vocabulary?: AnswerVocabulary;
  /** Level cut points (default: the model's calibration). */
  calibration?: Calibration;
  /** Calibration group (default: the model's corpus when the model's calibration is used). */
  corpus?: string;
  /**
   * Speaker-relative cut points (a SpeakerSession, or any CutPointSource); cues it has no cuts
   * for use the calibration (energy: the vocal effort's cut points).
   */
  session?: CutPointSource;
  /**
   * Same meaning as analyze's: the input's level is calibrated to the training corpus' recording
   * level, so energy claims are judged by the absolute RMS level (rmsMeanDbfs) under the
   * calibration. Default false: by the vocal effort (effortDb, the spectral balance), which the
   * recording's gain does not move. A prosody analysis given without the audio has no effort
   * measurement and is always judged by the absolute level (its source says so).
   */
  levelCalibrated?: boolean;
  /** Speaker gender from metadata (pitch cut points are per gender). */
  gender?: Gender;
  /** The model whose cue–emotion associations IQ uses (path or loaded; default the bundled model). */
  model?: string | EmotionModel;
  signal?: AbortSignal;
}

/** The keys of VerifyOptions (a Record over keyof, so the compiler keeps the list whole); an unknown key is a mistake. */
const VERIFY_OPTION_KEYS: ReadonlySet<string> = new Set(
  Object.keys({ emotion: 1, vocabulary: 1, calibration: 1, corpus: 1, session: 1, levelCalibrated: 1, gender: 1, model: 1, signal: 1, maxDuration: 1 } satisfies Record<keyof VerifyOptions, 1>),
);

/** The parts of a verification the reward server also reports. */
export interface ScoredResponse {
  result: ReasoningVerification;
  /** Format reward: exactly <think>…</think><answer>…</answer> with an answer in the vocabulary. */
  format: number;
  /** Outcome: 1 when the label equals the reference emotion, 0 otherwise (0 without one). */
  correct: number;
}

/** Resolved options that do not change between the responses of one clip. */
export interface ScoringContext {
  vocabulary: AnswerVocabulary;
  associations: Associations;
  measured: CueMeasurements;
}

function isProsody(x: unknown): x is ProsodyMeasurements {
  return typeof x === 'object' && x !== null && !(x instanceof Uint8Array) && typeof (x as ProsodyResult).functionals === 'object' && typeof (x as ProsodyResult).intonation === 'object';
}

/**
 * What measureAudio computes, for caches of its results (the reward server keys its cache on
 * this and the audio's content): change it whenever the measurement changes. Version 2 added the
 * vocal effort that energy claims are judged by (issue #16's gain-invariant energy); version 3
 * measures the utterance (the speech span, featurize.ts utteranceOf) as analyze does; version 4
 * gives the speaker's gender as analyze judges it (the model's estimate from the features).
 */
export const MEASUREMENT_KIND = 'prosody+effortDb+modelGender/4';

/**
 * Decodes a clip and measures what verification needs of it (16 kHz mono): the prosody of its
 * utterance (the speech span, as analyze measures it), its vocal effort (effortDb, computed as
 * analyze's features compute it) and the speaker's gender as analyze judges it with
 * `options.model` (default the bundled model: its estimate from the features, src/clip-gender.ts;
 * pitch cut points are per gender).
 */
export async function measureAudio(audio: string | Uint8Array, options: Pick<VerifyOptions, 'maxDuration' | 'signal' | 'model'> = {}): Promise<ProsodyMeasurements> {
  const model = modelOption(options.model);
  const decoded = await loadAudio(audio, { sampleRate: 16000, mono: true, signal: options.signal, maxDuration: options.maxDuration });
  const whole = await extractProsodyOwned(decoded.samples, 16000, typeof audio === 'string' ? audio : 'audio', { signal: options.signal });
  // The utterance (speech span) that analyze's claims describe.
  const u = await utteranceOf(whole, decoded.samples, { signal: options.signal });
  const p = u.prosody;
  const f = await featuresFrom(p, u.samples, options.signal, true);
  return { functionals: p.functionals, intonation: p.intonation, gender: clipGender(null, f.values, p.gender, model), effortDb: f.effortDb };
}

/** The context for scoring responses about one clip. */
export function scoringContext(prosody: ProsodyMeasurements, options: Omit<VerifyOptions, 'signal' | 'maxDuration' | 'emotion'> = {}): ScoringContext {
  const model = modelOption(options.model);
  const calibration = options.calibration ?? model.file.calibration;
  const corpus = options.corpus ?? (options.calibration ? undefined : model.file.corpus);
  if (options.session !== undefined && (typeof options.session !== 'object' || options.session === null || typeof options.session.cutPoints !== 'function')) {
    throw invalidArg('options.session must be an object with a cutPoints(cue) method');
  }
  if (options.levelCalibrated !== undefined && typeof options.levelCalibrated !== 'boolean') throw invalidArg(`options.levelCalibrated must be a boolean; got ${typeof options.levelCalibrated}`);
  const gender = checkGender(options.gender) ?? null;
  // Energy as analyze judges it: the vocal effort against the model's effort cut points (its
  // corpusLevels), unless the level is declared calibrated or there is no effort measurement.
  let effort: EffortBasis | undefined;
  if (options.levelCalibrated !== true && prosody.effortDb !== undefined) {
    const e = corpusLevels({ functionals: prosody.functionals, effortDb: prosody.effortDb }, model, gender ?? prosody.gender?.value ?? null, false).energy;
    if (e.measurement.name === 'effortDb') effort = { value: e.measurement.value, cuts: e.cuts, relativeTo: e.relativeTo };
  }
  return {
    vocabulary: checkVocabulary(options.vocabulary),
    associations: model.file.associations,
    measured: measureCues(prosody, { calibration, corpus, gender, session: options.session, effort, levelCalibrated: options.levelCalibrated === true }),
  };
}

const key = (c: ExtractedClaim) => `${c.cue}\u0000${c.value}\u0000${c.negated}`;

/**
 * What a response says, independent of any clip: its answer, label and extracted claims. The
 * reward server keeps these per text (a text met again, about any clip, is not read again); treat
 * it as read-only.
 */
export interface ReadResponse {
  answer: string | null;
  label: string | null;
  /** Exactly <think>…</think><answer>…</answer>. */
  strict: boolean;
  /** An <answer> tag is present. */
  answerTag: boolean;
  claims: readonly ExtractedClaim[];
}

/** Reads a response (parse, answer → label under `vocabulary`, claim extraction): the text work of scoreResponse. */
export function readResponse(text: string, vocabulary: AnswerVocabulary): ReadResponse {
  if (typeof text !== 'string') throw invalidArg(`text must be a string; got ${text === null ? 'null' : typeof text}`);
  if (text.length > MAX_RESPONSE_CHARS) throw invalidArg(`text is ${text.length} characters; at most ${MAX_RESPONSE_CHARS} are accepted`);
  const parsed = parseReasoningText(text);
  return {
    answer: parsed.answer,
    label: mapAnswer(parsed.answer, vocabulary),
    strict: parsed.strict,
    answerTag: /<\s*answer\s*>/i.test(text),
    claims: extractClaims(text, parsed.thinkStart, parsed.thinkStart + parsed.think.length),
  };
}

/** Scores one response (synchronous: text work only, the prosody is in `ctx`); `withReward` false leaves `reward` NaN for a caller that computes rewards for many at once. */
export function scoreResponse(ctx: ScoringContext, text: string, emotion?: string, withReward = true): ScoredResponse {
  return scoreRead(ctx, readResponse(text, ctx.vocabulary), emotion, withReward);
}

/** scoreResponse on a response already read (with `ctx.vocabulary`). */
export function scoreRead(ctx: ScoringContext, read: ReadResponse, emotion?: string, withReward = true): ScoredResponse {
  const label = read.label;
  const reference = emotion === undefined ? undefined : referenceLabel(emotion, ctx.vocabulary);
  const claims: VerifiedClaim[] = read.claims.map((c) => {
    const j = judgeClaim(c, ctx.measured);
    return { cue: c.cue, value: c.value, negated: c.negated, span: c.span, sentence: c.sentence, verdict: j.verdict, measurement: j.measurement, cutPoints: j.cutPoints };
  });

  // Each distinct claim counts once, however often it is restated.
  const distinct = new Map<string, VerifiedClaim>();
  for (const c of claims) if (!distinct.has(key(c))) distinct.set(key(c), c);
  const uniq = [...distinct.values()];
  const verifiable = uniq.filter((c) => c.verdict !== 'unverifiable');
  const supported = verifiable.filter((c) => c.verdict === 'supported').length;
  const fa = toScore(verifiable.length ? supported / verifiable.length : 0.5);

  let salient = 0;
  let covered = 0;
  for (const cue of CUES) {
    if (!isSalient(cue, ctx.measured.cues[cue].level)) continue;
    salient++;
    if (uniq.some((c) => c.cue === cue)) covered++;
  }
  const cc = toScore(salient ? covered / salient : 1);

  // IQ over the positive claims of the four cues (a negation names no level to associate).
  const e = label === null ? -1 : (EMOTIONS as readonly string[]).indexOf(label);
  let support = 0;
  let cited = 0;
  for (const c of uniq) {
    if (c.negated || !(CUES as readonly string[]).includes(c.cue)) continue;
    const p = ctx.associations[c.cue as (typeof CUES)[number]][c.value];
    if (!p) continue;
    cited++;
    if (e >= 0) support += p[e] / Math.max(...p);
  }
  const iq = toScore(cited ? support / cited : 0);

  // FS: 5 for the exact form, 4 for tags with stray text, 3 for an answer found without tags, 1 for
  // no answer; −1 for an answer outside the vocabulary and −1 for a self-contradiction (one cue
  // given two values, or a value and its negation); at most 3 without any cue claim (the judge's
  // well-formed but empty response).
  const cueClaims = uniq.filter((c) => (CUES as readonly string[]).includes(c.cue));
  const contradiction = cueClaims.some((a, i) => cueClaims.some((b, j) => j > i && a.cue === b.cue && (a.negated === b.negated ? !a.negated && a.value !== b.value : a.value === b.value)));
  let fs = read.answer === null ? 1 : read.strict ? 5 : read.answerTag ? 4 : 3;
  if (read.answer !== null) {
    if (label === null) fs -= 1;
    if (contradiction) fs -= 1;
    if (cueClaims.length === 0) fs = Math.min(fs, 3);
  }
  fs = Math.max(1, fs);

  const format = read.strict && label !== null ? 1 : 0;
  const correct = reference !== undefined && label !== null && label === reference ? 1 : 0;
  const scores: ReasoningScores = { fa, cc, fs, iq };
  const result = { answer: read.answer, label, claims, scores, reward: NaN };
  if (withReward) result.reward = singleRewards([{ result, format, correct }])[0];
  return { result, format, correct };
}

/**
 * The reward of each response on its own (a group of one: τ = 1, reasoning term on), in one
 * native call; the weights are the native option table's (SPEC §4).
 */
export function singleRewards(scored: readonly ScoredResponse[]): Float64Array {
  const judge = new Float64Array(scored.length * 4);
  scored.forEach((s, i) => judge.set([s.result.scores.fa, s.result.scores.iq, s.result.scores.cc, s.result.scores.fs], i * 4));
  return ptrRewards({ correct: scored.map((s) => s.correct), format: scored.map((s) => s.format), judgeScores: judge, groups: 1 }, { reasoningEnabled: true }).reward;
}

/**
 * Verifies a free-text emotion explanation against a clip: `input` is an audio file path, its
 * bytes, or a prosody analysis (extractProsody's result). Text in another language, or with no
 * prosodic claims, gives no claims and FA 3; an answer outside the vocabulary gives label null.
 */
export async function verifyReasoning(input: string | Uint8Array | ProsodyMeasurements, text: string, options: VerifyOptions = {}): Promise<ReasoningVerification> {
  if (options === null || typeof options !== 'object') throw invalidArg('options must be an object');
  // A misspelt option ("emotoin") silently turned the outcome term off.
  for (const k of Object.keys(options)) if (!VERIFY_OPTION_KEYS.has(k)) throw invalidArg(`verifyReasoning: unknown option "${k}"; expected one of ${[...VERIFY_OPTION_KEYS].join(', ')}`);
  const signal = checkSignal(options.signal, 'verifyReasoning');
  throwIfAborted(signal);
  if (typeof text !== 'string') throw invalidArg(`verifyReasoning: text must be a string; got ${text === null ? 'null' : typeof text}`);
  if (options.emotion !== undefined && typeof options.emotion !== 'string') throw invalidArg('verifyReasoning: options.emotion must be a string');
  let prosody: ProsodyMeasurements;
  if (typeof input === 'string' || input instanceof Uint8Array) prosody = await measureAudio(input, options);
  else if (isProsody(input)) {
    const e = (input as { effortDb?: unknown }).effortDb;
    if (e !== undefined && e !== null && typeof e !== 'number') throw invalidArg(`verifyReasoning: input.effortDb must be a number or null; got ${typeof e}`);
    prosody = input;
  }
  else throw invalidArg('verifyReasoning: input must be an audio path, audio bytes (Uint8Array) or a prosody result with functionals and intonation');
  throwIfAborted(signal);
  return scoreResponse(scoringContext(prosody, options), text, options.emotion).result;
}
