// Text form of a response: <think>claims and conclusion</think><answer>emotion</answer>,
// written from templates, and the parser that checks a text is well formed (the format reward).
import { CLAIM_VALUES, CUES, EMOTIONS, TOKENS, type Cue } from './vocab.js';

const CUE_WORDS: Record<Cue, string> = {
  pitch: 'the pitch is',
  energy: 'the vocal energy is',
  speed: 'the speaking rate is',
  intonation: 'the intonation is',
};

/** Optional evidence per cue, appended in parentheses after the claim. */
export type Evidence = Partial<Record<Cue, string>>;

function sentence(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function renderResponse(tokens: ArrayLike<number>, evidence: Evidence = {}): string {
  const claims: string[] = [];
  CUES.forEach((cue, k) => {
    if (tokens[k] === 0) return;
    const ev = evidence[cue] ? ` (${evidence[cue]})` : '';
    claims.push(`${CUE_WORDS[cue]} ${CLAIM_VALUES[cue][tokens[k]]}${ev}`);
  });
  const emotion = EMOTIONS[tokens[TOKENS - 1]];
  const think = claims.length
    ? `${sentence(claims.join('; '))}. These cues point to ${emotion}.`
    : `No prosodic cue stands out clearly, so the judgement rests on the overall voice quality: ${emotion}.`;
  return `<think>${think}</think><answer>${emotion}</answer>`;
}

/**
 * Parses a rendered response back into tokens; null when the text is not well formed (missing
 * tags, an unknown emotion, a claim stated twice, or the answer contradicting the reasoning).
 */
export function parseResponse(text: string): Int32Array | null {
  const m = /^<think>([\s\S]*)<\/think><answer>([a-z]+)<\/answer>$/.exec(text);
  if (!m) return null;
  const [, think, answer] = m;
  const e = EMOTIONS.indexOf(answer as (typeof EMOTIONS)[number]);
  if (e < 0) return null;
  const tokens = new Int32Array(TOKENS);
  tokens[TOKENS - 1] = e;
  const lower = think.toLowerCase();
  for (const [k, cue] of CUES.entries()) {
    const phrase = CUE_WORDS[cue];
    const first = lower.indexOf(phrase);
    if (first < 0) continue;
    if (lower.indexOf(phrase, first + 1) >= 0) return null; // the same cue claimed twice
    const rest = lower.slice(first + phrase.length + 1);
    // Longest value first so "rising-falling" is not read as "rising".
    const values = CLAIM_VALUES[cue].map((v, i) => [v, i] as const).filter(([, i]) => i > 0).sort((a, b) => b[0].length - a[0].length);
    const hit = values.find(([v]) => rest.startsWith(v));
    if (!hit) return null;
    tokens[k] = hit[1];
  }
  if (!lower.includes(answer)) return null; // the conclusion must name the answer
  return tokens;
}
