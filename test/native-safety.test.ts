// Hostile use of the native async calls (issue #14): inputs detached or shrunk while the work runs,
// worker threads terminated mid-call, SharedArrayBuffer-backed inputs, and two inputs that used
// to escape as uncoded TypeError/RangeError. Each native scenario runs in its own process
// (test/fixtures/native-safety.mjs, importing dist/): a crash shows as a signal/exit code there
// instead of killing the test runner. Needs the built package (npx tsc, node-gyp build).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { groupAdvantages, groupAdvantagesAsync, logitsLoss, logitsLossAsync, resample, resampleAsync } from '../src/index.js';
import { analyze, decodeWav, extractF0, extractProsody, extractProsodySync, loadAudio } from '../src/index.js';
import { extractUtteranceFeatures, featuresFrom, speechSpan } from '../src/inference/featurize.js';
import { reportData } from '../src/report.js';
import { makeWav } from './helpers/wav.js';
import { thrownError } from './helpers/thrown.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.join(here, 'fixtures', 'native-safety.mjs');

function run(scenario: string): Record<string, unknown> {
  expect(existsSync(path.join(here, '..', 'dist', 'index.js')), 'build dist/ first (npx tsc -p tsconfig.json)').toBe(true);
  const r = spawnSync(process.execPath, ['--expose-gc', script, scenario], { encoding: 'utf8', timeout: 300_000 });
  // A SIGSEGV / std::terminate shows here as a signal or a non-zero status.
  expect({ status: r.status, signal: r.signal, stderr: r.stderr.slice(-2000) }).toEqual({ status: 0, signal: null, stderr: expect.any(String) });
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('async calls own what they read', () => {
  it('groupAdvantagesAsync: rewards detached and collected mid-call give the sync result', () => {
    expect(run('detach-advantages')).toEqual({ same: true, detached: true });
  });
  it('groupAdvantagesAsync: an out array detached mid-call is a coded rejection, nothing written', () => {
    const r = run('detach-advantages-out');
    expect(r).toMatchObject({ ok: false, code: 'ERR_INVALID_ARG' });
    expect(r.message).toMatch(/^out was detached or shrunk/);
  });
  it('tokenLossAsync: detached logp/oldLogp give the sync loss and gradient', () => {
    expect(run('detach-token-loss')).toEqual({ sameLoss: true, sameGrad: true });
  });
  it('logitsLossAsync: detached logits give the sync loss, logp and gradient', () => {
    expect(run('detach-logits-loss')).toEqual({ sameLoss: true, sameGrad: true, sameLogp: true });
  });
  it('logitsLossAsync inPlace writes the gradient into the caller\'s logits like the sync call', () => {
    expect(run('logits-in-place')).toEqual({ sameLoss: true, isLogits: true, sameGrad: true });
  });
  it('logitsLossAsync inPlace: logits detached or shrunk (resizable buffer) mid-call reject with ERR_INVALID_ARG', () => {
    for (const s of ['detach-logits-in-place', 'shrink-logits-in-place']) {
      const r = run(s);
      expect(r).toMatchObject({ ok: false, code: 'ERR_INVALID_ARG' });
      expect(r.message).toMatch(/^gradOut was detached or shrunk/);
    }
  });
  it('resampleAsync: input shrunk (resizable buffer) or detached mid-call gives the sync result', () => {
    expect(run('shrink-resample')).toEqual({ same: true });
    expect(run('detach-resample')).toEqual({ same: true });
  });
  it('decodeWavAsync, extractProsody, spectralStatsAsync, voiceStatsAsync: detached inputs give the sync result', () => {
    expect(run('detach-decode-wav')).toEqual({ same: true });
    expect(run('detach-prosody')).toEqual({ same: true });
    expect(run('detach-features')).toEqual({ spectral: true, voice: true });
  });
  it('loadAudio and extractProsody: caller\'s file bytes shrunk mid-call give the sync result', () => {
    expect(run('detach-load-audio-bytes')).toEqual({ load: true, prosody: true });
  });
  it('inputs over 4 MiB, copied between turns of the loop: detached or shrunk mid-copy is ERR_INVALID_ARG naming it', () => {
    const e = 'ERR_INVALID_ARG: true';
    expect(run('detach-large-mid-copy')).toEqual({
      resample: e, prosody: e, spectral: e, decodeWav: e, loadAudio: e, shrink: e, abort: 'ABORT_ERR', same: true,
      logits: e, tokens: e, rewards: e, grpoSame: true,
    });
  });
});

describe('package-held inputs skip the copy (inputsPrivate) with the same results', () => {
  // The internal pipelines (a path decoded, mixed and resampled here; prosody, spectral and voice
  // statistics of those samples) hand the bindings arrays no caller can reach, uncopied. Their
  // results must equal the public, copying calls' on the same samples.
  const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  it('loadAudio, extractProsody, extractF0, featurize and the report of a stereo file equal the public calls on its samples', async () => {
    const clip = path.join(here, '../../shared/data/ravdess-48k/03-01-01-01-01-01-01.wav');
    const mono = decodeWav(readFileSync(clip));
    // Stereo 48 kHz with the right channel at 0.8 gain: the mix is not a no-op.
    const st = new Float32Array(mono.samples.length * 2);
    mono.samples.forEach((v, i) => ((st[2 * i] = v), (st[2 * i + 1] = v * 0.8)));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'et-private-'));
    try {
      const file = path.join(dir, 'stereo.wav');
      writeFileSync(file, makeWav(st, { sampleRate: 48000, channels: 2, format: 'f32' }));
      const decoded = decodeWav(readFileSync(file));
      const want16k = resample(decoded.samples, 48000, 16000, { channels: 2, mono: true });
      const got16k = (await loadAudio(file, { sampleRate: 16000, mono: true })).samples;
      expect(bits(got16k).equals(bits(want16k))).toBe(true);

      const wantP = extractProsodySync({ samples: decoded.samples, sampleRate: 48000, channels: 2 });
      const gotP = await extractProsody(file);
      expect(JSON.stringify(gotP.functionals)).toBe(JSON.stringify(wantP.functionals));
      expect(bits(gotP.frames.f0).equals(bits(wantP.frames.f0))).toBe(true);
      const gotF0 = await extractF0(file);
      expect(bits(gotF0.f0).equals(bits(wantP.frames.f0))).toBe(true);

      // featurize: the owned spectral/voice calls against the public ones on the same samples.
      // The features describe the utterance: the speech span analysed again (utteranceOf), here
      // rebuilt with the public calls on a copy of the span's samples.
      const p16 = extractProsodySync({ samples: want16k, sampleRate: 16000, channels: 1 });
      const span = speechSpan(p16, want16k.length, 16000);
      const spanSamples = span ? want16k.slice(span[0], span[1]) : want16k.slice();
      const pSpan = span ? extractProsodySync({ samples: spanSamples, sampleRate: 16000, channels: 1 }) : p16;
      const wantF = await featuresFrom(pSpan, spanSamples.slice());
      const { features, prosody, whole, samples16k } = await extractUtteranceFeatures(file);
      expect(features.values).toEqual(wantF.values);
      expect(bits(samples16k).equals(bits(want16k))).toBe(true);
      expect(bits(whole.frames.f0).equals(bits(p16.frames.f0))).toBe(true);
      expect(bits(prosody.frames.f0).equals(bits(pSpan.frames.f0))).toBe(true);

      // The report draws analyze's own prosody: the same frames, pauses and nuclei as a separate analysis.
      const d = await reportData(file);
      expect(d.nuclei).toEqual(p16.nuclei);
      expect(d.pauses).toEqual(p16.segments.pauses.map((p) => ({ start: p.start, end: p.end })));
      expect(d.frames.intensity).toEqual(Array.from(p16.frames.intensityDb));
      expect(d.analysis).toEqual(await analyze(readFileSync(file)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('reused copy buffers', () => {
  // The private copies come from a cache of freed buffers: a reused buffer must never show
  // through (stale inputs, stale outputs). Same-sized calls with different data, each against sync.
  it('back-to-back same-sized async calls each give their own sync result', async () => {
    for (let k = 0; k < 3; k++) {
      const r = new Float64Array(1 << 18).map((_, i) => Math.sin(i * (k + 1)) * (k + 2));
      expect(await groupAdvantagesAsync(r, 8)).toEqual(groupAdvantages(r, 8));
      const x = new Float32Array(1 << 19).map((_, i) => Math.sin(i * 0.01 * (k + 1)));
      expect(await resampleAsync(x, 48000, 16000)).toEqual(resample(x, 48000, 16000));
      const N = 64, V = 4096;
      const inputs = {
        logits: new Float32Array(N * V).map((_, i) => Math.cos(i * (k + 1) * 0.003) * 4),
        labels: new Int32Array(N).map((_, i) => (i * 31 + k) % V),
        oldLogp: new Float64Array(N).fill(-8),
        advantages: new Float64Array(N).map((_, i) => (i % 2 ? 1 : -1) * (k + 1)),
      };
      const want = logitsLoss(inputs, { beta: 0 });
      const got = await logitsLossAsync(inputs, { beta: 0 });
      expect(got.loss).toBe(want.loss);
      expect(got.gradLogits).toEqual(want.gradLogits);
      expect(got.entropy).toEqual(want.entropy);
    }
  });
});

describe('worker threads', () => {
  it('terminate() or process.exit() in a worker during prosody, GRPO, resample and WAV decode leaves the process alive', () => {
    const r = run('terminate');
    // 1: terminated; 0: exited through process.exit(0). No 'error' events (a native crash would kill the process).
    expect(r).toEqual({
      prosody: { exitCode: 1, errors: [] },
      grpo: { exitCode: 1, errors: [] },
      resample: { exitCode: 1, errors: [] },
      wav: { exitCode: 1, errors: [] },
      'prosody-exit': { exitCode: 0, errors: [] },
      'grpo-exit': { exitCode: 0, errors: [] },
      after: true,
    });
  });
});

describe('SharedArrayBuffer-backed inputs', () => {
  it('give the same results as ArrayBuffer-backed inputs in every call', () => {
    const r = run('shared-inputs');
    for (const [call, same] of Object.entries(r)) expect({ call, same }).toEqual({ call, same: true });
    expect(Object.keys(r)).toEqual(expect.arrayContaining(['groupAdvantages', 'ptrRewards', 'tokenLoss', 'logitsLoss', 'decodeWav', 'loadAudio', 'resample', 'extractProsody']));
  });
});

describe('coded errors for odd arguments', () => {
  function codeOf(fn: () => unknown): { code: string; message: string } {
    const e = thrownError(fn, 'no error thrown');
    return { code: e.code, message: e.message };
  }
  it('groupAdvantages(r, 4, { out: null }) is ERR_INVALID_ARG naming option out', () => {
    const e = codeOf(() => groupAdvantages(new Float64Array(8), 4, { out: null as never }));
    expect(e.code).toBe('ERR_INVALID_ARG');
    expect(e.message).toMatch(/option out must be a Float64Array of length 8.*got null/);
  });
  it('groupAdvantages(new Array(2**32 - 1), 1) is ERR_INVALID_ARG naming rewards', () => {
    const e = codeOf(() => groupAdvantages(new Array(2 ** 32 - 1), 1));
    expect(e.code).toBe('ERR_INVALID_ARG');
    expect(e.message).toMatch(/groupAdvantages: rewards/);
  });
});
