import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { disposeSharedVad, EmotionThinkerError, extractProsody, extractProsodySync } from '../src/index.js';

const clip = path.resolve(__dirname, '../../shared/data/ravdess/03-01-05-02-01-01-14.wav');
afterAll(() => disposeSharedVad());

describe("prosody with vad: 'silero'", () => {
  it('takes speech and pauses from Silero and recomputes the dependent functionals', async () => {
    const energy = await extractProsody(clip);
    const silero = await extractProsody(clip, { vad: 'silero' });
    // F0 and levels do not depend on the segmentation; the segments come from another source.
    expect(silero.functionals.f0MedianHz).toBe(energy.functionals.f0MedianHz);
    expect(silero.segments.sounding.length).toBeGreaterThan(0);
    expect(JSON.stringify(silero.segments.sounding)).not.toBe(JSON.stringify(energy.segments.sounding));
    const f = silero.functionals;
    const phonation = silero.segments.sounding.reduce((a, s) => a + s.duration, 0);
    expect(f.phonationTimeS).toBeCloseTo(phonation, 9);
    expect(f.syllableCount).toBe(silero.nuclei.length);
    expect(f.articulationRate).toBeCloseTo(silero.nuclei.length / phonation, 9);
    expect(f.pauseCount).toBe(silero.segments.pauses.length);
    for (const n of silero.nuclei) expect(silero.segments.sounding.some((s) => n.time >= s.start && n.time <= s.end)).toBe(true);
    for (const p of silero.segments.pauses) {
      expect(p.duration).toBeGreaterThanOrEqual(0.25);
      expect(p.start).toBeGreaterThan(0);
      expect(p.end).toBeLessThan(silero.duration);
    }
    // The two segmentations agree on where the speech starts and ends, within 100 ms.
    expect(Math.abs(silero.segments.sounding[0].start - energy.segments.sounding[0].start)).toBeLessThan(0.1);
    expect(Math.abs(silero.segments.sounding.at(-1)!.end - energy.segments.sounding.at(-1)!.end)).toBeLessThan(0.1);
  });

  it('silence has no speech; bad values and the sync variant are clear errors', async () => {
    const silent = await extractProsody(new Float32Array(16000 * 2), { sampleRate: 16000, vad: 'silero' });
    expect(silent.segments.sounding).toEqual([]);
    expect(silent.functionals.syllableCount).toBe(0);
    expect(silent.functionals.articulationRate).toBeNull();
    await expect(extractProsody(clip, { vad: 'webrtc' as 'silero' })).rejects.toThrow(/option "vad" must be 'energy' or 'silero'/);
    expect(() => extractProsodySync(clip, { vad: 'silero' })).toThrow(EmotionThinkerError);
    expect(() => extractProsodySync(clip, { vad: 'silero' })).toThrow(/only available in the async extractProsody/);
  });
});
