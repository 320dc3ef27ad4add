// analyze(audio): the package's main job. Prosody and spectral features from the native core,
// then the reasoning policy's claims (each with its evidence: the measured value, its level and
// the cut points) and the emotion, rendered as <think>…</think><answer>…</answer>.
import { extractUtteranceFeatures, policyInput, utteranceFeatures, type UtteranceFeatures } from './inference/featurize.js';
import { OUTLIER_QUANTILE, outlierShare, temperatureScale } from './inference/perception.js';
import { membersOf, modelOption, type EmotionModel } from './inference/model.js';
import { decodeEnsemble } from './inference/ensemble.js';
import { renderResponse, type Evidence } from './inference/render.js';
import { CLAIM_VALUES, CUES, EMOTIONS, TOKENS, type Cue } from './inference/vocab.js';
import { checkGender, type Gender } from './level-calibration.js';
import { extractProsodyOwned, type ProsodyResult } from './prosody.js';
import type { LoadAudioOptions } from './audio.js';
import { invalidArg } from './errors.js';
import { checkSignal, throwIfAborted } from './abort.js';
import { clipGender, withGender } from './clip-gender.js';
import { prosodyCaption, type CaptionInput } from './prosody-caption.js';
import type { GenderEstimate } from './inference/gender.js';

export interface ClaimEvidence {
  cue: Cue;
  /** What the model says about the cue. */
  claim: string;
  /** What was measured: the level, or null when it could not be measured. */
  measuredLevel: string | null;
  /**
   * The measurement behind the level, e.g. { name: 'f0MedianHz', value: 231.6, unit: 'Hz' }. For
   * energy it is the vocal effort (effortDb: spectral balance, independent of the recording
   * level) unless the input is declared level-calibrated or a speaker baseline is known.
   */
  measurement: { name: string; value: number | null; unit: string } | null;
  /** Level boundaries [low|normal, normal|high] for the speaker's group, when the cue has them. */
  cutPoints: [number, number] | null;
  /** What the level is relative to, e.g. "the training corpus, female voices" or "this speaker's baseline over 12 utterances". */
  relativeTo: string | null;
  agrees: boolean;
}

/** Why an answer is flagged uncertain (several may apply). */
export type UncertaintyReason = 'little-voiced-speech' | 'low-snr' | 'clipping' | 'out-of-range' | 'weak-evidence';

export interface AnalysisResult {
  /** The answer; null when the clip holds too little speech to judge. */
  emotion: string | null;
  /** Calibrated probabilities (temperature scaling fitted on held-out training folds). */
  probabilities: Record<string, number>;
  /** `<think>…</think><answer>…</answer>` with the evidence in the reasoning. */
  reasoning: string;
  claims: ClaimEvidence[];
  insufficientEvidence: boolean;
  /**
   * True when the answer should not be trusted: the evidence is weak or the input lies outside
   * what the model learnt. The probabilities and claims are still given.
   */
  uncertain: boolean;
  /** Why it is uncertain, each with a sentence naming the measured value; empty when not. */
  uncertainty: { reason: UncertaintyReason; detail: string }[];
  prosody: Pick<ProsodyResult, 'functionals' | 'intonation' | 'gender' | 'caption' | 'duration'>;
}

export interface AnalyzeOptions extends Pick<LoadAudioOptions, 'maxDuration'> {
  /** A model file path or a loaded model; default: the bundled model. */
  model?: string | EmotionModel;
  /** Speaker gender from metadata (otherwise the model's gender classifier estimates it; a model without one, the F0 rule). */
  gender?: Gender;
  /**
   * The input's level is calibrated to the training corpus' recording level (same microphone
   * chain and gain), so absolute RMS dBFS may be read as loudness: energy claims then come from
   * the level under the model's calibration. Default false: energy claims come from the vocal
   * effort (spectral balance), which a change of gain does not move.
   */
  levelCalibrated?: boolean;
  /** Aborts the call: it rejects with an AbortError and the native work stops at its next chunk. */
  signal?: AbortSignal;
}

type LevelCue = Exclude<Cue, 'intonation'>;

/** A cue's level as the claims are checked against it. */
export interface CueLevel {
  level: string | null;
  measurement: { name: string; value: number | null; unit: string };
  cuts: [number, number] | null;
  relativeTo: string;
  /** Words before the value in the reasoning, e.g. "vocal effort from the spectral balance". */
  describe?: string;
  /** Evidence stated after the cut points, e.g. a session's level against the speaker's usual. */
  also?: string;
  /** The claim is stated from this level (the emotion is conditioned on it) instead of decoded. */
  force?: boolean;
}

/** Uncertainty thresholds: one owner. */
export const UNCERTAINTY_LIMITS = {
  /** Less voiced speech than this (s) is weak evidence. */
  minVoicedSeconds: 0.6,
  /** Frame level spread (95th − 10th percentile, dB) under this suggests noise near the speech level. */
  minSnrDb: 15,
  /** Share of clipped samples above this. */
  maxClippedRatio: 1e-3,
  /** Top calibrated probability under this. */
  minTopProbability: 0.35,
} as const;

function corpusCutPoints(model: EmotionModel, cue: LevelCue, gender: Gender | null): [number, number] | null {
  const cal = model.file.calibration;
  const group = (Object.hasOwn(cal.corpora, model.file.corpus) ? cal.corpora[model.file.corpus] : undefined) ?? cal.pooled;
  if (cue === 'pitch') {
    const byG = gender ? group.pitchByGender[gender]?.cuts ?? cal.pooled.pitchByGender[gender]?.cuts : null;
    return byG ?? group.pitch ?? cal.pooled.pitch;
  }
  return group[cue] ?? cal.pooled[cue];
}

const levelOf = (cue: LevelCue, v: number | null, cuts: [number, number] | null): string | null =>
  v === null || !Number.isFinite(v) || !cuts ? null : v < cuts[0] ? CLAIM_VALUES[cue][1] : v >= cuts[1] ? CLAIM_VALUES[cue][3] : CLAIM_VALUES[cue][2];

/** The levels a single clip is judged by: the model's corpus cut points (energy: vocal effort). */
export function corpusLevels(features: Pick<UtteranceFeatures, 'functionals' | 'effortDb'>, model: EmotionModel, gender: Gender | null, levelCalibrated = false): Record<LevelCue, CueLevel> {
  const f = features.functionals;
  const corpus = `the training corpus (${model.file.corpus})`;
  const cuts = (cue: LevelCue) => corpusCutPoints(model, cue, gender);
  const pitchCuts = cuts('pitch'), speedCuts = cuts('speed');
  const pitch: CueLevel = {
    level: levelOf('pitch', f.f0MedianHz ?? null, pitchCuts), measurement: { name: 'f0MedianHz', value: f.f0MedianHz ?? null, unit: 'Hz' },
    cuts: pitchCuts, relativeTo: gender ? `${corpus}, ${gender} voices` : corpus,
  };
  const speed: CueLevel = {
    level: levelOf('speed', f.articulationRate ?? null, speedCuts), measurement: { name: 'articulationRate', value: f.articulationRate ?? null, unit: 'syllables/s' },
    cuts: speedCuts, relativeTo: corpus,
  };
  const effort = model.file.perception?.effortCuts ?? null;
  let energy: CueLevel;
  if (levelCalibrated || !effort) {
    const c = cuts('energy');
    energy = {
      level: levelOf('energy', f.rmsMeanDbfs ?? null, c), measurement: { name: 'rmsMeanDbfs', value: f.rmsMeanDbfs ?? null, unit: 'dBFS' }, cuts: c,
      relativeTo: levelCalibrated ? `${corpus}'s recording level (input declared level-calibrated)` : `${corpus}'s recording level (absolute level: depends on the recording's gain)`,
      describe: 'level', force: levelCalibrated && !!effort,
    };
  } else {
    energy = {
      level: levelOf('energy', features.effortDb, effort), measurement: { name: 'effortDb', value: features.effortDb, unit: 'dB' }, cuts: effort,
      relativeTo: `${corpus}; spectral balance, independent of the recording's gain`,
      describe: 'vocal effort from the spectral balance, 1–5 kHz re 50–1000 Hz,',
    };
  }
  return { pitch, energy, speed };
}

const fmt = (v: number, unit: string) => `${unit === 'Hz' ? Math.round(v) : v.toFixed(1)} ${unit}`;

/** Analyses one clip (path or file bytes). */
export async function analyze(audio: string | Uint8Array, options: AnalyzeOptions = {}): Promise<AnalysisResult> {
  return (await analyzeDetailed(audio, options)).result;
}

/**
 * analyze, also giving the full prosody analysis it was made from (frames, segments, nuclei) and
 * the 16 kHz mono samples: buildReport draws them without decoding and analysing the clip twice.
 * Not exported from index.ts.
 */
export async function analyzeDetailed(
  audio: string | Uint8Array,
  options: AnalyzeOptions = {},
): Promise<{ result: AnalysisResult; prosody: ProsodyResult; samples16k: Float32Array }> {
  if (options === null || typeof options !== 'object') throw invalidArg('options must be an object');
  const signal = checkSignal(options.signal, 'analyze');
  throwIfAborted(signal);
  const model = clipModel(options);
  const { features, prosody, whole, samples16k } = await extractUtteranceFeatures(audio, {
    calibration: model.file.calibration, corpus: model.file.corpus, gender: options.gender, signal, maxDuration: options.maxDuration,
  });
  return { result: analysisOf(features, prosody, model, options, { whole }), prosody: whole, samples16k };
}

/** The model a single clip is analysed with (a speaker-normalised model is refused). */
function clipModel(options: AnalyzeOptions): EmotionModel {
  checkGender(options.gender);
  if (options.levelCalibrated !== undefined && typeof options.levelCalibrated !== 'boolean') throw invalidArg(`options.levelCalibrated must be a boolean; got ${JSON.stringify(options.levelCalibrated)}`);
  const model = modelOption(options.model);
  if (model.file.perception?.speakerInputs) {
    throw invalidArg('this model reads speaker-normalised features: use it through createSpeakerSession or analyzeSpeaker', typeof options.model === 'string' ? options.model : undefined);
  }
  return model;
}

/**
 * analyzeDetailed of 16 kHz mono samples that the package made and holds alone until this
 * settles (a live stream's turn): the same steps as extractUtteranceFeatures after its decoding
 * (prosody, then the features of that prosody and the samples, read without a copy), without the
 * WAV round trip and its thread-pool hop. Gives the same result as analyze() on a 16 kHz float
 * WAV of these samples (the decoder passes them through unchanged). Not exported from index.ts.
 */
export async function analyzeSamples16k(samples16k: Float32Array, options: Omit<AnalyzeOptions, 'maxDuration'> = {}): Promise<{ result: AnalysisResult; prosody: ProsodyResult }> {
  if (options === null || typeof options !== 'object') throw invalidArg('options must be an object');
  const signal = checkSignal(options.signal, 'analyze');
  throwIfAborted(signal);
  const model = clipModel(options);
  const prosodyOptions = { calibration: model.file.calibration, corpus: model.file.corpus, gender: options.gender, signal };
  const prosody = await extractProsodyOwned(samples16k, 16000, 'audio', prosodyOptions);
  const { features, utterance } = await utteranceFeatures(prosody, samples16k, prosodyOptions);
  return { result: analysisOf(features, utterance, model, options, { whole: prosody }), prosody };
}

/** The temperature-scaled probabilities (src/inference/perception.ts owns the formula). */
export { temperatureScale };

/** The signal-level reasons for doubt, from the prosody analysis (no model needed). */
export function signalUncertainty(prosody: ProsodyResult): AnalysisResult['uncertainty'] {
  const out: AnalysisResult['uncertainty'] = [];
  const voiced = prosody.segments.voiced.reduce((s, v) => s + v.duration, 0);
  if (voiced < UNCERTAINTY_LIMITS.minVoicedSeconds) {
    out.push({ reason: 'little-voiced-speech', detail: `${voiced.toFixed(2)} s of voiced speech (under ${UNCERTAINTY_LIMITS.minVoicedSeconds} s)` });
  }
  // A typed array's numeric sort: a JS comparator over the 60,000 frames of 10 minutes held the
  // event loop ~25 ms (benchmarks/event-loop.mjs, report).
  const rms = prosody.frames.rmsDbfs;
  const finite = new Float64Array(rms.length);
  let n = 0;
  for (let i = 0; i < rms.length; i++) if (Number.isFinite(rms[i])) finite[n++] = rms[i];
  const lv = finite.subarray(0, n).sort();
  if (lv.length >= 20) {
    const q = (p: number) => lv[Math.min(lv.length - 1, Math.floor(p * (lv.length - 1)))];
    const snr = q(0.95) - q(0.1);
    if (snr < UNCERTAINTY_LIMITS.minSnrDb) {
      out.push({ reason: 'low-snr', detail: `the loud frames are only ${snr.toFixed(1)} dB above the quiet ones (estimated SNR; under ${UNCERTAINTY_LIMITS.minSnrDb} dB)` });
    }
  }
  if (prosody.clippedRatio > UNCERTAINTY_LIMITS.maxClippedRatio) {
    out.push({ reason: 'clipping', detail: `${(100 * prosody.clippedRatio).toFixed(2)} % of samples at full scale` });
  }
  return out;
}

export interface AnalysisContext {
  /** Policy input override (a speaker-normalised input for a session model). */
  x?: Float64Array;
  /** Levels override (speaker-relative levels in a session). */
  levels?: Record<LevelCue, CueLevel>;
  /** The whole clip's analysis when `prosody` is its utterance (utteranceOf): the signal checks (SNR, clipping) read the whole clip. */
  whole?: ProsodyResult;
  /** The gender judged by, when the caller decided it (a session: the speaker's, from all its utterances). */
  gender?: GenderEstimate | null;
}

/**
 * Builds the result of one analysed clip (shared by analyze and speaker sessions; not exported
 * from index.ts). `prosody` is the utterance's analysis (the speech span, utteranceOf): claims,
 * measurements and the prosody summary describe it.
 */
export function analysisOf(features: UtteranceFeatures, prosody: ProsodyResult, model: EmotionModel, options: AnalyzeOptions, context: AnalysisContext = {}): AnalysisResult {
  const judged = context.gender !== undefined ? context.gender : clipGender(options.gender, features.values, prosody.gender, model);
  const gender: Gender | null = judged?.value ?? null;
  const shown = withGender(prosody, judged, model);
  const summary = { functionals: prosody.functionals, intonation: prosody.intonation, gender: judged, caption: shown.caption, duration: prosody.duration };
  const f = prosody.functionals;
  if (f.f0MedianHz === null || !f.syllableCount || (f.phonationTimeS ?? 0) < 0.2) {
    return {
      emotion: null,
      probabilities: {},
      reasoning: '<think>The clip holds too little voiced speech to measure pitch, energy or rhythm, so there is no evidence for an emotion.</think><answer>insufficient evidence</answer>',
      claims: [],
      insufficientEvidence: true,
      uncertain: true,
      uncertainty: [{ reason: 'little-voiced-speech', detail: 'too little voiced speech to measure pitch, energy or rhythm' }],
      prosody: summary,
    };
  }
  const x = context.x ?? policyInput(features, model.file.standardizer, gender);
  const levels = context.levels ?? corpusLevels(features, model, gender, options.levelCalibrated === true);
  // The caption states the levels the claims are judged by (the vocal effort, a session's speaker
  // levels), not the absolute RMS level of extractProsody's calibration: a quiet recording's
  // reasoning said "the vocal energy is high" while its caption said "low energy".
  summary.caption = prosodyCaption({
    ...shown,
    levels: { pitch_level: levels.pitch.level, energy_level: levels.energy.level, speed_level: levels.speed.level } as CaptionInput['levels'],
  });
  const measured = { pitch: levels.pitch.level, energy: levels.energy.level, speed: levels.speed.level, intonation: features.intonation };
  const force = new Int32Array(TOKENS).fill(-1);
  CUES.forEach((cue, k) => {
    if (cue === 'intonation') return;
    const l = levels[cue];
    if (l.force && l.level !== null) force[k] = (CLAIM_VALUES[cue] as readonly string[]).indexOf(l.level);
  });
  const r = decodeEnsemble(membersOf(model), x, force);
  const claims: ClaimEvidence[] = [];
  const evidence: Evidence = {};
  CUES.forEach((cue, k) => {
    if (r.tokens[k] === 0) return;
    const claim = CLAIM_VALUES[cue][r.tokens[k]];
    let measurement: ClaimEvidence['measurement'] = null;
    let cuts: [number, number] | null = null;
    let relativeTo: string | null = null;
    if (cue === 'intonation') {
      const i = prosody.intonation;
      relativeTo = "the utterance's own median F0";
      if (i.rangeSt !== null && i.directionSt !== null) {
        evidence.intonation = `range ${i.rangeSt.toFixed(1)} st, end minus start ${i.directionSt >= 0 ? '+' : ''}${i.directionSt.toFixed(1)} st`;
        // A turn claim states what was measured about the turn: where the contour peaks or dips
        // and how deep, or that it does not turn inside the utterance.
        if (claim === 'rising-falling' || claim === 'falling-rising') {
          const inside = i.vertex !== null && i.vertex >= 0 && i.vertex <= 1 && (i.turnDepthSt ?? 0) > 0 && i.curvatureSt !== null;
          evidence.intonation += inside
            ? `, ${i.curvatureSt! < 0 ? 'peaks' : 'dips'} ${i.turnDepthSt!.toFixed(1)} st at ${Math.round(100 * i.vertex!)} % of the voiced span`
            : ', no turn inside the voiced span';
        }
      }
    } else {
      const l = levels[cue];
      measurement = l.measurement;
      cuts = l.cuts;
      relativeTo = l.relativeTo;
      const value = l.measurement.value;
      if (value !== null && cuts) {
        evidence[cue] = `${l.describe ? l.describe + ' ' : ''}${fmt(value, l.measurement.unit)}; ${CLAIM_VALUES[cue][2]} is ${fmt(cuts[0], l.measurement.unit)} to ${fmt(cuts[1], l.measurement.unit)} for ${l.relativeTo}${l.also ? `; ${l.also}` : ''}`;
      }
    }
    claims.push({ cue, claim, measuredLevel: measured[cue], measurement, cutPoints: cuts, relativeTo, agrees: measured[cue] === claim });
  });
  const perception = model.file.perception;
  const calibrated = temperatureScale(r.emotionProbs, perception?.temperature ?? 1);
  const probabilities: Record<string, number> = {};
  EMOTIONS.forEach((e, i) => (probabilities[e] = calibrated[i]));
  const emotion = EMOTIONS[r.tokens[TOKENS - 1]];
  const uncertainty = signalUncertainty(context.whole ?? prosody);
  if (perception) {
    const share = outlierShare(x, model.file.standardizer.mean.length, perception.outlierZ);
    if (share > perception.outlierShareLimit) {
      uncertainty.push({ reason: 'out-of-range', detail: `${(100 * share).toFixed(1)} % of the features lie beyond ±${perception.outlierZ} sd of the training clips (the training clips' ${100 * OUTLIER_QUANTILE}th percentile is ${(100 * perception.outlierShareLimit).toFixed(1)} %)` });
    }
  }
  if (calibrated[r.tokens[TOKENS - 1]] < UNCERTAINTY_LIMITS.minTopProbability) {
    uncertainty.push({ reason: 'weak-evidence', detail: `the most likely emotion (${emotion}) has only ${(100 * calibrated[r.tokens[TOKENS - 1]]).toFixed(1)} % (under ${100 * UNCERTAINTY_LIMITS.minTopProbability} %)` });
  }
  return {
    emotion,
    probabilities,
    reasoning: renderResponse(r.tokens, evidence),
    claims,
    insufficientEvidence: false,
    uncertain: uncertainty.length > 0,
    uncertainty,
    prosody: summary,
  };
}
