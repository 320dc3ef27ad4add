// Issue #16, offline VAD in noise: energySegments (and the sounding threshold that refines Silero's
// segment edges) wanted a frame within 25 dB of the clip's 0.99 quantile. White noise at 10 dB SNR
// lies within that of the speech peaks, so the whole recording was one segment. The threshold now
// also stands noiseMarginDb over the clip's noise floor (src/sounding-rule.ts, the prosody silence
// rule).
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { detectSpeech, energySegments, loadAudio } from '../src/index.js';
import { mixAtSnr, whiteNoise } from '../src/train/augment.js';
import { sentencesWithGaps } from './helpers/sentences.js';
import { Rng } from '../src/train/rng.js';

const RAVDESS = path.resolve(__dirname, '../../shared/data/ravdess');

/** Merges segments closer than `gap` s (a sentence's own pauses) into spans. */
function spans(segs: { start: number; end: number }[], gap = 0.8): [number, number][] {
  const out: [number, number][] = [];
  for (const s of segs) {
    const last = out[out.length - 1];
    if (last && s.start - last[1] < gap) last[1] = s.end;
    else out.push([s.start, s.end]);
  }
  return out;
}

describe('energy segmentation in white noise', () => {
  it('keeps four sentences apart at 10 dB SNR, each span within 0.15 s of its clean span', async () => {
    const x = await sentencesWithGaps();
    const clean = spans(energySegments(x, 16000).segments);
    const noisyX = mixAtSnr(x, whiteNoise(x.length, new Rng(3)), 10);
    const noisy = spans(energySegments(noisyX, 16000).segments);
    // The rule without the noise floor (an infinite margin is not "off": pass 0 dB over a floor
    // far below) reads the noise as speech: one span over the whole recording.
    const old = spans(energySegments(noisyX, 16000, { noiseMarginDb: 0, floorDb: -200 }).segments);
    console.log('clean', JSON.stringify(clean), 'noisy', JSON.stringify(noisy), 'without the floor', JSON.stringify(old));
    expect(clean).toHaveLength(4);
    expect(old.length).toBeLessThan(4);
    expect(noisy).toHaveLength(4);
    for (let k = 0; k < 4; k++) {
      expect(Math.abs(noisy[k][0] - clean[k][0])).toBeLessThan(0.15);
      expect(Math.abs(noisy[k][1] - clean[k][1])).toBeLessThan(0.15);
    }
  });

  it('a clean studio clip gets the same threshold as before: the floor binds only in noise', async () => {
    const x = (await loadAudio(path.join(RAVDESS, '03-01-05-01-02-01-14.wav'), { sampleRate: 16000, mono: true })).samples;
    const e = energySegments(x, 16000);
    const sorted = Float32Array.from(e.levelsDb).sort();
    const q99 = sorted[Math.ceil(0.99 * sorted.length) - 1];
    expect(e.thresholdDb).toBeCloseTo(q99 - 25, 6);
    // A margin so large that the bound under the reference binds: threshold q99 − 10 dB.
    expect(energySegments(x, 16000, { noiseMarginDb: 100 }).thresholdDb).toBeCloseTo(q99 - 10, 6);
  });

  it('Silero edges in noise are refined toward the speech, never out into the noise', async () => {
    // Refinement moves an edge to the first/last 5 ms sub-frame over the sounding threshold inside
    // Silero's two-window interval. Under the old threshold every sub-frame of noise was "loud",
    // so each refined edge went to the outer end of its interval, 16–32 ms into the noise
    // (ends 3.904, 8.992, 14.110, 19.136 s against 3.872, 8.960, 14.080, 19.104 unrefined).
    const x = await sentencesWithGaps();
    const noisy = mixAtSnr(x, whiteNoise(x.length, new Rng(4)), 10);
    const refined = (await detectSpeech(noisy)).segments;
    const plain = (await detectSpeech(noisy, { refine: false })).segments;
    console.log('silero in white noise 10 dB, refined', JSON.stringify(refined.map((s) => [s.start, s.end])), 'unrefined', JSON.stringify(plain.map((s) => [s.start, s.end])));
    expect(refined).toHaveLength(plain.length);
    expect(refined.length).toBeGreaterThanOrEqual(4);
    // The unrefined end is Silero's, moved back by endLagMs: the refined one may only be earlier
    // (or within a sub-frame hop). Starts: the unrefined one is padded 30 ms, so the refined start
    // lies at most a few ms before it.
    refined.forEach((s, k) => {
      expect(s.end).toBeLessThanOrEqual(plain[k].end + 0.005);
      expect(s.start).toBeGreaterThanOrEqual(plain[k].start - 0.005);
    });
  }, 60_000);

  it('rejects a negative or non-numeric noiseMarginDb, naming it', () => {
    expect(() => energySegments(new Float32Array(1600), 16000, { noiseMarginDb: -1 })).toThrow(/noiseMarginDb must be a number ≥ 0 dB; got -1/);
    expect(() => energySegments(new Float32Array(1600), 16000, { noiseMarginDb: Number.NaN })).toThrow(/noiseMarginDb/);
  });
});
