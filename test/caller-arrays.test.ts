// A caller's arrays after an async call returns (README "Arrays and async calls"): arrays of at
// most 4 MiB may be reused or transferred at once; a larger one transferred during the call is a
// coded error that leaves the package usable. Before: extractProsody, extractF0 and detectSpeech
// read a bare Float32Array after their first await (a reused array gave "no voiced speech"), a
// stream kept Float32Array chunks by reference (one reused frame buffer: no turn at all), and
// detectSpeech on a buffer transferred mid-call rejected with an uncoded DataCloneError and left
// the VAD worker busy forever (every later detectSpeech hung). Also energySegments, which looped
// forever on one NaN sample or a NaN floorDb.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { analyzeSpeaker, createProsodyStream, detectSpeech, energySegments, extractF0, extractProsody, loadAudio, SileroVad, type StreamEvent } from '../src/index.js';
import { readFileSync } from 'node:fs';

const clip = path.resolve(__dirname, '../../shared/data/ravdess/03-01-04-02-02-02-15.wav');
const samples16k = async () => (await loadAudio(clip, { sampleRate: 16000, mono: true })).samples;

describe("a caller's arrays", () => {
  it('extractProsody, extractF0 and detectSpeech copy an array of at most 4 MiB before returning: zeroing it at once changes nothing', async () => {
    const x = await samples16k();
    const ref = { p: await extractProsody({ samples: x, sampleRate: 16000, channels: 1 }), f: await extractF0(x, { sampleRate: 16000 }), v: await detectSpeech(x) };
    expect(ref.v.segments.length).toBeGreaterThan(0);
    const a = Float32Array.from(x), b = Float32Array.from(x), c = Float32Array.from(x);
    const pending = [extractProsody({ samples: a, sampleRate: 16000, channels: 1 }), extractF0(b, { sampleRate: 16000 }), detectSpeech(c)] as const;
    a.fill(0), b.fill(0), c.fill(0);
    const [p, f, v] = await Promise.all(pending);
    expect(p.functionals).toEqual(ref.p.functionals);
    expect(Array.from(f.f0)).toEqual(Array.from(ref.f.f0));
    expect(v.segments).toEqual(ref.v.segments);
    // Transferred at once: the same.
    const d = Float32Array.from(x);
    const moved = detectSpeech(d);
    structuredClone(d.buffer, { transfer: [d.buffer] });
    expect((await moved).segments).toEqual(ref.v.segments);
  });

  it("analyzeSpeaker and a queued OnnxModel.run copy a caller's small inputs too (they were read when their turn came)", async () => {
    const bytes = new Uint8Array(readFileSync(clip));
    const ref = await analyzeSpeaker([bytes.slice(), bytes.slice(), bytes.slice()]);
    const third = bytes.slice();
    const pending = analyzeSpeaker([bytes.slice(), bytes.slice(), third]);
    third.fill(0);
    expect((await pending).map((r) => r.emotion)).toEqual(ref.map((r) => r.emotion));

    const vad = await SileroVad.create({ workers: 1 });
    try {
      const window = () => Float32Array.from({ length: 512 }, (_, i) => 0.5 * Math.sin(i * 0.1) * (1 + Math.sin(i * 0.013)));
      const feeds = (x: Float32Array) => ({ input: { type: 'float32', dims: [1, 512], data: x }, sr: { type: 'int64', dims: [], data: BigInt64Array.of(16000n) }, h: { type: 'float32', dims: [2, 1, 64], data: new Float32Array(128) }, c: { type: 'float32', dims: [2, 1, 64], data: new Float32Array(128) } });
      const expected = await vad.model.run(feeds(window()) as never);
      const a = window(), b = window();
      const runs = [vad.model.run(feeds(a) as never), vad.model.run(feeds(b) as never)];
      b.fill(0); // the second run is still queued behind the first
      const [, second] = await Promise.all(runs);
      expect(Array.from(second.output.data as Float32Array)).toEqual(Array.from(expected.output.data as Float32Array));
    } finally {
      await vad.dispose();
    }
  });

  it('detectSpeech: a large array transferred during the call is ERR_INVALID_ARG, and the next call works', async () => {
    const x = await samples16k();
    const big = new Float32Array(2_000_000); // 8 MB: past the copy made before returning
    for (let o = 0; o + x.length <= big.length; o += x.length) big.set(x, o);
    const pending = detectSpeech(big);
    structuredClone(big.buffer, { transfer: [big.buffer] });
    const err = await pending.then(() => null, (e) => e);
    expect(err?.code).toBe('ERR_INVALID_ARG');
    expect(err.message).toMatch(/detached|transferred/);
    const again = await detectSpeech(Float32Array.from(x));
    expect(again.segments.length).toBeGreaterThan(0);
  });

  it('a stream copies Float32Array chunks: one frame buffer reused for every write, or poisoned after it, gives the same turn', async () => {
    const x = await samples16k();
    const turns = async (mode: 'fresh' | 'reused' | 'poisoned') => {
      const s = createProsodyStream({ sampleRate: 16000, frames: false });
      const events: StreamEvent[] = [];
      const reading = (async () => {
        for await (const e of s) events.push(e);
      })();
      const frame = new Float32Array(320);
      for (let i = 0; i + 320 <= x.length; i += 320) {
        const chunk = mode === 'reused' ? frame : new Float32Array(320);
        chunk.set(x.subarray(i, i + 320));
        if (!s.write(chunk)) await s.drained();
        if (mode === 'poisoned') chunk.fill(NaN);
      }
      await s.end();
      await reading;
      return events.filter((e) => e.type === 'utterance' || e.type === 'error').map((e) => (e.type === 'utterance' ? [e.start, e.end, e.emotion, e.probabilities] : e));
    };
    const fresh = await turns('fresh');
    expect(fresh.length).toBe(1);
    expect(await turns('reused')).toEqual(fresh);
    expect(await turns('poisoned')).toEqual(fresh);
  });

  it('energySegments: a NaN or infinite sample, or a NaN option, is ERR_INVALID_ARG naming it (it looped forever)', () => {
    const x = new Float32Array(16000).map((_, i) => 0.3 * Math.sin((2 * Math.PI * 150 * i) / 16000));
    const bad = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as { code?: string; message: string };
      }
      return null;
    };
    const nan = Float32Array.from(x);
    nan[100] = NaN;
    expect(bad(() => energySegments(nan, 16000))).toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(/sample 100 is NaN/) });
    const inf = Float32Array.from(x);
    inf[7] = Infinity;
    expect(bad(() => energySegments(inf, 16000))).toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(/sample 7 is \+Infinity/) });
    expect(bad(() => energySegments(x, 16000, { floorDb: NaN }))).toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(/floorDb/) });
    expect(bad(() => energySegments(x, 16000, { minPauseMs: -1 }))).toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(/minPauseMs/) });
    expect(energySegments(x, 16000).segments.length).toBe(1);
  });
});
