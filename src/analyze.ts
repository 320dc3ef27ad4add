// analyze(audio): the package's main job. Prosody and spectral features from the native core,
// then the reasoning policy's claims (each with its evidence: the measured value, its level and
// the cut points) and the emotion, rendered as <think>…</think><answer>…</answer>.
import { extractUtteranceFeatures, type UtteranceFeatures } from './train/featurize.js';
import { measuredCues, policyInput } from './train/corpus.js';
import { defaultModel, loadModel, type EmotionModel } from './train/model.js';
import { renderResponse, type Evidence } from './train/render.js';
import { CLAIM_VALUES, CUES, EMOTIONS, TOKENS, type Cue } from './train/vocab.js';
import type { Gender } from './prosody-calibration.js';
import type { ProsodyResult } from './prosody.js';
import type { LoadAudioOptions } from './audio.js';
import { invalidArg } from './errors.js';
import { checkSignal, throwIfAborted } from './abort.js';

export interface ClaimEvidence {
  cue: Cue;
  /** What the model says about the cue. */
  claim: string;
  /** What was measured: the level, or null when it could not be measured. */
  measuredLevel: string | null;
  /** The measurement behind the level, e.g. { name: 'f0MedianHz', value: 231.6, unit: 'Hz' }. */
  measurement: { name: string; value: number | null; unit: string } | null;
  /** Level boundaries [low|normal, normal|high] for the speaker's group, when the cue has them. */
  cutPoints: [number, number] | null;
  agrees: boolean;
}

export interface AnalysisResult {
  /** The answer; null when the clip holds too little speech to judge. */
  emotion: string | null;
  probabilities: Record<string, number>;
  /** `<think>…</think><answer>…</answer>` with the evidence in the reasoning. */
  reasoning: string;
  claims: ClaimEvidence[];
  insufficientEvidence: boolean;
  prosody: Pick<ProsodyResult, 'functionals' | 'intonation' | 'gender' | 'caption' | 'duration'>;
}

export interface AnalyzeOptions extends Pick<LoadAudioOptions, 'maxDuration'> {
  /** A model file path or a loaded model; default: the bundled model. */
  model?: string | EmotionModel;
  /** Speaker gender from metadata (otherwise estimated from F0). */
  gender?: Gender;
  /** Aborts the call: it rejects with an AbortError and the native work stops at its next chunk. */
  signal?: AbortSignal;
}

const MEASUREMENT: Record<Exclude<Cue, 'intonation'>, { name: string; unit: string; key: 'pitch' | 'energy' | 'speed' }> = {
  pitch: { name: 'f0MedianHz', unit: 'Hz', key: 'pitch' },
  energy: { name: 'rmsMeanDbfs', unit: 'dBFS', key: 'energy' },
  speed: { name: 'articulationRate', unit: 'syllables/s', key: 'speed' },
};

function cutPoints(model: EmotionModel, cue: Exclude<Cue, 'intonation'>, gender: Gender | null): [number, number] | null {
  const cal = model.file.calibration;
  const group = cal.corpora[model.file.corpus] ?? cal.pooled;
  if (cue === 'pitch') {
    const byG = gender ? group.pitchByGender[gender]?.cuts ?? cal.pooled.pitchByGender[gender]?.cuts : null;
    return byG ?? group.pitch ?? cal.pooled.pitch;
  }
  return group[cue] ?? cal.pooled[cue];
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
  const model = typeof options.model === 'string' ? loadModel(options.model) : options.model ?? defaultModel();
  const { features, prosody, samples16k } = await extractUtteranceFeatures(audio, {
    calibration: model.file.calibration, corpus: model.file.corpus, gender: options.gender, signal, maxDuration: options.maxDuration,
  });
  return { result: analysisOf(features, prosody, model, options), prosody, samples16k };
}

function analysisOf(features: UtteranceFeatures, prosody: ProsodyResult, model: EmotionModel, options: AnalyzeOptions): AnalysisResult {
  const gender: Gender | null = options.gender ?? prosody.gender?.value ?? null;
  const summary = { functionals: prosody.functionals, intonation: prosody.intonation, gender: options.gender ? { value: options.gender, source: 'metadata' as const } : prosody.gender, caption: prosody.caption, duration: prosody.duration };
  const f = prosody.functionals;
  if (f.f0MedianHz === null || !f.syllableCount || (f.phonationTimeS ?? 0) < 0.2) {
    return {
      emotion: null,
      probabilities: {},
      reasoning: '<think>The clip holds too little voiced speech to measure pitch, energy or rhythm, so there is no evidence for an emotion.</think><answer>insufficient evidence</answer>',
      claims: [],
      insufficientEvidence: true,
      prosody: summary,
    };
  }
  const x = policyInput(features, model.file.standardizer, gender);
  const measured = measuredCues(features, model.file.calibration, gender);
  const r = model.policy.greedy(x);
  const claims: ClaimEvidence[] = [];
  const evidence: Evidence = {};
  CUES.forEach((cue, k) => {
    if (r.tokens[k] === 0) return;
    const claim = CLAIM_VALUES[cue][r.tokens[k]];
    let measurement: ClaimEvidence['measurement'] = null;
    let cuts: [number, number] | null = null;
    if (cue === 'intonation') {
      const i = prosody.intonation;
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
      const m = MEASUREMENT[cue];
      const value = f[m.name] ?? null;
      measurement = { name: m.name, value, unit: m.unit };
      cuts = cutPoints(model, cue, gender);
      if (value !== null && cuts) evidence[cue] = `${fmt(value, m.unit)}; ${CLAIM_VALUES[cue][2]} is ${fmt(cuts[0], m.unit)} to ${fmt(cuts[1], m.unit)}${cue === 'pitch' && gender ? ` for ${gender} voices` : ''}`;
    }
    claims.push({ cue, claim, measuredLevel: measured[cue], measurement, cutPoints: cuts, agrees: measured[cue] === claim });
  });
  const probabilities: Record<string, number> = {};
  EMOTIONS.forEach((e, i) => (probabilities[e] = r.emotionProbs[i]));
  return {
    emotion: EMOTIONS[r.tokens[TOKENS - 1]],
    probabilities,
    reasoning: renderResponse(r.tokens, evidence),
    claims,
    insufficientEvidence: false,
    prosody: summary,
  };
}
