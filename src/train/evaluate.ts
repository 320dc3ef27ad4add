// Validation metrics: accuracy, macro-F1, confusion matrix, and the judge's view of the
// reasoning (FA as a share of claims, mean FA/IQ/CC/FS scores), with greedy decoding.
import { judgeResponse, type Associations } from '../inference/judge.js';
import { Policy as PolicyClass, type Policy } from '../inference/policy.js';
import { invalidArg } from '../errors.js';
import { asMembers, decodeEnsemble } from '../inference/ensemble.js';
import type { TrainData } from './trainer.js';
import { EMOTIONS, TOKENS } from '../inference/vocab.js';

export interface EvalResult {
  n: number;
  accuracy: number;
  macroF1: number;
  /** confusion[true][predicted] */
  confusion: number[][];
  /** Share of all claims made that agree with the measurement. */
  factualShare: number;
  claimsPerResponse: number;
  fa: number;
  iq: number;
  cc: number;
  fs: number;
}

/** Scores a policy, or an ensemble's members decoded together (src/inference/ensemble.ts), as analyze decodes. */
export function evaluatePolicy(policy: Policy | readonly Policy[], data: TrainData, assoc: Associations): EvalResult {
  const members = asMembers(policy);
  // Checked up front: a null policy or missing associations were TypeErrors, a short row scored
  // accuracy near chance silently, and no data gave NaN everywhere.
  if (members.length === 0 || !members.every((m) => m instanceof PolicyClass)) throw invalidArg('evaluatePolicy: policy must be a Policy (train().policy) or a non-empty array of them');
  if (!assoc || typeof assoc !== 'object') throw invalidArg('evaluatePolicy: associations must be the cue–emotion associations (corpus.associations)');
  if (!data || !Array.isArray(data.x) || !Array.isArray(data.y) || !Array.isArray(data.measured) || data.x.length === 0 || data.x.length !== data.y.length || data.x.length !== data.measured.length) {
    throw invalidArg('evaluatePolicy: data must hold x, y and measured arrays of the same non-zero length');
  }
  const inputs = members[0].shape.inputs;
  data.x.forEach((x, i) => {
    if (!x || x.length !== inputs) throw invalidArg(`evaluatePolicy: data.x[${i}] has ${x?.length} features; the policy reads ${inputs}`);
    if (!Number.isInteger(data.y[i]) || data.y[i] < 0 || data.y[i] >= EMOTIONS.length) throw invalidArg(`evaluatePolicy: data.y[${i}] is ${String(data.y[i])}; expected an emotion index in [0, ${EMOTIONS.length})`);
    if (!data.measured[i] || typeof data.measured[i] !== 'object') throw invalidArg(`evaluatePolicy: data.measured[${i}] must be the clip's measured cue levels`);
  });
  const K = EMOTIONS.length;
  const confusion = Array.from({ length: K }, () => new Array(K).fill(0));
  let correct = 0, claims = 0, agreeing = 0, fa = 0, iq = 0, cc = 0, fs = 0;
  data.x.forEach((x, i) => {
    const r = decodeEnsemble(members, x);
    const pred = r.tokens[TOKENS - 1];
    confusion[data.y[i]][pred]++;
    if (pred === data.y[i]) correct++;
    const s = judgeResponse(r.tokens, data.measured[i], assoc);
    claims += s.claims;
    agreeing += s.agreeing;
    fa += s.fa, iq += s.iq, cc += s.cc, fs += s.fs;
  });
  const n = data.x.length;
  let f1 = 0;
  for (let k = 0; k < K; k++) {
    const tp = confusion[k][k];
    const fp = confusion.reduce((s, row, t) => s + (t === k ? 0 : row[k]), 0);
    const fn = confusion[k].reduce((s, v, p) => s + (p === k ? 0 : v), 0);
    f1 += tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  }
  return {
    n,
    accuracy: correct / n,
    macroF1: f1 / K,
    confusion,
    factualShare: claims ? agreeing / claims : 0,
    claimsPerResponse: claims / n,
    fa: fa / n,
    iq: iq / n,
    cc: cc / n,
    fs: fs / n,
  };
}
