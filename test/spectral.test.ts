import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { EmotionThinkerError, loadAudio, spectralStats, spectralStatsAsync } from '../src/index.js';
import { sine } from './helpers/wav.js';

const sample = path.resolve(__dirname, '../samples/hello.wav');

describe('spectralStats', () => {
  it('puts a tone in the right mel band and keeps its cepstrum steady; speech moves more', async () => {
    const lo = spectralStats(sine(500, 16000, 16000, 0.3), 16000);
    const hi = spectralStats(sine(3000, 16000, 16000, 0.3), 16000);
    const argmax = (a: Float32Array) => a.reduce((b, v, i) => (v > a[b] ? i : b), 0);
    expect(argmax(lo.melMean)).toBeLessThan(argmax(hi.melMean));
    expect(lo.frames).toBe(98);
    const speech = await loadAudio(sample, { sampleRate: 16000, mono: true });
    const s = spectralStats(speech.samples, 16000);
    const spread = (st: typeof s) => st.mfccStd.slice(1).reduce((a, v) => a + v, 0);
    expect(spread(s)).toBeGreaterThan(5 * spread(lo));
    // Silence before and after the words is left out of the statistics.
    expect(s.usedFrames).toBeLessThan(s.frames);
    const a = await spectralStatsAsync(speech.samples, 16000);
    expect(Array.from(a.mfccMean)).toEqual(Array.from(s.mfccMean));
  });

  it('short, silent and bad input', () => {
    const short = spectralStats(new Float32Array(100), 16000);
    expect(short.frames).toBe(0);
    expect(short.mfccMean.length).toBe(13);
    const silent = spectralStats(new Float32Array(16000), 16000);
    expect(Array.from(silent.mfccMean).every(Number.isFinite)).toBe(true);
    const x = new Float32Array(1000);
    x[321] = NaN;
    expect(() => spectralStats(x, 16000)).toThrow(/sample 321 is NaN; audio samples must be finite/);
    expect(() => spectralStats(new Float32Array(1000), 2000)).toThrow(EmotionThinkerError);
    expect(() => spectralStats(new Float32Array(1000), 16000, { melBands: 2 })).toThrow(/mel bands/);
  });
});
