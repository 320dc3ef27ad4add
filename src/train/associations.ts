// The cue–emotion associations the judge scores interpretations with (Associations,
// src/inference/judge.ts), fitted on a training split.
import { CLAIM_VALUES, CUES, EMOTIONS, type MeasuredCues } from '../inference/vocab.js';
import type { Associations } from '../inference/judge.js';

export function fitAssociations(measured: MeasuredCues[], emotions: number[]): Associations {
  const out = {} as Associations;
  for (const cue of CUES) {
    out[cue] = {};
    for (const value of CLAIM_VALUES[cue].slice(1)) {
      const counts = new Array(EMOTIONS.length).fill(1);
      measured.forEach((m, i) => {
        if (m[cue] === value) counts[emotions[i]]++;
      });
      const total = counts.reduce((a, b) => a + b, 0);
      out[cue][value] = counts.map((c) => c / total);
    }
  }
  return out;
}
