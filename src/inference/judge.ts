// The built-in judge (docs/formulas.md#judge-scores): scores a response on Factual Alignment, Interpretative Quality,
// Caption Completeness and Fluency/Structure, each 1–5, against what was measured in the clip.
import { CLAIM_VALUES, CUES, EMOTIONS, TOKENS, isSalient, type Cue, type MeasuredCues } from './vocab.js';
import { parseResponse, renderResponse } from './render.js';

/** P(emotion | cue = value), fitted on the training split with add-one smoothing. */
export type Associations = Record<Cue, Record<string, number[]>>;

export interface JudgeScores {
  /** 1–5 each. */
  fa: number;
  iq: number;
  cc: number;
  fs: number;
  /** Claims made and how many agree with the measurement (for micro-averaged FA). */
  claims: number;
  agreeing: number;
  /** The response parses back from its text. */
  wellFormed: boolean;
}

/** A share in [0, 1] on the judge's 1–5 scale. */
export const toScore = (share: number) => 1 + 4 * share;

export function judgeResponse(tokens: Int32Array, measured: MeasuredCues, assoc: Associations): JudgeScores {
  const emotion = tokens[TOKENS - 1];
  let claims = 0, agreeing = 0, support = 0, salient = 0, covered = 0;
  CUES.forEach((cue, k) => {
    const said = tokens[k];
    const level = measured[cue];
    if (isSalient(cue, level)) {
      salient++;
      if (said !== 0) covered++;
    }
    if (said === 0) return;
    claims++;
    const value = CLAIM_VALUES[cue][said];
    if (level === value) agreeing++;
    const p = assoc[cue][value];
    support += p[emotion] / Math.max(...p);
  });
  const parsed = parseResponse(renderResponse(tokens));
  const wellFormed = parsed !== null && parsed.every((v, i) => v === tokens[i]);
  return {
    // Nothing claimed: no evidence either way.
    fa: toScore(claims ? agreeing / claims : 0.5),
    iq: toScore(claims ? support / claims : 0),
    cc: toScore(salient ? covered / salient : 1),
    fs: wellFormed ? (claims ? 5 : 3) : 1,
    claims,
    agreeing,
    wellFormed,
  };
}

/**
 * The judge's four scores for each claim on its own (one row per cue, CUES order), for
 * claim-level credit (TrainOptions.claimCredit 'claim'): FA 5 if the claim agrees with the
 * measured level, 1 if not, 3 if the cue is not mentioned (no evidence, as judgeResponse's
 * empty response); IQ 1 + 4·support of the claimed level for the chosen emotion (1 if not
 * mentioned); CC 1 for a salient cue left unmentioned, else 5; FS the response's. Averaged
 * over the mentioned claims, FA and IQ are judgeResponse's.
 */
export function judgeClaims(tokens: Int32Array, measured: MeasuredCues, assoc: Associations, fs: number): number[][] {
  const emotion = tokens[TOKENS - 1];
  return CUES.map((cue, k) => {
    const said = tokens[k];
    const level = measured[cue];
    const cc = isSalient(cue, level) && said === 0 ? 1 : 5;
    if (said === 0) return [3, 1, cc, fs];
    const value = CLAIM_VALUES[cue][said];
    const p = assoc[cue][value];
    return [level === value ? 5 : 1, toScore(p[emotion] / Math.max(...p)), cc, fs];
  });
}
