// CI accuracy floor on fda-ue (laryngograph references), scored with the benchmark's alignment
// rule (benchmarks/f0-accuracy-anchors.mjs). The floor is looser than the measured figures
// (GPE 0.55 %, VDE 4.34 %) so that only a real regression fails.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractF0 } from '../src/index.js';
// @ts-expect-error plain JS module shared with the benchmark
import { loadCorpus, score } from '../benchmarks/f0-accuracy-anchors.mjs';

const DIR = path.resolve(import.meta.dirname, '../../shared/data/fda-ue');

describe.skipIf(!existsSync(DIR))('F0 accuracy floor on fda-ue', () => {
  it('GPE ≤ 0.5 % and VDE ≤ 4.1 % over both speakers, each speaker within bounds', async () => {
    const corpus = loadCorpus(DIR) as { name: string; wav: string }[];
    const tracks = new Map();
    for (const c of corpus) {
      const r = await extractF0(c.wav);
      tracks.set(c.name, { times: r.time, f0: r.f0 });
    }
    const s = score(corpus, tracks);
    console.log(`fda-ue: GPE ${(100 * s.gpe).toFixed(2)}% VDE ${(100 * s.vde).toFixed(2)}% FPE ${s.fpe.toFixed(1)} cents, offset ${s.offsetMs} ms`);
    expect(s.gpe).toBeLessThanOrEqual(0.005);
    expect(s.vde).toBeLessThanOrEqual(0.041);
    for (const sp of Object.values(s.perSpeaker) as { gpe: number; vde: number }[]) {
      expect(sp.gpe).toBeLessThanOrEqual(0.0065);
      expect(sp.vde).toBeLessThanOrEqual(0.054);
    }
  });
});
