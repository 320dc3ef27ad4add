// The reward-model plug-in contract: an ONNX model that scores one response (claims + emotion)
// about one utterance (features) on the judge's four criteria, so that a user's model can
// replace the built-in deterministic judge. See docs/reward-model.md.
import { EmotionThinkerError, invalidArg } from './errors.js';
import { OnnxModel, type OnnxModelOptions } from './onnx/model.js';
import { readMetadataProps } from './onnx/proto.js';
import { readFile } from 'node:fs/promises';

import { CLAIM_ONEHOT, CLAIM_VALUES, CUES, EMOTIONS, type Cue } from './inference/vocab.js';

/** Categories per cue, in one-hot order; index 0 is always "not_mentioned" (the policy's vocabulary). */
export const CLAIM_VOCABULARY = CLAIM_VALUES;
export { CUES, type Cue };
/** Length of the claims vector: the four cues' one-hots concatenated in CUES order (20). */
export const CLAIMS_SIZE = CLAIM_ONEHOT;

/** Default emotion labels (RAVDESS order); a model may declare its own in metadata. */
export const DEFAULT_EMOTIONS = EMOTIONS;

/** Judge scores, each in [1, 5]: factual alignment, inference quality, cue coverage, format/structure. */
export interface RewardScores {
  FA: number;
  IQ: number;
  CC: number;
  FS: number;
}
export const SCORE_ORDER: readonly (keyof RewardScores)[] = ['FA', 'IQ', 'CC', 'FS'];

/** One response to score: the utterance's feature vector, the cue claims made and the emotion chosen. */
export interface RewardItem {
  features: Float32Array | readonly number[];
  /** Missing cues count as "not_mentioned". */
  claims: Partial<Record<Cue, string>>;
  emotion: string;
}

/** What the built-in judge and a plug-in model both provide. */
export interface RewardJudge {
  /** options.signal (passed by trainAsync): a judge that can stop early should. */
  score(items: RewardItem[], options?: { signal?: AbortSignal }): Promise<RewardScores[]>;
}

/** Metadata keys a reward model may carry (ModelProto.metadata_props, JSON arrays of strings). */
export const METADATA_EMOTIONS = 'emotionthinker.emotions';
export const METADATA_FEATURES = 'emotionthinker.feature_names';

/** One-hot encodes claims in CLAIM_VOCABULARY order. Unknown categories are an error. */
export function encodeClaims(claims: Partial<Record<Cue, string>>, out = new Float32Array(CLAIMS_SIZE), offset = 0): Float32Array {
  if (claims === null || typeof claims !== 'object') throw invalidArg('claims must be an object such as {pitch: "high"}');
  for (const k of Object.keys(claims)) if (!CUES.includes(k as Cue)) throw invalidArg(`unknown cue "${k}"; cues are ${CUES.join(', ')}`);
  let base = offset;
  for (const cue of CUES) {
    const vocab = CLAIM_VOCABULARY[cue] as readonly string[];
    const v = claims[cue] ?? 'not_mentioned';
    const i = vocab.indexOf(v);
    if (i < 0) throw invalidArg(`claim ${cue}="${v}" is not one of ${vocab.join(', ')}`);
    out[base + i] = 1;
    base += vocab.length;
  }
  return out;
}

/**
 * A user-supplied ONNX reward model behind the RewardJudge interface.
 *
 * Contract: inputs `features` float32 [batch, F], `claims` float32 [batch, 19], `emotion`
 * float32 [batch, E]; output `scores` float32 [batch, 4] in the order FA, IQ, CC, FS, each
 * meant to lie in [1, 5] (values outside are clamped; NaN is an error).
 */
export class OnnxRewardModel implements RewardJudge {
  readonly model: OnnxModel;
  readonly emotions: readonly string[];
  readonly featureSize: number | null;
  readonly featureNames: readonly string[] | null;

  private constructor(model: OnnxModel, emotions: readonly string[], featureSize: number | null, featureNames: readonly string[] | null) {
    this.model = model;
    this.emotions = emotions;
    this.featureSize = featureSize;
    this.featureNames = featureNames;
  }

  /** Loads and checks a reward model. `emotions` overrides the labels the model declares. */
  static async load(source: string | Uint8Array, options: OnnxModelOptions & { emotions?: readonly string[] } = {}): Promise<OnnxRewardModel> {
    const name = typeof source === 'string' ? source : 'reward model bytes';
    const model = await OnnxModel.create(source, { batch: true, ...options, name });
    try {
      const bytes = typeof source === 'string' ? await readFile(source) : source;
      let meta: Record<string, string> = {};
      try {
        meta = readMetadataProps(bytes, name);
      } catch {
        meta = {};
      }
      const parseList = (key: string): string[] | null => {
        if (!(key in meta)) return null;
        try {
          const v = JSON.parse(meta[key]);
          if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
        } catch {
          /* fall through */
        }
        throw invalidArg(`metadata "${key}" must be a JSON array of strings`, name);
      };
      const emotions = options.emotions ?? parseList(METADATA_EMOTIONS) ?? [...DEFAULT_EMOTIONS];
      const featureNames = parseList(METADATA_FEATURES);
      const need = (n: string) => {
        const v = model.inputs.find((x) => x.name === n);
        if (!v) throw invalidArg(`reward model has no input "${n}"; the contract needs features, claims and emotion (see docs/reward-model.md)`, name);
        if (v.type !== 'float32') throw invalidArg(`reward model input "${n}" must be float32; it is ${v.type}`, name);
        if (v.shape && v.shape.length !== 2) throw invalidArg(`reward model input "${n}" must be [batch, size]`, name);
        return v.shape ? v.shape[1] : null;
      };
      const fSize = need('features');
      const cSize = need('claims');
      const eSize = need('emotion');
      if (typeof cSize === 'number' && cSize !== CLAIMS_SIZE) throw invalidArg(`reward model input "claims" must have ${CLAIMS_SIZE} values per row; it has ${cSize}`, name);
      if (typeof eSize === 'number' && eSize !== emotions.length) {
        throw invalidArg(`reward model input "emotion" has ${eSize} values per row but ${emotions.length} emotion labels are known (${emotions.join(', ')})`, name);
      }
      const out = model.outputs.find((x) => x.name === 'scores');
      if (!out) throw invalidArg('reward model has no output "scores" ([batch, 4]: FA, IQ, CC, FS)', name);
      if (out.shape && (out.shape.length !== 2 || (typeof out.shape[1] === 'number' && out.shape[1] !== 4))) {
        throw invalidArg('reward model output "scores" must be [batch, 4] (FA, IQ, CC, FS)', name);
      }
      const featureSize = typeof fSize === 'number' ? fSize : featureNames ? featureNames.length : null;
      return new OnnxRewardModel(model, emotions, featureSize, featureNames);
    } catch (err) {
      await model.dispose();
      throw err;
    }
  }

  /** options.signal aborts the call (AbortError); a run still queued in the pool never starts. */
  async score(items: RewardItem[], options: { signal?: AbortSignal } = {}): Promise<RewardScores[]> {
    if (!Array.isArray(items)) throw invalidArg('items must be an array');
    const B = items.length;
    if (B === 0) return [];
    const F = this.featureSize ?? items[0].features.length;
    const E = this.emotions.length;
    const features = new Float32Array(B * F);
    const claims = new Float32Array(B * CLAIMS_SIZE);
    const emotion = new Float32Array(B * E);
    items.forEach((it, b) => {
      if (!it || typeof it !== 'object') throw invalidArg(`items[${b}] must be {features, claims, emotion}`);
      if (it.features?.length !== F) throw invalidArg(`items[${b}].features has ${it.features?.length} values; the reward model takes ${F}`);
      features.set(it.features as ArrayLike<number>, b * F);
      encodeClaims(it.claims, claims, b * CLAIMS_SIZE);
      const e = this.emotions.indexOf(it.emotion);
      if (e < 0) throw invalidArg(`items[${b}].emotion "${it.emotion}" is not one of ${this.emotions.join(', ')}`);
      emotion[b * E + e] = 1;
    });
    const out = await this.model.run({
      features: { data: features, dims: [B, F] },
      claims: { data: claims, dims: [B, CLAIMS_SIZE] },
      emotion: { data: emotion, dims: [B, E] },
    }, { signal: options?.signal });
    const s = out.scores;
    if (!s || s.dims.length !== 2 || s.dims[0] !== B || s.dims[1] !== 4) {
      throw new EmotionThinkerError('ERR_INVALID_ARG', `reward model returned scores with dims [${s?.dims.join(', ')}]; expected [${B}, 4]`, { input: this.model.name });
    }
    const d = s.data as Float32Array;
    return Array.from({ length: B }, (_, b) => {
      const row = {} as RewardScores;
      SCORE_ORDER.forEach((k, j) => {
        const v = d[b * 4 + j];
        if (Number.isNaN(v)) throw new EmotionThinkerError('ERR_INVALID_ARG', `reward model returned NaN for ${k} of item ${b}`, { input: this.model.name });
        row[k] = Math.min(5, Math.max(1, v));
      });
      return row;
    });
  }

  dispose(): Promise<void> {
    return this.model.dispose();
  }
}
