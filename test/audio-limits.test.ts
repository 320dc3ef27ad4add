// The audio limits (native/audio/limits.hpp, AUDIO_LIMITS): declared sample rates outside
// 1000..768000 Hz, float samples beyond ±16 (+24 dBFS) or not finite, and WebAssembly out of
// memory are coded errors naming the value, from every public entry that meets them.
import { describe, expect, it, afterAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  analyze,
  AUDIO_LIMITS,
  decodeWav,
  EmotionThinkerError,
  extractF0,
  extractProsody,
  extractProsodySync,
  loadAudio,
  mixToMono,
  resample,
  resampleAsync,
  spectralStats,
  summarizeAudio,
  voiceStats,
} from '../src/index.js';
import { makeWav, sine } from './helpers/wav.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-limits-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const ROOT = path.resolve(__dirname, '..');

// 3.2 KB MPEG-2 layer III (16 kHz mono sine from sox) with every granule's global_gain set to
// 255: a valid stream that mpg123 decodes to samples near 7e8 (177 dBFS).
const LOUD_MP3 = path.join(__dirname, 'fixtures', 'loud-gain.mp3');

async function rejection(p: Promise<unknown> | (() => unknown)): Promise<EmotionThinkerError> {
  const err = await (typeof p === 'function' ? Promise.resolve().then(p) : p).then(
    () => undefined,
    (e) => e,
  );
  expect(err, 'expected an error').toBeInstanceOf(EmotionThinkerError);
  return err as EmotionThinkerError;
}

async function expectCode(p: Promise<unknown> | (() => unknown), code: string, re: RegExp) {
  const err = await rejection(p);
  expect(err.code).toBe(code);
  expect(err.message).toMatch(re);
}

/** A 16-bit mono WAV whose header declares `rate` (the data is 16,000 samples of a sine). */
function wavDeclaring(rate: number): Uint8Array {
  const b = makeWav(sine(200, 16000, 16000, 0.3), { sampleRate: 16000, format: 's16' });
  const dv = new DataView(b.buffer, b.byteOffset);
  dv.setUint32(24, rate, true); // fmt sample rate
  dv.setUint32(28, rate * 2, true); // byte rate
  return b;
}

/** Ogg page CRC (polynomial 0x04c11db7, no reflection, init 0). */
function oggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 24;
    for (let k = 0; k < 8; k++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return crc >>> 0;
}

/** A real Ogg Vorbis file (sox) whose identification header is rewritten to declare `rate`, CRC fixed. */
function oggDeclaring(rate: number): string {
  const wav = path.join(tmp, 'src.wav');
  const ogg = path.join(tmp, `rate-${rate}.ogg`);
  writeFileSync(wav, makeWav(sine(200, 16000, 16000, 0.3), { sampleRate: 16000, format: 's16' }));
  execFileSync('sox', [wav, ogg]);
  const b = Buffer.from(readFileSync(ogg));
  const id = b.indexOf(Buffer.from([1, ...Buffer.from('vorbis')]));
  expect(id).toBeGreaterThan(0);
  b.writeUInt32LE(rate, id + 7 + 4 + 1); // after packet type + "vorbis", version (4), channels (1)
  const segments = b[26];
  let pageLen = 27 + segments;
  for (let i = 0; i < segments; i++) pageLen += b[27 + i];
  b.writeUInt32LE(0, 22);
  b.writeUInt32LE(oggCrc(b.subarray(0, pageLen)), 22);
  writeFileSync(ogg, b);
  return ogg;
}

describe('AUDIO_LIMITS', () => {
  it('exports the native core limits', () => {
    expect(AUDIO_LIMITS.minSampleRate).toBe(1000);
    expect(AUDIO_LIMITS.maxSampleRate).toBe(768000);
    expect(AUDIO_LIMITS.maxAbsSample).toBe(16);
    expect(AUDIO_LIMITS.maxAbsSampleDbfs).toBeCloseTo(24.08, 2);
    expect(AUDIO_LIMITS.maxSamples).toBe(2 ** 31);
    expect(Object.isFrozen(AUDIO_LIMITS)).toBe(true);
  });
});

describe('declared sample rates', () => {
  it('a WAV declaring a rate outside 1000..768000 Hz is ERR_AUDIO_UNSUPPORTED naming the rate', async () => {
    for (const rate of [1, 2, 7, 999, 768001, 4_000_001]) {
      const bytes = wavDeclaring(rate);
      const re = new RegExp(`declares a sample rate of ${rate} Hz; supported rates are 1000\\.\\.768000 Hz`);
      await expectCode(() => decodeWav(bytes), 'ERR_AUDIO_UNSUPPORTED', re);
      await expectCode(loadAudio(bytes), 'ERR_AUDIO_UNSUPPORTED', re);
      await expectCode(extractProsody(bytes), 'ERR_AUDIO_UNSUPPORTED', re);
    }
    const file = path.join(tmp, 'rate1.wav');
    writeFileSync(file, wavDeclaring(1));
    await expectCode(analyze(file), 'ERR_AUDIO_UNSUPPORTED', /rate1\.wav: .*sample rate of 1 Hz/);
    // The edges are accepted.
    expect((await loadAudio(wavDeclaring(1000))).sampleRate).toBe(1000);
    expect((await loadAudio(wavDeclaring(768000))).sampleRate).toBe(768000);
  });

  it('an Ogg declaring 2,130,754,432 Hz is ERR_AUDIO_UNSUPPORTED, on this thread and in the worker', async () => {
    const ogg = oggDeclaring(2130754432);
    for (const decodeInWorker of [false, true]) {
      await expectCode(loadAudio(ogg, { decodeInWorker }), 'ERR_AUDIO_UNSUPPORTED', /declares a sample rate of 2130754432 Hz/);
    }
    await expectCode(analyze(ogg), 'ERR_AUDIO_UNSUPPORTED', /2130754432 Hz/);
    // The untouched rate still decodes.
    expect((await loadAudio(oggDeclaring(16000))).sampleRate).toBe(16000);
  });

  it('rates passed as arguments outside the range are ERR_INVALID_ARG naming the field', async () => {
    const x = sine(200, 16000, 1600);
    await expectCode(() => resample(x, 999, 16000), 'ERR_INVALID_ARG', /fromRate must be an integer sample rate in 1000\.\.768000 Hz.*got 999/);
    await expectCode(resampleAsync(x, 16000, 768001), 'ERR_INVALID_ARG', /toRate .*got 768001/);
    await expectCode(loadAudio(wavDeclaring(16000), { sampleRate: 1 }), 'ERR_INVALID_ARG', /options\.sampleRate .*got 1$/);
    await expectCode(() => extractProsodySync(x, { sampleRate: 800_000 }), 'ERR_INVALID_ARG', /sampleRate is 800000 Hz; expected an integer sample rate in 1000\.\.768000 Hz/);
    await expectCode(() => spectralStats(x, 1e6), 'ERR_INVALID_ARG', /sampleRate is 1000000 Hz/);
  });

  it('the longest filter in range (767,999 Hz to 1 kHz) resamples accurately with a bounded table', () => {
    // 1000 exact phases of ~98,600 taps used to be a 395 MB table; now interpolated phases.
    const from = 767999;
    const x = sine(100, from, from, 0.5);
    const y = resample(x, from, 1000);
    expect(y.length).toBe(1000);
    let err = 0;
    for (let i = 100; i < 900; i++) err = Math.max(err, Math.abs(y[i] - 0.5 * Math.sin((2 * Math.PI * 100 * i) / 1000)));
    expect(err).toBeLessThan(1e-3);
  });
});

describe('float samples beyond ±16 or not finite', () => {
  const bad = (v: number, at = 8000, n = 16000) => {
    const x = sine(200, 16000, n, 0.3);
    x[at] = v;
    return x;
  };

  it('a float WAV with one sample of 3e36 is ERR_AUDIO_FORMAT naming sample, frame, channel and value', async () => {
    const mono = makeWav(sine(200, 16000, 16000, 0.3), { sampleRate: 16000, format: 'f32' });
    new DataView(mono.buffer, mono.byteOffset).setFloat32(44 + 4 * 8000, 3e36, true);
    const re = /pcm_f32 data: sample 8000 is 3\.0+\d*e\+36; audio samples must be finite and within \+-16/;
    await expectCode(() => decodeWav(mono), 'ERR_AUDIO_FORMAT', re);
    await expectCode(loadAudio(mono), 'ERR_AUDIO_FORMAT', re);
    await expectCode(extractProsody(mono), 'ERR_AUDIO_FORMAT', re);
    const file = path.join(tmp, 'loud.wav');
    writeFileSync(file, mono);
    await expectCode(analyze(file), 'ERR_AUDIO_FORMAT', /loud\.wav: pcm_f32 data: sample 8000 is 3/);

    const stereo = makeWav(sine(200, 16000, 2000, 0.3), { sampleRate: 16000, format: 'f64', channels: 2 });
    new DataView(stereo.buffer, stereo.byteOffset).setFloat64(44 + 8 * 1001, -20, true);
    await expectCode(() => decodeWav(stereo), 'ERR_AUDIO_FORMAT', /pcm_f64 data: sample 1001 \(frame 500, channel 1\) is -20;/);
    const nan = makeWav(sine(200, 16000, 100, 0.3), { sampleRate: 16000, format: 'f32' });
    new DataView(nan.buffer, nan.byteOffset).setFloat32(44 + 4 * 7, NaN, true);
    await expectCode(() => decodeWav(nan), 'ERR_AUDIO_FORMAT', /sample 7 is NaN/);
    // +24 dBFS exactly is still audio.
    const edge = makeWav(sine(200, 16000, 100, 0.3), { sampleRate: 16000, format: 'f32' });
    new DataView(edge.buffer, edge.byteOffset).setFloat32(44, 16, true);
    expect(decodeWav(edge).samples[0]).toBe(16);
  });

  it('an MP3 that decodes to samples far beyond full scale is ERR_AUDIO_FORMAT, on this thread and in the worker', async () => {
    for (const decodeInWorker of [false, true]) {
      await expectCode(loadAudio(LOUD_MP3, { decodeInWorker }), 'ERR_AUDIO_FORMAT', /loud-gain\.mp3: mp3 decoded to out-of-range audio: sample \d+ \(frame \d+, channel \d\) is -?\d[\d.e+]*; audio samples must be finite and within \+-16/);
      // Mono asked for: the worker mixes the channels itself, and still reports the same sample.
      const plain = await loadAudio(LOUD_MP3, { decodeInWorker: false }).catch((e: Error) => e.message);
      expect(await loadAudio(LOUD_MP3, { decodeInWorker, mono: true, sampleRate: 16000 }).catch((e: Error) => e.message)).toBe(plain);
    }
    await expectCode(analyze(LOUD_MP3), 'ERR_AUDIO_FORMAT', /out-of-range audio/);
  });

  it('every entry that takes float samples rejects them with ERR_INVALID_ARG naming the sample and value', async () => {
    const x = bad(3e36);
    const value = /sample 8000 is 3\.0+\d*e\+36; audio samples must be finite and within \+-16/;
    await expectCode(extractProsody(x, { sampleRate: 16000 }), 'ERR_INVALID_ARG', value);
    await expectCode(() => extractProsodySync({ samples: x, sampleRate: 16000, channels: 1 }), 'ERR_INVALID_ARG', value);
    await expectCode(extractF0(x, { sampleRate: 16000 }), 'ERR_INVALID_ARG', value);
    await expectCode(extractProsody(bad(-17), { sampleRate: 44100 }), 'ERR_INVALID_ARG', /sample 8000 is -17;/);
    await expectCode(() => resample(x, 16000, 8000), 'ERR_INVALID_ARG', /resample input: sample 8000 is 3/);
    await expectCode(() => resample(x, 16000, 8000, { channels: 2 }), 'ERR_INVALID_ARG', /sample 8000 \(frame 4000, channel 0\) is 3/);
    await expectCode(() => mixToMono(x, 2), 'ERR_INVALID_ARG', /mixToMono input: sample 8000 \(frame 4000, channel 0\) is 3/);
    await expectCode(() => spectralStats(x, 16000), 'ERR_INVALID_ARG', value);
    const f0 = new Float32Array(100).fill(200);
    await expectCode(() => voiceStats(x, 16000, f0, 0.01), 'ERR_INVALID_ARG', value);
    await expectCode(
      () => summarizeAudio({ samples: x, sampleRate: 16000, channels: 1, encoding: 'pcm_f32', frames: x.length, duration: 1 }),
      'ERR_INVALID_ARG',
      /summarizeAudio: sample 8000 is 3\.0+\d*e\+36; audio samples must be finite/,
    );
  });

  it('summarizeAudio never reports -Infinity or a level above +24 dBFS', () => {
    const silent = new Float32Array(16000);
    const s = summarizeAudio({ samples: silent, sampleRate: 16000, channels: 1, encoding: 'pcm_f32', frames: 16000, duration: 1 });
    expect(s.peakDbfs).toBe(-120);
    expect(s.rmsDbfs).toBe(-120);
    const loud = new Float32Array(16000).fill(16);
    const l = summarizeAudio({ samples: loud, sampleRate: 16000, channels: 1, encoding: 'pcm_f32', frames: 16000, duration: 1 });
    expect(l.peakDbfs).toBeCloseTo(AUDIO_LIMITS.maxAbsSampleDbfs, 6);
  });
});

describe('WebAssembly out of memory', () => {
  // Under a virtual-memory limit V8 cannot reserve a Wasm memory (each reserves a guard region
  // of several GB): the decoders' instantiation fails inside promise chains the caller cannot
  // reach. It must be a rejection with ERR_OUT_OF_MEMORY, not a crash. Runs the built package
  // (dist/) in a child process under `prlimit --as`.
  const prlimit = ['/usr/bin/prlimit', '/bin/prlimit'].find((p) => existsSync(p));
  const dist = path.join(ROOT, 'dist', 'index.js');
  it.skipIf(!prlimit || !existsSync(dist))('FLAC, MP3 and Ogg loads reject with ERR_OUT_OF_MEMORY under prlimit --as=6e9', () => {
    const wav = path.join(tmp, 'oom.wav');
    writeFileSync(wav, makeWav(sine(200, 16000, 8000, 0.3), { sampleRate: 16000, format: 's16' }));
    const files = ['flac', 'mp3', 'ogg'].map((ext) => {
      const f = path.join(tmp, `oom.${ext}`);
      execFileSync('sox', [wav, f]);
      return f;
    });
    const script = `
      import { loadAudio } from ${JSON.stringify(new URL(`file://${dist}`).href)};
      const out = [];
      for (const file of ${JSON.stringify(files)}) for (const decodeInWorker of [false, true]) {
        try { await loadAudio(file, { decodeInWorker }); out.push({ file, decodeInWorker, code: null }); }
        catch (e) { out.push({ file, decodeInWorker, code: e.code, message: e.message }); }
      }
      console.log(JSON.stringify(out));
    `;
    // Second run: a preload lets the one-page memory probe (the first defence) succeed, so the
    // decoders' own instantiation fails inside their unreachable promise chains and the scoped
    // unhandled-rejection guard (the second defence) must turn it into the rejection.
    const passProbe = `const real = WebAssembly.instantiate; WebAssembly.instantiate = function (m, ...rest) {
      if (m instanceof Uint8Array && m.length === 13) return Promise.resolve({ instance: {}, module: {} });
      return real.call(this, m, ...rest); };`;
    const preload = `--import=data:text/javascript,${encodeURIComponent(passProbe)}`;
    for (const [extra, runs] of [[[], 6], [[preload], 6]] as const) {
      const r = spawnSync(prlimit!, ['--as=6000000000', process.execPath, ...extra, '--input-type=module', '-e', script], { encoding: 'utf8', cwd: ROOT });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { file: string; code: string | null; message: string }[];
      expect(out).toHaveLength(runs);
      for (const o of out) {
        expect(o.code, JSON.stringify(o)).toBe('ERR_OUT_OF_MEMORY');
        expect(o.message).toContain(path.basename(o.file));
        expect(o.message).toMatch(/: cannot decode (flac|mp3|ogg): cannot allocate WebAssembly memory \(WebAssembly\.instantiate\(\): Out of memory/);
      }
    }
  });
});
