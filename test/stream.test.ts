// createProsodyStream against the offline calls on real recordings, and its bad-input behaviour.
//  - Every fda-ue file (20 kHz) and a sample of RAVDESS clips, written in 20 ms chunks and in
//    random chunk sizes (Float32, Int16 and PCM16 Buffers split at odd byte offsets): the frame
//    events give the same voicing as extractF0 on ≥ 99.5 % of frames and |ΔF0| < 1 cent on ≥ 99 %
//    of the frames voiced in both; the output does not depend on the chunking.
//  - Utterance functionals equal extractProsody over the same span (the 16 kHz samples of the
//    span): tolerance 1e-6 relative (the analysis is the same code on the same samples, the stream's
//    16 kHz conversion equals resample()'s sample for sample, see native/tests/stream_test.cpp),
//    and the whole utterance (emotion, probabilities, reasoning, claims) equals analyze() of a
//    16 kHz float WAV of the span exactly.
//  - Turns: clips joined with known pauses give one utterance per clip, at the clip's speech.
//  - Bad input: NaN/Inf, a sample-rate change, write after end, a wrong type, half a sample at the
//    end: coded error events, the stream goes on; a 10-minute chunk and an hour of silence are
//    processed with bounded memory; abort rejects readers with an AbortError.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { analyze, createProsodyStream, extractF0, extractProsody, loadAudio, type StreamEvent, type FrameEvent, type UtteranceEvent } from '../src/index.js';
import { rng } from './helpers/rng.js';
import { makeWav } from './helpers/wav.js';
import { speechSpan } from '../src/inference/featurize.js';

const DATA = path.resolve(__dirname, '../../shared/data');
const fda = fs.readdirSync(path.join(DATA, 'fda-ue')).filter((f) => f.endsWith('.wav')).sort().map((f) => path.join(DATA, 'fda-ue', f));
const ravdessAll = fs.readdirSync(path.join(DATA, 'ravdess')).filter((f) => f.endsWith('.wav')).sort();
// Every 40th clip: all actors' files spread over emotions and intensities, 24 clips.
const ravdess = ravdessAll.filter((_, i) => i % 40 === 0).map((f) => path.join(DATA, 'ravdess', f));

type Chunker = (n: number) => number;
const every20ms = (rate: number): Chunker => () => rate / 50;
const randomSizes = (seed: number): Chunker => {
  const r = rng(seed);
  return () => 1 + Math.floor(r() * 4000);
};

/** Streams samples (Float32) in chunks; returns every event in order. */
async function run(samples: Float32Array, rate: number, next: Chunker, options: Record<string, unknown> = {}, form: 'f32' | 'i16' | 'bytes' = 'f32'): Promise<StreamEvent[]> {
  const s = createProsodyStream({ sampleRate: rate, ...options });
  const events: StreamEvent[] = [];
  const reading = (async () => {
    for await (const ev of s) events.push(ev);
  })();
  let i16: Int16Array | null = null;
  let bytes: Uint8Array | null = null;
  if (form !== 'f32') {
    i16 = new Int16Array(samples.length);
    for (let k = 0; k < samples.length; k++) i16[k] = Math.max(-32768, Math.min(32767, Math.round(samples[k] * 32768)));
    bytes = new Uint8Array(i16.buffer);
  }
  if (form === 'bytes') {
    // Byte chunks of any length: samples split across writes.
    for (let b = 0; b < bytes!.length; ) {
      const n = Math.max(1, Math.min(bytes!.length - b, 2 * next(0) + 1));
      if (!s.write(Buffer.from(bytes!.subarray(b, b + n)))) await s.drained();
      b += n;
    }
  } else {
    for (let b = 0; b < samples.length; ) {
      const n = Math.max(1, Math.min(samples.length - b, Math.round(next(0))));
      if (!s.write(form === 'i16' ? i16!.subarray(b, b + n) : samples.subarray(b, b + n))) await s.drained();
      b += n;
    }
  }
  await s.end();
  await reading;
  return events;
}

interface Tally { frames: number; sameVoicing: number; voicedBoth: number; withinCent: number }
function compare(frames: FrameEvent[], off: { f0: Float32Array }, t: Tally): void {
  expect(frames.length).toBe(off.f0.length);
  for (let i = 0; i < frames.length; i++) {
    const a = Number.isNaN(off.f0[i]) ? null : off.f0[i];
    const b = frames[i].f0;
    t.frames++;
    if ((a === null) === (b === null)) t.sameVoicing++;
    if (a !== null && b !== null) {
      t.voicedBoth++;
      if (Math.abs(1200 * Math.log2(a / b)) < 1) t.withinCent++;
    }
  }
}
const framesOf = (ev: StreamEvent[]) => ev.filter((e): e is FrameEvent => e.type === 'frame');

describe('createProsodyStream: frames against extractF0', () => {
  it('every fda-ue file and a RAVDESS sample, in 20 ms and random chunks, agree with the offline tracker', async () => {
    const t20: Tally = { frames: 0, sameVoicing: 0, voicedBoth: 0, withinCent: 0 };
    const tr: Tally = { ...t20 };
    let chunkDependent = 0;
    const files = [...fda, ...ravdess];
    for (const [k, file] of files.entries()) {
      const audio = await loadAudio(file);
      const off = await extractF0(file);
      const a = framesOf(await run(audio.samples, audio.sampleRate, every20ms(audio.sampleRate)));
      compare(a, off, t20);
      const b = framesOf(await run(audio.samples, audio.sampleRate, randomSizes(k + 1)));
      compare(b, off, tr);
      if (JSON.stringify(a) !== JSON.stringify(b)) chunkDependent++;
      // Frame times: frame i at i · 10 ms.
      expect(a.every((f, i) => Math.abs(f.time - i * 0.01) < 1e-9)).toBe(true);
    }
    for (const t of [t20, tr]) {
      expect(t.sameVoicing / t.frames).toBeGreaterThanOrEqual(0.995);
      expect(t.withinCent / t.voicedBoth).toBeGreaterThanOrEqual(0.99);
    }
    expect(chunkDependent).toBe(0);
    console.log(`stream vs extractF0 over ${files.length} files, ${t20.frames} frames: same voicing ${(100 * t20.sameVoicing / t20.frames).toFixed(3)} %, within 1 cent ${(100 * t20.withinCent / t20.voicedBoth).toFixed(3)} % of ${t20.voicedBoth} voiced in both`);
  });

  it('Int16Array and PCM16 Buffers split at odd byte offsets give the same frames as Float32 of the same samples', async () => {
    const audio = await loadAudio(ravdess[3]);
    const q = Float32Array.from(audio.samples, (x) => Math.max(-32768, Math.min(32767, Math.round(x * 32768))) / 32768);
    const ref = JSON.stringify(framesOf(await run(q, audio.sampleRate, every20ms(audio.sampleRate))));
    expect(JSON.stringify(framesOf(await run(audio.samples, audio.sampleRate, randomSizes(5), {}, 'i16')))).toBe(ref);
    expect(JSON.stringify(framesOf(await run(audio.samples, audio.sampleRate, randomSizes(6), {}, 'bytes')))).toBe(ref);
  });
});

describe('createProsodyStream: turns and utterances', () => {
  it('a 48 kHz stereo-original clip: one utterance whose functionals equal extractProsody over the same span', async () => {
    for (const file of [ravdess[5], path.join(DATA, 'ravdess-48k', '03-01-05-02-01-01-03.wav')]) {
      const audio = await loadAudio(file, { mono: true });
      const ev = await run(audio.samples, audio.sampleRate, every20ms(audio.sampleRate), { frames: false });
      const utts = ev.filter((e): e is UtteranceEvent => e.type === 'utterance');
      expect(utts.length).toBe(1);
      const u = utts[0];
      expect(ev.filter((e) => e.type === 'speech-start').length).toBe(1);
      expect(u.emotion).not.toBeNull();
      expect(Object.values(u.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      expect(u.reasoning).toMatch(/<think>[\s\S]+<\/think><answer>[a-z]+<\/answer>/);
      // analyze's confidence verdict travels with the turn: flagged exactly when reasons are given.
      expect(Array.isArray(u.uncertainty)).toBe(true);
      expect(u.uncertain).toBe(u.uncertainty.length > 0);
      // The same span of the offline 16 kHz signal through extractProsody: the turn's utterance,
      // i.e. its speech span when the turn holds more silence than that (featurize.ts utteranceOf).
      const a16 = await loadAudio(file, { mono: true, sampleRate: 16000 });
      const span = a16.samples.slice(Math.round(u.start * 16000), Math.round(u.end * 16000));
      const turn = await extractProsody(span, { sampleRate: 16000 });
      const cut = speechSpan(turn, span.length, 16000);
      const off = cut ? await extractProsody(span.slice(cut[0], cut[1]), { sampleRate: 16000 }) : turn;
      const keys = Object.keys(off.functionals);
      expect(keys.length).toBeGreaterThan(30);
      for (const k of keys) {
        const x = off.functionals[k], y = u.prosody.functionals[k];
        if (x === null) expect(y).toBeNull();
        else expect(Math.abs(x - (y as number))).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(x)));
      }
      expect(u.prosody.intonation.label).toBe(off.intonation.label);
      // The whole turn is analyze() of that span (a 16 kHz float WAV of it), bit for bit: the
      // stream analyses its own copy of the samples in place, without the WAV round trip.
      const a = await analyze(makeWav(span, { sampleRate: 16000, format: 'f32' }));
      expect({ emotion: u.emotion, probabilities: u.probabilities, reasoning: u.reasoning, claims: u.claims, uncertainty: u.uncertainty, prosody: u.prosody })
        .toEqual({ emotion: a.emotion, probabilities: a.probabilities, reasoning: a.reasoning, claims: a.claims, uncertainty: a.uncertainty, prosody: a.prosody });
    }
  });

  it('three clips joined by known pauses give three turns at the clips', async () => {
    const clips = await Promise.all([ravdess[2], ravdess[9], ravdess[17]].map((f) => loadAudio(f)));
    const gap = new Float32Array(16000 * 1.5);
    const parts: Float32Array[] = [gap];
    const offsets: number[] = [];
    let at = gap.length;
    for (const c of clips) {
      offsets.push(at / 16000);
      parts.push(c.samples, gap);
      at += c.samples.length + gap.length;
    }
    const x = new Float32Array(at);
    let o = 0;
    for (const p of parts) {
      x.set(p, o);
      o += p.length;
    }
    const ev = await run(x, 16000, every20ms(16000), { frames: false });
    const utts = ev.filter((e): e is UtteranceEvent => e.type === 'utterance');
    expect(utts.length).toBe(3);
    utts.forEach((u, i) => {
      // Each turn lies inside its clip (RAVDESS clips hold ~1 s of silence around the sentence).
      expect(u.speechStart).toBeGreaterThanOrEqual(offsets[i]);
      expect(u.speechEnd).toBeLessThanOrEqual(offsets[i] + clips[i].samples.length / 16000);
      expect(u.speechEnd - u.speechStart).toBeGreaterThan(0.5);
      expect(u.timing.hangoverSeconds).toBeGreaterThanOrEqual(0.5 - 0.011);
    });
    // speech-start and speech-end alternate; each utterance follows its speech-end (written faster
    // than real time, the next turn may start before an analysis is out).
    const seq = ev.filter((e) => e.type === 'speech-start' || e.type === 'speech-end').map((e) => e.type);
    expect(seq).toEqual(['speech-start', 'speech-end', 'speech-start', 'speech-end', 'speech-start', 'speech-end']);
    const ends = ev.filter((e) => e.type === 'speech-end') as Extract<StreamEvent, { type: 'speech-end' }>[];
    utts.forEach((u, i) => {
      expect(u.speechEnd).toBe(ends[i].time);
      expect(ev.indexOf(u)).toBeGreaterThan(ev.indexOf(ends[i]));
    });
  });

  it("vad 'silero': the Silero model per 32 ms window (state carried) gives the same turns as the energy VAD within 150 ms", async () => {
    const clips = await Promise.all([ravdess[4], ravdess[13]].map((f) => loadAudio(f)));
    const x = new Float32Array(clips[0].samples.length + clips[1].samples.length);
    x.set(clips[0].samples);
    x.set(clips[1].samples, clips[0].samples.length);
    const energy = (await run(x, 16000, every20ms(16000), { frames: false })).filter((e): e is UtteranceEvent => e.type === 'utterance');
    const silero = (await run(x, 16000, every20ms(16000), { frames: false, vad: 'silero' })).filter((e): e is UtteranceEvent => e.type === 'utterance');
    expect(silero.length).toBe(2);
    expect(energy.length).toBe(2);
    silero.forEach((u, i) => {
      expect(Math.abs(u.speechStart - energy[i].speechStart)).toBeLessThan(0.15);
      expect(Math.abs(u.speechEnd - energy[i].speechEnd)).toBeLessThan(0.15);
      expect(u.emotion).not.toBeNull();
    });
  });

  it('the Web Streams form gives the same events as async iteration; a session adapts utterances', async () => {
    const audio = await loadAudio(ravdess[11]);
    const ref = await run(audio.samples, 16000, every20ms(16000), { frames: false });
    const seen: string[] = [];
    // A session that analyses each turn itself (here with analyze() and a fixed gender) and adapts the event.
    let analysed = 0;
    const session = {
      gender: 'female' as const,
      analyze: (bytes: Uint8Array) => {
        analysed++;
        return analyze(bytes, { gender: 'female' });
      },
      adapt: (u: UtteranceEvent) => {
        seen.push(u.emotion ?? 'none');
        return { ...u, reasoning: 'adapted ' + u.reasoning };
      },
    };
    const s = createProsodyStream({ sampleRate: 16000, frames: false, session });
    const { writable, readable } = s.toWeb();
    const got: StreamEvent[] = [];
    const reading = (async () => {
      for await (const e of readable as unknown as AsyncIterable<StreamEvent>) got.push(e);
    })();
    const w = writable.getWriter();
    for (let i = 0; i < audio.samples.length; i += 320) await w.write(audio.samples.subarray(i, i + 320));
    await w.close();
    await reading;
    expect(got.map((e) => e.type)).toEqual(ref.map((e) => e.type));
    const u = got.find((e): e is UtteranceEvent => e.type === 'utterance')!;
    expect(u.reasoning.startsWith('adapted <think>')).toBe(true);
    expect(seen.length).toBe(1);
    expect(analysed).toBe(1);
    // The session's gender reached the analysis: the pitch claim's cut points are the female ones.
    const refU = ref.find((e): e is UtteranceEvent => e.type === 'utterance')!;
    expect(u.prosody.gender).toEqual({ value: 'female', source: 'metadata' });
    expect(refU.prosody.functionals).toEqual(u.prosody.functionals);
  });
});

describe('createProsodyStream: bad input', () => {
  it('NaN/Inf, a rate change, a wrong type, write after end and half a sample are coded error events; the stream goes on', async () => {
    const audio = await loadAudio(ravdess[0]);
    const s = createProsodyStream({ sampleRate: 16000 });
    const events: StreamEvent[] = [];
    s.on('event', (e) => events.push(e));
    const x = Float32Array.from(audio.samples);
    x[1000] = NaN;
    x[2000] = Infinity;
    s.write(x.subarray(0, 16000));
    s.write({ samples: x.subarray(16000, 16320), sampleRate: 48000 });
    s.write('not audio' as never);
    s.write(x.subarray(16000));
    s.write(Buffer.from([1, 2, 3])); // one and a half samples: the half is pending at end()
    await s.end();
    s.write(x.subarray(0, 320));
    const errors = events.filter((e) => e.type === 'error') as Extract<StreamEvent, { type: 'error' }>[];
    expect(errors.map((e) => e.code)).toEqual(['ERR_INVALID_ARG', 'ERR_INVALID_ARG', 'ERR_INVALID_ARG', 'ERR_INVALID_ARG', 'ERR_INVALID_ARG']);
    expect(errors[0].message).toMatch(/2 sample\(s\) not finite.*index 1000, NaN/);
    expect(errors[1].message).toMatch(/sample rate changed mid-stream from 16000 Hz to 48000 Hz/);
    expect(errors[2].message).toMatch(/got string/);
    expect(errors[3].message).toMatch(/half a PCM16 sample/);
    expect(errors[4].message).toMatch(/write after end/);
    // The chunk at the other rate is not counted; everything else is, the whole sample of the
    // 3-byte Buffer included: frames for all of it.
    const frames = events.filter((e) => e.type === 'frame').length;
    const n = audio.samples.length + 1;
    expect(frames).toBe(Math.floor(n / 160 + 1e-9) + 1);
    expect(events.some((e) => e.type === 'utterance')).toBe(true);
  });

  it('a 10-minute chunk is processed piece by piece; an hour of silence keeps memory bounded and yields no turn', async () => {
    const ten = new Float32Array(16000 * 600);
    const clip = (await loadAudio(ravdess[7])).samples;
    for (let o = 0; o + clip.length <= ten.length; o += 16000 * 30) ten.set(clip, o);
    const s = createProsodyStream({ sampleRate: 16000, frames: false });
    let utterances = 0;
    s.on('utterance', () => utterances++);
    expect(s.write(ten)).toBe(false); // more than highWaterSeconds waits: backpressure, nothing dropped
    await s.drained();
    await s.end();
    expect(utterances).toBe(20);

    const h = createProsodyStream({ sampleRate: 8000, frames: false });
    let turns = 0;
    h.on('speech-start', () => turns++);
    const second = new Float32Array(8000);
    const rss0 = process.memoryUsage().rss;
    let most = 0;
    for (let i = 0; i < 3600; i++) {
      if (!h.write(second)) await h.drained();
      if (i % 100 === 0) {
        await new Promise((r) => setImmediate(r));
        most = Math.max(most, process.memoryUsage().rss - rss0);
      }
    }
    await h.end();
    expect(turns).toBe(0);
    expect(h.writtenSeconds).toBe(3600);
    expect(most).toBeLessThan(64 * 2 ** 20);
  });

  it('a stream read through listeners alone keeps no queue; an iterator created later gets what came before it', async () => {
    const clip = (await loadAudio(ravdess[2])).samples;
    const s = createProsodyStream({ sampleRate: 16000, maxQueuedEvents: 16 });
    let seen = 0;
    s.on('event', () => seen++);
    s.write(clip);
    await s.end();
    // Nothing was queued for a reader: an iterator now ends at once.
    const late: StreamEvent[] = [];
    for await (const e of s) late.push(e);
    expect(late).toEqual([]);
    expect(seen).toBeGreaterThan(300);
    expect(s.droppedFrames).toBe(0);
    // Without listeners, events wait for the first reader; past maxQueuedEvents frames are dropped, turns never.
    const t = createProsodyStream({ sampleRate: 16000, maxQueuedEvents: 16 });
    t.write(clip);
    await t.end();
    const got: StreamEvent[] = [];
    for await (const e of t) got.push(e);
    expect(got.filter((e) => e.type === 'frame').length).toBe(16);
    expect(got.filter((e) => e.type === 'utterance').length).toBe(1);
    expect(t.droppedFrames).toBe(Math.floor(clip.length / 160 + 1e-9) + 1 - 16);
  });

  it('abort: readers reject with an AbortError and later writes are error events', async () => {
    const ac = new AbortController();
    const s = createProsodyStream({ sampleRate: 16000, signal: ac.signal });
    const clip = (await loadAudio(ravdess[1])).samples;
    s.write(clip);
    const reading = (async () => {
      for await (const _ of s) ac.abort();
    })();
    await expect(reading).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    const errs: string[] = [];
    s.on('event', (e) => e.type === 'error' && errs.push(e.message));
    s.write(clip);
    expect(errs[0]).toMatch(/closed/);
  });

  it('options are checked: unknown keys, a bad rate, a bad vad, out-of-range stream options', () => {
    expect(() => createProsodyStream({ sampleRate: 16000, nope: 1 } as never)).toThrow(/unknown option "nope"/);
    expect(() => createProsodyStream({ sampleRate: 44.1 })).toThrow(/sampleRate/);
    expect(() => createProsodyStream({ sampleRate: 100 })).toThrow(/ERR_INVALID_ARG|at least twice f0Max|sampleRate/);
    expect(() => createProsodyStream({ sampleRate: 16000, vad: 'x' as never })).toThrow(/option "vad"/);
    expect(() => createProsodyStream({ sampleRate: 16000, endSilenceMs: 5 })).toThrow(/option "endSilenceMs" must be a number in \[20, 10000\]/);
    expect(() => createProsodyStream({ sampleRate: 16000, tracker: { maxLagSeconds: 99 } })).toThrow(/maxLagSeconds/);
  });
});
