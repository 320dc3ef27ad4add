// Cancellation (issue #14): every long async call takes `signal`; an aborted signal rejects with
// an AbortError, and the work behind it stops (native runs at their next chunk, counted by
// nativeCancelledRuns; ONNX scans at their next window; queued ONNX runs never start). Also the
// CLI's Ctrl-C and workers started from a `node --input-type=module` parent.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  analyze,
  decodeWavAsync,
  detectSpeech,
  extractF0,
  extractProsody,
  extractProsodyBatch,
  loadAudio,
  OnnxGraphBuilder,
  OnnxModel,
  resampleAsync,
  SileroVad,
  spectralStatsAsync,
  trainAsync,
  voiceStatsAsync,
} from '../src/index.js';
import { buildReport } from '../src/report.js';
import { nativeCancelledRuns, nativeRunsUnderSignal } from '../src/native-cancel.js';
import { prepareRavdess } from '../src/train/corpus.js';
import { cueFeatureIndices } from '../src/train/corpus.js';
import { makeWav } from './helpers/wav.js';

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const RAVDESS = path.resolve(root, '../shared/data/ravdess');
const CLIP = path.join(RAVDESS, readdirSync(RAVDESS).filter((f) => f.endsWith('.wav')).sort()[0]);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-cancel-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `seconds` of a voiced, syllabic signal at `rate`: enough work that a run is still going when aborted. */
function speechLike(rate: number, seconds: number): Float32Array {
  const n = Math.round(rate * seconds);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    const f0 = 140 + 40 * Math.sin(2 * Math.PI * 0.3 * t);
    const env = 0.2 + 0.8 * Math.sin(2 * Math.PI * 2 * t) ** 2;
    x[i] = 0.3 * env * (Math.sin(2 * Math.PI * f0 * t) + 0.5 * Math.sin(4 * Math.PI * f0 * t));
  }
  return x;
}

const LONG_RATE = 16000;
let long: Float32Array;
beforeAll(() => {
  // On a SharedArrayBuffer, which the async calls read in place: a caller's ArrayBuffer input
  // over 4 MiB is first copied a slice per turn of the loop (src/copy-off-loop.ts), and an abort
  // landing in that copy would stop the call before any native run (tested in native-safety).
  const speech = speechLike(LONG_RATE, 240);
  long = new Float32Array(new SharedArrayBuffer(speech.byteLength));
  long.set(speech);
});

/** The rejection of `p` (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  return p.then(
    () => {
      throw new Error('expected the call to reject');
    },
    (e: Error & { code?: string }) => e,
  );
}

function expectAbortError(err: Error & { code?: string }) {
  expect(err.name).toBe('AbortError');
  expect(err.code).toBe('ABORT_ERR');
}

const aborted = () => {
  const c = new AbortController();
  c.abort();
  return c.signal;
};

/** Every long call, each given `signal` (a short real input: an aborted call must not look at it). */
const calls: [string, (signal: unknown) => Promise<unknown>][] = [
  ['loadAudio', (signal) => loadAudio(CLIP, { signal } as never)],
  ['decodeWavAsync', (signal) => decodeWavAsync(readFileSync(CLIP), CLIP, { signal } as never)],
  ['resampleAsync', (signal) => resampleAsync(new Float32Array(48000), 48000, 16000, { signal } as never)],
  ['extractProsody', (signal) => extractProsody(CLIP, { signal } as never)],
  ['extractF0', (signal) => extractF0(CLIP, { signal } as never)],
  ['extractProsodyBatch', (signal) => extractProsodyBatch([CLIP, CLIP], { signal } as never)],
  ['spectralStatsAsync', (signal) => spectralStatsAsync(new Float32Array(16000), 16000, { signal } as never)],
  ['voiceStatsAsync', (signal) => voiceStatsAsync(new Float32Array(16000), 16000, new Float32Array(100), 0.01, { signal } as never)],
  ['analyze', (signal) => analyze(CLIP, { signal } as never)],
  ['buildReport', (signal) => buildReport(CLIP, { signal } as never)],
  ['detectSpeech', (signal) => detectSpeech(CLIP, { signal } as never)],
];

describe('signal option', () => {
  it.each(calls)('%s: an already-aborted signal rejects with an AbortError, no native run starts', async (_name, call) => {
    const before = nativeCancelledRuns();
    const err = await rejection(call(aborted()));
    expectAbortError(err);
    // Nothing was started, so nothing had to be stopped.
    expect(nativeCancelledRuns()).toBe(before);
  });

  it.each(calls)('%s: a signal that is not an AbortSignal is ERR_INVALID_ARG', async (_name, call) => {
    const err = await rejection(call({ aborted: true }));
    expect(err.code).toBe('ERR_INVALID_ARG');
    expect(err.message).toMatch(/signal must be an AbortSignal/);
  });

  it('one signal over a wide batch: no MaxListenersExceededWarning on the caller\'s signal', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const c = new AbortController();
      const items = await extractProsodyBatch(Array(24).fill(CLIP), { concurrency: 16, signal: c.signal });
      expect(items.every((it) => it.result)).toBe(true);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });

  it('the synchronous prosody calls refuse a signal instead of ignoring it', async () => {
    const { extractProsodySync, extractF0Sync } = await import('../src/index.js');
    const signal = new AbortController().signal;
    expect(() => extractProsodySync(CLIP, { signal })).toThrow(/synchronous and cannot be aborted/);
    expect(() => extractF0Sync(CLIP, { signal })).toThrow(/synchronous and cannot be aborted/);
  });
});

describe('aborting a running call stops its native work', () => {
  // Each call runs on four minutes of audio (well over a second of native work); the abort comes
  // while it runs. The native run must end at a cancel check (counted), not run to its end.
  // [name, call, native runs in flight when the abort comes]
  const nativeCalls: [string, (signal: AbortSignal) => Promise<unknown>, number][] = [
    ['extractProsody', (signal) => extractProsody(long, { sampleRate: LONG_RATE, signal }), 1],
    ['extractF0', (signal) => extractF0(long, { sampleRate: LONG_RATE, signal }), 1],
    ['resampleAsync', (signal) => resampleAsync(long, LONG_RATE, 44100, { signal, threads: 2 }), 1],
    ['spectralStatsAsync', (signal) => spectralStatsAsync(long, LONG_RATE, { signal }), 1],
    ['voiceStatsAsync', (signal) => voiceStatsAsync(long, LONG_RATE, new Float32Array(24000).fill(150), 0.01, { signal }), 1],
    // Two clips in flight (concurrency 2): both stop; the third never starts.
    ['extractProsodyBatch', (signal) => extractProsodyBatch([long, long, long], { sampleRate: LONG_RATE, concurrency: 2, signal }), 2],
  ];
  it.each(nativeCalls)('%s', async (_name, call, inFlight) => {
    const before = nativeCancelledRuns();
    const c = new AbortController();
    const p = call(c.signal);
    setTimeout(() => c.abort(), 20);
    expectAbortError(await rejection(p));
    await vi.waitFor(() => expect(nativeCancelledRuns()).toBe(before + inFlight), { timeout: 30_000, interval: 20 });
  });

  it('the same calls without an abort run to their end (the counter counts only stopped runs)', async () => {
    const before = nativeCancelledRuns();
    const c = new AbortController();
    const r = await extractF0(long.subarray(0, LONG_RATE * 5), { sampleRate: LONG_RATE, signal: c.signal });
    expect(r.f0.length).toBeGreaterThan(400);
    expect(nativeCancelledRuns()).toBe(before);
  });

  it('analyze: aborting during the analysis of a long WAV rejects and stops the native run', async () => {
    const file = path.join(tmp, 'long.wav');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, makeWav(long, { sampleRate: LONG_RATE }));
    const before = nativeCancelledRuns();
    const c = new AbortController();
    const p = analyze(file, { signal: c.signal });
    // Abort once one native run has been in flight for 100 ms (the prosody run of 4 minutes of
    // audio lasts seconds): a fixed delay could land in reading or between runs on a loaded machine.
    let seen = -1;
    let since = 0;
    await vi.waitFor(
      () => {
        const { started, inFlight } = nativeRunsUnderSignal();
        if (inFlight === 0 || started !== seen) {
          seen = inFlight === 0 ? -1 : started;
          since = performance.now();
        }
        expect(seen >= 0 && performance.now() - since >= 100).toBe(true);
      },
      { timeout: 60_000, interval: 5 },
    );
    c.abort();
    expectAbortError(await rejection(p));
    await vi.waitFor(() => expect(nativeCancelledRuns()).toBeGreaterThan(before), { timeout: 30_000, interval: 20 });
  });

  it('loadAudio: aborting a long stereo 48 kHz decode + mix + resample rejects with an AbortError', async () => {
    const stereo = new Float32Array(48000 * 120 * 2);
    for (let i = 0; i < stereo.length; i++) stereo[i] = 0.1 * Math.sin(i * 0.01);
    const bytes = makeWav(stereo, { sampleRate: 48000, channels: 2 });
    const c = new AbortController();
    const p = loadAudio(bytes, { sampleRate: 16000, mono: true, signal: c.signal });
    setTimeout(() => c.abort(), 5);
    expectAbortError(await rejection(p));
  });
});

describe('aborting ONNX work', () => {
  it('detectSpeech: the Silero scan stops at its next window', async () => {
    const vad = await SileroVad.create();
    try {
      const c = new AbortController();
      const runs = vad.model.stats.runs;
      const p = detectSpeech(long, { vad, signal: c.signal });
      p.catch(() => {});
      // Abort once the scan has reached the worker (4 minutes: thousands of windows to go).
      await vi.waitFor(() => expect(vad.model.stats.runs).toBe(runs + 1), { timeout: 30_000, interval: 5 });
      c.abort();
      expectAbortError(await rejection(p));
      await vi.waitFor(() => expect(vad.model.stats.cancelledScans).toBe(1), { timeout: 30_000, interval: 20 });
      // The worker is free again and answers the next call.
      const r = await detectSpeech(CLIP, { vad });
      expect(r.segments.length).toBeGreaterThan(0);
    } finally {
      await vad.dispose();
    }
  });

  it('OnnxModel.run: an aborted queued run never starts; a run already aborted rejects at once', async () => {
    const g = new OnnxGraphBuilder('slow');
    g.input('x', 'float32', ['batch', 1024]);
    const w = new Float32Array(1024 * 1024);
    for (let i = 0; i < 1024; i++) w[i * 1024 + i] = 1;
    const W = g.constant('W', w, [1024, 1024]);
    let h = 'x';
    for (let i = 0; i < 30; i++) [h] = g.node('MatMul', [h, W]);
    g.node('Identity', [h], ['y']);
    g.output('y', 'float32', ['batch', 1024]);
    const model = await OnnxModel.create(g.build(), { workers: 1 });
    try {
      const feeds = { x: { type: 'float32' as const, dims: [64, 1024], data: new Float32Array(64 * 1024).fill(1) } };
      expectAbortError(await rejection(model.run(feeds, { signal: aborted() })));
      expect((await rejection(model.run(feeds, { signal: 'no' as never }))).code).toBe('ERR_INVALID_ARG');
      const first = model.run(feeds);
      const c = new AbortController();
      const second = model.run(feeds, { signal: c.signal });
      c.abort();
      expectAbortError(await rejection(second));
      const y = (await first).y.data as Float32Array;
      expect(y[0]).toBe(1);
      // Only the first run reached the worker.
      expect(model.stats.runs).toBe(1);
    } finally {
      await model.dispose();
    }
  });
});

describe('trainAsync', () => {
  let data: Awaited<ReturnType<typeof prepareRavdess>>;
  beforeAll(async () => {
    const dir = path.join(tmp, 'train');
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(RAVDESS).filter((f) => /-0[12]\.wav$/.test(f)).sort().slice(0, 48)) copyFileSync(path.join(RAVDESS, f), path.join(dir, f));
    data = await prepareRavdess(dir, { trainActors: [1, 2], valActors: [], cacheFile: path.join(tmp, 'features.json') });
  }, 300_000);

  it('stops at the RL step after the abort and rejects with an AbortError', async () => {
    const c = new AbortController();
    let stepsRun = 0;
    const options = { data: data.train, associations: data.associations, cueFeatures: cueFeatureIndices(), sftSteps: 4, steps: 20, batchSize: 8, groupSize: 4, seed: 1 };
    const p = trainAsync({
      ...options,
      signal: c.signal,
      onStep: () => {
        if (++stepsRun === 6) c.abort();
      },
    });
    expectAbortError(await rejection(p));
    // 4 SFT + 2 RL steps ran, then the loop stopped at the next RL step: not all 24.
    expect(stepsRun).toBe(6);
    expectAbortError(await rejection(trainAsync({ ...options, signal: aborted() })));
    expect((await rejection(trainAsync({ ...options, signal: 1 as never }))).code).toBe('ERR_INVALID_ARG');
  });
});

describe('CLI', () => {
  it('Ctrl-C stops annotate cleanly: exit code 130, only whole records, a rerun completes the file', async () => {
    if (!existsSync(cli)) throw new Error('build first: dist/cli.js is missing');
    const dir = path.join(tmp, 'annotate');
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(RAVDESS).sort().slice(0, 80)) copyFileSync(path.join(RAVDESS, f), path.join(dir, f));
    const out = path.join(tmp, 'annotate.jsonl');
    const child = spawn(process.execPath, [cli, 'annotate', dir, '--out', out, '--concurrency', '1', '--quiet']);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    while (!(existsSync(out) && readFileSync(out, 'utf8').includes('\n')) && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const text = readFileSync(out, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(80);
    for (const l of lines) expect(typeof JSON.parse(l).audio_path).toBe('string');
    expect(stderr).toMatch(/interrupted; the \d+ records written are kept/);
    const rerun = spawnSync(process.execPath, [cli, 'annotate', dir, '--out', out, '--quiet'], { encoding: 'utf8' });
    expect(rerun.status).toBe(0);
    expect(readFileSync(out, 'utf8').split('\n').filter(Boolean)).toHaveLength(80);
  });
});

describe('workers under a parent started with --input-type=module', () => {
  it('OnnxModel and detectSpeech start their workers', () => {
    if (!existsSync(path.join(root, 'dist', 'index.js'))) throw new Error('build first: dist/index.js is missing');
    const entry = pathToFileURL(path.join(root, 'dist', 'index.js')).href;
    const code = `
      import { OnnxGraphBuilder, OnnxModel, detectSpeech, disposeSharedVad } from ${JSON.stringify(entry)};
      const g = new OnnxGraphBuilder('id');
      g.input('x', 'float32', [2]);
      g.node('Identity', ['x'], ['y']);
      g.output('y', 'float32', [2]);
      const m = await OnnxModel.create(g.build());
      const y = await m.run({ x: { type: 'float32', dims: [2], data: Float32Array.of(3, 4) } });
      await m.dispose();
      const s = await detectSpeech(${JSON.stringify(CLIP)});
      await disposeSharedVad();
      console.log(JSON.stringify({ y: Array.from(y.y.data), segments: s.segments.length }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/require is not defined/);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim());
    expect(out.y).toEqual([3, 4]);
    expect(out.segments).toBeGreaterThan(0);
  });
});
