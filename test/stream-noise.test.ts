// Issue #16 in the live path: the stream's energy VAD in noise. A frame was speech when its RMS lay
// within energyRelativeDb (30 dB) of the last 10 s's loudest frame; white noise at 10 dB SNR lies
// within that of the speech peaks, so four sentences with 1.5 s gaps became one 21 s turn. The VAD
// now also wants energyNoiseMarginDb (3 dB) over the window's noise floor (the offline silence
// rule's floor, src/sounding-rule.ts).
import { describe, expect, it } from 'vitest';
import { createProsodyStream } from '../src/index.js';
import { sentencesWithGaps } from './helpers/sentences.js';
import { mixAtSnr, whiteNoise } from '../src/train/augment.js';
import { Rng } from '../src/train/rng.js';

async function turns(samples: Float32Array): Promise<[number, number][]> {
  const s = createProsodyStream({ sampleRate: 16000, vad: 'energy', frames: false });
  const out: [number, number][] = [];
  const done = (async () => {
    for await (const ev of s) if (ev.type === 'utterance') out.push([ev.start, ev.end]);
  })();
  for (let i = 0; i < samples.length; i += 320) s.write(samples.subarray(i, Math.min(samples.length, i + 320)));
  await s.end();
  await done;
  return out;
}

describe('live stream, energy VAD, in white noise', () => {
  it('four sentences with 1.5 s gaps stay four turns at 10 dB SNR, each over its clean turn', async () => {
    const x = await sentencesWithGaps();
    const clean = await turns(x);
    const noisy = await turns(mixAtSnr(x, whiteNoise(x.length, new Rng(1)), 10));
    console.log('turns clean', JSON.stringify(clean), 'white noise 10 dB', JSON.stringify(noisy));
    expect(clean).toHaveLength(4);
    expect(noisy).toHaveLength(4); // one 0–21 s turn before
    for (let k = 0; k < 4; k++) {
      // Each noisy turn holds its clean turn's speech; all but the first end within 0.1 s of it
      // (before the first speech peak, noise alone can open the first turn early).
      expect(noisy[k][0]).toBeLessThanOrEqual(clean[k][0] + 0.1);
      expect(Math.abs(noisy[k][1] - clean[k][1])).toBeLessThan(0.1);
      if (k > 0) expect(Math.abs(noisy[k][0] - clean[k][0])).toBeLessThan(0.1);
    }
  }, 120_000);
});
