// The reasoning policy (src/inference/policy.ts) as one ONNX graph, so that onnxruntime (Node, Python, C++,
// the browser) can run a trained model without this package. The graph is the policy's greedy
// decode, the one `analyze` uses: every claim head's distribution, each claim = its argmax,
// then the emotion head on the trunk and the one-hots of those claims. An optional `force`
// input fixes chosen tokens (−1 = decode), as Policy.generate's `force` does, so a caller can
// also score given claims. The output `calibrated` is the emotion distribution at the model's
// temperature (perception.temperature, fitted on held-out speakers): the probabilities analyze
// reports. An ensemble model (file field `ensemble`) exports as one graph that decodes as
// src/inference/ensemble.ts does: each distribution is the members' mean (ONNX Mean of their
// softmaxes), each token its argmax. See docs/policy-export.md for the inputs and outputs.
import { writeFileAtomic } from '../atomic-file.js';
import { EmotionThinkerError } from '../errors.js';
import { attr, OnnxGraphBuilder, type BuildOptions, type LinearLayer } from '../onnx/export.js';
import type { Feeds } from '../onnx/model.js';
import type { Gender } from '../level-calibration.js';
import { FEATURE_NAMES, FEATURE_VERSION } from '../inference/featurize.js';
import type { EmotionModel, EmotionModelFile } from '../inference/model.js';
import { MAX_ABS_VALUE } from '../inference/model-schema.js';

/** Default-domain opsets the export accepts: its operators' forms (17) up to what onnxruntime-node runs. */
const MIN_OPSET = 17;
const MAX_OPSET = 21;
import { policyLayout, type PolicyBlock, type PolicyShape } from '../inference/policy.js';
import { MAX_ENSEMBLE_MEMBERS } from '../inference/ensemble.js';
import { CLAIM_ONEHOT, CLAIM_VALUES, CUES, EMOTIONS, TOKEN_SIZES, TOKENS } from '../inference/vocab.js';

/** Names of the exported graph's outputs: the claim distributions are named after their cue. */
export const POLICY_ONNX_OUTPUTS = [...CUES, 'emotion', 'tokens', 'logp', 'calibrated'] as const;

/** The clamp `standardize` (src/inference/featurize.ts) applies to z-scores; the graph applies the same. */
const Z_CLIP = 6;

export interface PolicyOnnxOptions {
  /**
   * What the graph takes. "features" (default): `features` [batch, F] raw feature values in
   * FEATURE_NAMES order, NaN where missing, and `gender` [batch, 1] (1 male, 0 female, 0.5
   * unknown); the graph standardises as the model's standardizer does. "standardized": `x`
   * [batch, inputs], the vector policyInput() builds (z-scores, then gender).
   */
  input?: 'features' | 'standardized';
  /**
   * Adds the `force` input: int64 [batch, 5], per position a token to use instead of the
   * decoded one, or −1 to decode it (Policy.generate's `force`); default false.
   */
  forceInput?: boolean;
  /** ModelProto.metadata_props added to the ones the export writes. */
  metadata?: Record<string, string>;
  /** Default-domain opset (default 17). */
  opset?: number;
  /**
   * Softmax temperature of the `calibrated` output (default: the model file's
   * perception.temperature, 1 for a model without one, as analyze).
   */
  temperature?: number;
}

interface CheckedModel {
  shape: PolicyShape;
  /** Each member's parameters (one for a single policy), float32. */
  members: Float32Array[];
  standardizer: { mean: number[]; std: number[] } | null;
}

const fail = (why: string) => new EmotionThinkerError('ERR_INVALID_ARG', `cannot export the policy to ONNX: ${why}`);
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

/**
 * Checks a model (a loaded EmotionModel or the parsed JSON of a model file) field by field, so
 * that a damaged one is refused with the field's name rather than exported into a graph that
 * onnxruntime rejects with a shape error, or that silently computes something else.
 */
function checkModel(model: EmotionModel | EmotionModelFile, needStandardizer: boolean): CheckedModel {
  if (!model || typeof model !== 'object') throw fail('the model must be an EmotionModel or the parsed JSON of a model file');
  const file = ('file' in model ? model.file : model) as Partial<EmotionModelFile> | undefined;
  const policy = (model as { policy?: { shape?: unknown; params?: unknown } }).policy;
  if (!policy || typeof policy !== 'object') throw fail('policy is missing');
  const shape = policy.shape as PolicyShape | undefined;
  if (!shape || typeof shape !== 'object') throw fail('policy.shape is missing');
  for (const k of ['inputs', 'hidden', 'cueHidden'] as const) {
    if (!isCount(shape[k])) throw fail(`policy.shape.${k} must be a positive integer, got ${JSON.stringify(shape[k])}`);
  }
  if (!Array.isArray(shape.cueFeatures) || shape.cueFeatures.length !== CUES.length) {
    throw fail(`policy.shape.cueFeatures must hold ${CUES.length} index lists (${CUES.join(', ')})`);
  }
  shape.cueFeatures.forEach((idx, k) => {
    const at = `policy.shape.cueFeatures[${k}] (${CUES[k]})`;
    if (!Array.isArray(idx) || idx.length === 0) throw fail(`${at} must be a non-empty list of feature indices`);
    const bad = idx.findIndex((j) => !Number.isInteger(j) || j < 0 || j >= shape.inputs);
    if (bad >= 0) throw fail(`${at}[${bad}] is ${JSON.stringify(idx[bad])}; indices must be integers in [0, ${shape.inputs})`);
  });
  const expected = policyLayout(shape).size;
  // The graph runs in float32; model files store float32-rounded parameters already.
  const checkParams = (raw: ArrayLike<unknown> | undefined, at: string): Float32Array => {
    const isArrayLike = Array.isArray(raw) || raw instanceof Float64Array || raw instanceof Float32Array;
    if (!isArrayLike) throw fail(`${at} must be an array of numbers`);
    if (raw.length !== expected) throw fail(`${at} has ${raw.length} values; policy.shape needs ${expected}`);
    const params = new Float32Array(expected);
    for (let i = 0; i < expected; i++) {
      const v = raw[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw fail(`${at}[${i}] is ${JSON.stringify(v)}, not a finite number`);
      // loadModel's bound: parameters of 1e300 exported a graph whose every output is NaN.
      if (Math.abs(v) > MAX_ABS_VALUE) throw fail(`${at}[${i}] is ${v}; parameters are within ±${MAX_ABS_VALUE}`);
      params[i] = v;
    }
    return params;
  };
  const members = [checkParams(policy.params as ArrayLike<unknown> | undefined, 'policy.params')];
  // Further ensemble members: a loaded model's `members` (policy first) or a file's `ensemble`.
  const loaded = (model as { members?: readonly { params: ArrayLike<number> }[] }).members;
  const further: unknown = loaded && loaded.length > 1 ? loaded.slice(1) : (file as { ensemble?: unknown } | undefined)?.ensemble;
  if (further !== undefined) {
    if (!Array.isArray(further) || further.length === 0 || further.length >= MAX_ENSEMBLE_MEMBERS) throw fail(`ensemble must be a list of 1 to ${MAX_ENSEMBLE_MEMBERS - 1} members`);
    further.forEach((m, k) => {
      if (!m || typeof m !== 'object') throw fail(`ensemble[${k}] must be an object with params`);
      members.push(checkParams((m as { params?: ArrayLike<unknown> }).params, `ensemble[${k}].params`));
    });
  }
  if (!needStandardizer) return { shape, members, standardizer: null };

  if (!file || typeof file !== 'object') throw fail('the model file part (standardizer, featureVersion) is missing');
  if (file.featureVersion !== undefined && file.featureVersion !== FEATURE_VERSION) {
    throw fail(`featureVersion is ${file.featureVersion}; this version computes feature set ${FEATURE_VERSION}, so its raw features would not match (export with input "standardized")`);
  }
  const s = file.standardizer;
  if (!s || typeof s !== 'object') throw fail('standardizer is missing (needed for input "features")');
  const F = shape.inputs - 1; // the last policy input is the speaker's gender, not a feature
  if (F !== FEATURE_NAMES.length) {
    throw fail(`policy.shape.inputs is ${shape.inputs}; input "features" needs ${FEATURE_NAMES.length} features + gender (export with input "standardized")`);
  }
  for (const k of ['mean', 'std'] as const) {
    const a = s[k];
    if (!Array.isArray(a) || a.length !== F) throw fail(`standardizer.${k} must be an array of ${F} numbers, got ${Array.isArray(a) ? a.length : typeof a}`);
    const bad = a.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v) || (k === 'std' && v <= 0));
    if (bad >= 0) throw fail(`standardizer.${k}[${bad}] is ${JSON.stringify(a[bad])}; expected a finite number${k === 'std' ? ' > 0' : ''}`);
  }
  return { shape, members, standardizer: { mean: s.mean, std: s.std } };
}

/** Splits the parameter vector into LinearLayers (x · W layout) in Policy's block order. */
function layers(shape: PolicyShape, params: Float32Array): { trunk: LinearLayer; cue: LinearLayer[]; head: LinearLayer[]; emotion: LinearLayer } {
  // Policy stores W as [rows × cols] row-major and computes W·x; ONNX MatMul computes x·Wᵀ.
  const toLayer = (b: PolicyBlock, activation: LinearLayer['activation']): LinearLayer => {
    const weight = new Float32Array(b.rows * b.cols);
    for (let r = 0; r < b.rows; r++) for (let c = 0; c < b.cols; c++) weight[c * b.rows + r] = params[b.w + r * b.cols + c];
    return { inSize: b.cols, outSize: b.rows, weight, bias: params.slice(b.b, b.b + b.rows), activation };
  };
  const { blocks } = policyLayout(shape);
  const trunk = toLayer(blocks[0], 'tanh');
  const cue = shape.cueFeatures.map((_, k) => toLayer(blocks[1 + 2 * k], 'tanh'));
  const head = shape.cueFeatures.map((_, k) => toLayer(blocks[2 + 2 * k], 'none'));
  const emotion = toLayer(blocks[blocks.length - 1], 'none');
  return { trunk, cue, head, emotion };
}

/**
 * Exports a trained policy to ONNX (opset 17, float32) and returns the .onnx bytes. `model` is
 * a loaded model (loadModel, defaultModel) or the parsed JSON of a model file. Outputs, all
 * [batch, …]: `pitch`, `energy`, `speed`, `intonation` (claim distributions over CLAIM_VALUES),
 * `emotion` (distribution given the chosen claims), `tokens` (int64 [batch, 5]: the claims and
 * the emotion, as Policy.greedy), `logp` ([batch, 5]: the log-probability of each token),
 * `calibrated` (`emotion` at the model's temperature: the probabilities analyze reports).
 */
export function exportPolicyOnnx(model: EmotionModel | EmotionModelFile, options: PolicyOnnxOptions = {}): Uint8Array {
  if (options === null || typeof options !== 'object') throw fail('options must be an object');
  const mode = options.input ?? 'features';
  if (mode !== 'features' && mode !== 'standardized') throw fail(`options.input must be "features" or "standardized", got ${JSON.stringify(mode)}`);
  // The opsets this graph's operators exist in and onnxruntime runs (1, 7 or 999 gave files it refuses).
  const opset = options.opset ?? 17;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) throw fail(`options.opset must be an integer in [${MIN_OPSET}, ${MAX_OPSET}], got ${JSON.stringify(opset)}`);
  for (const [k, v] of Object.entries(options.metadata ?? {})) {
    if (typeof v !== 'string') throw fail(`options.metadata.${k} must be a string, got ${typeof v}`);
    if (k.startsWith('emotionthinker.')) throw fail(`options.metadata.${k}: the "emotionthinker." keys are the exporter's own`);
  }
  const { shape, members, standardizer } = checkModel(model, mode === 'features');

  const file = 'file' in model ? model.file : model;
  const modelT = (file as Partial<EmotionModelFile> | undefined)?.perception?.temperature;
  const temperature = options.temperature ?? (typeof modelT === 'number' ? modelT : 1);
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || !(temperature > 0)) {
    throw fail(`the temperature (${options.temperature !== undefined ? 'options.temperature' : 'perception.temperature'}) must be a finite number > 0, got ${JSON.stringify(temperature)}`);
  }
  const Ls = members.map((params) => layers(shape, params));
  const ensemble = Ls.length > 1;
  const g = new OnnxGraphBuilder('emotionthinker_policy');
  const B = 'batch';

  let x: string;
  if (standardizer) {
    const F = standardizer.mean.length;
    g.input('features', 'float32', [B, F]);
    g.input('gender', 'float32', [B, 1]);
    const z = g.standardize('features', standardizer.mean, standardizer.std, { clip: Z_CLIP, missingAsZero: true, prefix: 'features' });
    x = g.concat([z, 'gender']);
  } else {
    x = g.input('x', 'float32', [B, shape.inputs]);
  }
  const forced = options.forceInput ? g.input('force', 'int64', [B, TOKENS]) : null;

  // Token t: the decoded one (argmax of the logits, first on ties as Policy.greedy), or the
  // caller's where `force` holds one (>= 0). int64 [batch, 1].
  const zero = forced ? g.constant('token_unset', BigInt64Array.of(0n), []) : '';
  const choose = (logits: string, t: number): string => {
    const best = g.argMax(logits);
    if (!forced) return best;
    const [given] = g.node('Gather', [forced, g.constant(g.fresh(`token${t}_column`), BigInt64Array.of(BigInt(t)), [1])], 1, { axis: attr.int(1) });
    const [unset] = g.node('Less', [given, zero]);
    return g.node('Where', [unset, best, given])[0];
  };

  const tokens: string[] = [];
  const logps: string[] = [];
  const onehots: string[] = [];
  // One member: the distribution is softmax(logits), log-probabilities LogSoftmax. An ensemble:
  // the mean of the members' softmaxes, log-probabilities its Log, tokens its argmax
  // (src/inference/ensemble.ts). Returns the chosen token and the log-probabilities.
  const distribution = (logits: string[], name: string, t: number): { token: string; logp: string } => {
    let logp: string, choiceOf: string;
    if (!ensemble) {
      g.node('Softmax', logits, [name], { axis: attr.int(1) });
      [logp] = g.node('LogSoftmax', logits, 1, { axis: attr.int(1) });
      choiceOf = logits[0];
    } else {
      const probs = logits.map((l) => g.node('Softmax', [l], 1, { axis: attr.int(1) })[0]);
      g.node('Mean', probs, [name]);
      [logp] = g.node('Log', [name]);
      choiceOf = name;
    }
    g.output(name, 'float32', [B, TOKEN_SIZES[t]]);
    const token = choose(choiceOf, t);
    tokens.push(token);
    logps.push(g.pick(logp, token));
    return { token, logp };
  };

  // Claims: each head sees only its cue's columns of x, through the cue's perception layer.
  shape.cueFeatures.forEach((idx, k) => {
    const xs = g.gatherColumns(x, idx, `${CUES[k]}_features`);
    const logits = Ls.map((L, m) => {
      const tag = ensemble ? `${CUES[k]}_m${m}` : CUES[k];
      const perception = g.linear(xs, L.cue[k], `${tag}_perception`);
      return g.linear(g.concat([perception, xs]), L.head[k], `${tag}_head`);
    });
    onehots.push(g.oneHot(distribution(logits, CUES[k], k).token, TOKEN_SIZES[k], `${CUES[k]}_onehot`));
  });
  // Emotion: trunk on all inputs, then the head on [h; one-hots of the claims made].
  const emotionLogits = Ls.map((L, m) => {
    const tag = ensemble ? `_m${m}` : '';
    const h = g.linear(x, L.trunk, `trunk${tag}`);
    return g.linear(g.concat([h, ...onehots]), L.emotion, `emotion_head${tag}`);
  });
  const emotionLogp = distribution(emotionLogits, 'emotion', TOKENS - 1).logp;

  // The calibrated emotion distribution: softmax(log p / T), what analyze reports
  // (temperatureScale); for one member log p is the logits up to a constant, so softmax(logits / T).
  const T = g.constant('temperature', Float32Array.of(temperature), []);
  const [scaled] = g.node('Div', [ensemble ? emotionLogp : emotionLogits[0], T]);
  g.node('Softmax', [scaled], ['calibrated'], { axis: attr.int(1) });
  g.output('calibrated', 'float32', [B, EMOTIONS.length]);

  g.node('Concat', tokens, ['tokens'], { axis: attr.int(1) });
  g.output('tokens', 'int64', [B, TOKENS]);
  g.node('Concat', logps, ['logp'], { axis: attr.int(1) });
  g.output('logp', 'float32', [B, TOKENS]);

  return g.build({
    opset,
    docString: 'emotionthinker reasoning policy: cue claims (greedy), then the emotion conditioned on features and claims',
    metadata: {
      'emotionthinker.kind': 'policy',
      'emotionthinker.input': mode,
      'emotionthinker.featureVersion': String(FEATURE_VERSION),
      ...(mode === 'features' ? { 'emotionthinker.featureNames': JSON.stringify(FEATURE_NAMES) } : {}),
      'emotionthinker.cues': JSON.stringify(CUES),
      'emotionthinker.claimValues': JSON.stringify(CLAIM_VALUES),
      'emotionthinker.emotions': JSON.stringify(EMOTIONS),
      'emotionthinker.temperature': String(temperature),
      'emotionthinker.members': String(members.length),
      ...(file && typeof file === 'object' && 'info' in file && file.info ? { 'emotionthinker.info': JSON.stringify(file.info) } : {}),
      ...options.metadata,
    },
  });
}

/** exportPolicyOnnx, written to `file` (through a temporary file, so a failed write leaves no half model). */
export function writePolicyOnnx(model: EmotionModel | EmotionModelFile, file: string, options: PolicyOnnxOptions = {}): void {
  if (typeof file !== 'string' || file === '') throw fail(`the output file must be a non-empty path string, got ${typeof file}`);
  const bytes = exportPolicyOnnx(model, options);
  writeFileAtomic(file, bytes);
}

/**
 * Feeds for an input "features" export, from featurize's UtteranceFeatures (`values`, null
 * where missing) and each clip's gender, with the same gender encoding as policyInput.
 */
export function policyOnnxFeeds(rows: { values: readonly (number | null)[]; gender?: Gender | null }[]): Feeds {
  if (!Array.isArray(rows) || rows.length === 0) throw new EmotionThinkerError('ERR_INVALID_ARG', 'policyOnnxFeeds needs at least one row');
  const F = FEATURE_NAMES.length;
  const features = new Float32Array(rows.length * F);
  const gender = new Float32Array(rows.length);
  rows.forEach((r, i) => {
    if (!r || !Array.isArray(r.values) || r.values.length !== F) throw new EmotionThinkerError('ERR_INVALID_ARG', `rows[${i}].values must hold ${F} features (FEATURE_NAMES order)`);
    r.values.forEach((v, j) => (features[i * F + j] = v === null ? NaN : v));
    gender[i] = r.gender === 'male' ? 1 : r.gender === 'female' ? 0 : 0.5;
  });
  return { features: { data: features, dims: [rows.length, F] }, gender: { data: gender, dims: [rows.length, 1] } };
}
