import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeWav, decodeWavAsync, EmotionThinkerError } from '../src/index.js';
import { chunk, fmtBody, makeWav, riff, rng } from './helpers/wav.js';

const SHARED = path.resolve(__dirname, '../../shared/data');

function expectCode(fn: () => unknown, code: string, pattern?: RegExp) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EmotionThinkerError);
    expect((err as EmotionThinkerError).code).toBe(code);
    if (pattern) expect((err as Error).message).toMatch(pattern);
    return;
  }
  throw new Error(`expected ${code}, but the call returned`);
}

const ramp = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 0.9);

describe('decodeWav formats', () => {
  const cases = [
    ['u8', 1 / 128],
    ['s16', 1 / 32768],
    ['s24', 1 / 8388608],
    ['s32', 1e-7],
    ['f32', 0],
    ['f64', 1e-7],
  ] as const;
  for (const [format, tol] of cases) {
    for (const extensible of [false, true]) {
      it(`${format}${extensible ? ' extensible' : ''}, 3 channels, interleaved`, () => {
        const x = ramp(300);
        const d = decodeWav(makeWav(x, { format, channels: 3, sampleRate: 22050, extensible }));
        expect(d.sampleRate).toBe(22050);
        expect(d.channels).toBe(3);
        expect(d.frames).toBe(100);
        expect(d.samples.length).toBe(300);
        let maxErr = 0;
        for (let i = 0; i < x.length; i++) maxErr = Math.max(maxErr, Math.abs(d.samples[i] - x[i]));
        expect(maxErr).toBeLessThanOrEqual(tol * 0.5001 + 1e-7);
      });
    }
  }

  it('decodes any channel count (1..9) and reports the encoding', () => {
    for (let ch = 1; ch <= 9; ch++) {
      const x = ramp(ch * 10);
      const d = decodeWav(makeWav(x, { channels: ch }));
      expect(d.channels).toBe(ch);
      expect(d.encoding).toBe('pcm_s16');
      expect(d.samples[ch * 10 - 1]).toBeCloseTo(x[ch * 10 - 1], 4);
    }
  });

  it('skips unknown chunks in any order, including odd-sized ones with their pad byte', () => {
    const x = ramp(50);
    const odd = new Uint8Array([1, 2, 3]);
    const bytes = makeWav(x, {
      before: [['JUNK', odd], ['LIST', new Uint8Array(10)]],
      between: [['fact', new Uint8Array(4)], ['cue ', odd]],
    });
    const d = decodeWav(bytes);
    expect(d.frames).toBe(50);
    expect(d.samples[49]).toBeCloseTo(x[49], 4);
  });

  it('reads to the end when the data size is 0, 0xFFFFFFFF or past the end (streaming writers)', () => {
    const x = ramp(64);
    for (const field of [0, 0xffffffff, 1_000_000]) {
      const d = decodeWav(makeWav(x, { dataSizeField: field }));
      expect(d.frames).toBe(64);
      expect(d.dataSizeRepaired).toBe(true);
    }
    expect(decodeWav(makeWav(x)).dataSizeRepaired).toBe(false);
  });

  it('drops a trailing partial frame', () => {
    const bytes = makeWav(ramp(20), { channels: 2 });
    const cut = bytes.subarray(0, bytes.length - 3);
    const d = decodeWav(cut);
    expect(d.frames).toBe(9); // 40 bytes of data minus 3 → 37 bytes → 9 whole 4-byte frames
  });

  it('async decoding gives the same samples', async () => {
    const bytes = makeWav(ramp(1000), { format: 's24', channels: 2 });
    const a = decodeWav(bytes);
    const b = await decodeWavAsync(bytes);
    expect(Buffer.from(b.samples.buffer).equals(Buffer.from(a.samples.buffer))).toBe(true);
  });
});

describe('decodeWav against sox', () => {
  const dir = path.join(SHARED, 'ravdess-48k');
  const files = readdirSync(dir).filter((f) => f.endsWith('.wav'));

  it('PCM16 decoding of ravdess-48k equals sox sample for sample', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const f of files) {
      const file = path.join(dir, f);
      const d = decodeWav(readFileSync(file), file);
      const raw = execFileSync('sox', [file, '-t', 'raw', '-e', 'signed', '-b', '16', '-'], { maxBuffer: 1 << 28 });
      const ref = new Int16Array(raw.buffer, raw.byteOffset, raw.length / 2);
      expect(d.samples.length).toBe(ref.length);
      let mismatches = 0;
      for (let i = 0; i < ref.length; i++) if (Math.round(d.samples[i] * 32768) !== ref[i]) mismatches++;
      expect(mismatches).toBe(0);
    }
  });

  it('u8, s24, s32, f32, f64, A-law and mu-law files written by sox decode to what sox decodes', () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-sox-'));
    try {
      const src = path.join(dir, files[0]);
      const variants: [string, string[], number][] = [
        ['u8', ['-e', 'unsigned', '-b', '8'], 1e-6],
        ['s24', ['-e', 'signed', '-b', '24'], 1e-6],
        ['s32', ['-e', 'signed', '-b', '32'], 1e-6],
        ['f32', ['-e', 'floating-point', '-b', '32'], 0],
        ['f64', ['-e', 'floating-point', '-b', '64'], 1e-7],
        ['alaw', ['-e', 'a-law'], 1e-6],
        ['mulaw', ['-e', 'u-law'], 1e-6],
      ];
      for (const [name, args, tol] of variants) {
        const out = path.join(tmp, `${name}.wav`);
        execFileSync('sox', [src, ...args, out]);
        const d = decodeWav(readFileSync(out), out);
        const raw = execFileSync('sox', [out, '-t', 'f32', '-'], { maxBuffer: 1 << 28 });
        const ref = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
        expect(d.samples.length, name).toBe(ref.length);
        let maxErr = 0;
        for (let i = 0; i < ref.length; i++) maxErr = Math.max(maxErr, Math.abs(d.samples[i] - ref[i]));
        expect(maxErr, name).toBeLessThanOrEqual(tol);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('decodeWav bad input', () => {
  const good = makeWav(ramp(100));

  it('empty file', () => expectCode(() => decodeWav(new Uint8Array(0)), 'ERR_AUDIO_FORMAT', /empty/));
  it('truncated header', () => expectCode(() => decodeWav(good.subarray(0, 10)), 'ERR_AUDIO_FORMAT', /12-byte RIFF header/));
  it('header cut inside fmt', () => expectCode(() => decodeWav(good.subarray(0, 30)), 'ERR_AUDIO_FORMAT', /'fmt ' at byte 12 claims 16 bytes/));
  it('wrong magic', () => {
    const b = good.slice();
    b.set([0x4f, 0x67, 0x67, 0x53], 0);
    expectCode(() => decodeWav(b), 'ERR_AUDIO_FORMAT', /expected 'RIFF'.*'OggS'/);
  });
  it('wrong form type', () => {
    const b = good.slice();
    b.set([0x41, 0x56, 0x49, 0x20], 8);
    expectCode(() => decodeWav(b), 'ERR_AUDIO_FORMAT', /'AVI '.*expected 'WAVE'/);
  });
  it('missing fmt', () => expectCode(() => decodeWav(riff([chunk('LIST', new Uint8Array(4))])), 'ERR_AUDIO_FORMAT', /no 'fmt ' chunk/));
  it('missing data', () => {
    const b = riff([chunk('fmt ', fmtBody({ tag: 1, channels: 1, sampleRate: 16000, bits: 16 }))]);
    expectCode(() => decodeWav(b), 'ERR_AUDIO_FORMAT', /no 'data' chunk/);
  });
  it('data before fmt', () => {
    const b = riff([chunk('data', new Uint8Array(8)), chunk('fmt ', fmtBody({ tag: 1, channels: 1, sampleRate: 16000, bits: 16 }))]);
    expectCode(() => decodeWav(b), 'ERR_AUDIO_FORMAT', /'data' chunk at byte 12 comes before the 'fmt ' chunk/);
  });
  it('a chunk claiming gigabytes', () => {
    const b = riff([chunk('LIST', new Uint8Array(8), 0xfffffff0), chunk('fmt ', fmtBody({ tag: 1, channels: 1, sampleRate: 16000, bits: 16 }))]);
    expectCode(() => decodeWav(b), 'ERR_AUDIO_FORMAT', /'LIST' at byte 12 claims 4294967280 bytes/);
  });
  it('0 channels', () => {
    const b = riff([chunk('fmt ', fmtBody({ tag: 1, channels: 0, sampleRate: 16000, bits: 16, blockAlign: 2 })), chunk('data', new Uint8Array(4))]);
    expectCode(() => decodeWav(b), 'ERR_AUDIO_FORMAT', /0 channels/);
  });
  it('0 Hz', () => {
    const b = riff([chunk('fmt ', fmtBody({ tag: 1, channels: 1, sampleRate: 0, bits: 16 })), chunk('data', new Uint8Array(4))]);
    expectCode(() => decodeWav(b), 'ERR_AUDIO_FORMAT', /sample rate of 0 Hz/);
  });
  it('inconsistent block align', () => {
    const b = riff([chunk('fmt ', fmtBody({ tag: 1, channels: 2, sampleRate: 16000, bits: 16, blockAlign: 3 })), chunk('data', new Uint8Array(12))]);
    expectCode(() => decodeWav(b), 'ERR_AUDIO_FORMAT', /block align is 3 bytes; expected 4/);
  });
  it('ADPCM is unsupported', () => {
    const b = riff([chunk('fmt ', fmtBody({ tag: 2, channels: 1, sampleRate: 16000, bits: 4, blockAlign: 1 })), chunk('data', new Uint8Array(4))]);
    expectCode(() => decodeWav(b), 'ERR_AUDIO_UNSUPPORTED', /0x0002 \(Microsoft ADPCM\)/);
  });
  it('MP3-in-WAV is unsupported', () => {
    const b = riff([chunk('fmt ', fmtBody({ tag: 0x55, channels: 1, sampleRate: 16000, bits: 16 })), chunk('data', new Uint8Array(4))]);
    expectCode(() => decodeWav(b), 'ERR_AUDIO_UNSUPPORTED', /MPEG layer 3/);
  });
  it('12-bit float is unsupported', () => {
    const b = riff([chunk('fmt ', fmtBody({ tag: 3, channels: 1, sampleRate: 16000, bits: 16 })), chunk('data', new Uint8Array(4))]);
    expectCode(() => decodeWav(b), 'ERR_AUDIO_UNSUPPORTED', /IEEE float PCM with 16 bits/);
  });
  it('a non-byte input is rejected with ERR_INVALID_ARG naming the input', () => {
    expectCode(() => decodeWav('x.wav' as unknown as Uint8Array, 'x.wav'), 'ERR_INVALID_ARG', /^x\.wav: expected a Uint8Array/);
  });
  it('the input name leads the message', () => {
    expectCode(() => decodeWav(new Uint8Array(3), 'clips/a.wav'), 'ERR_AUDIO_FORMAT', /^clips\/a\.wav: /);
  });
});

describe('decodeWav fuzzing', () => {
  it('1000+ random mutations of valid files either decode or throw the package error (seed 1234)', () => {
    const rand = rng(1234);
    const seeds = [
      makeWav(ramp(64), { format: 's16', channels: 2, before: [['JUNK', new Uint8Array(3)]] }),
      makeWav(ramp(60), { format: 's24', extensible: true, channels: 3 }),
      makeWav(ramp(40), { format: 'f32', between: [['LIST', new Uint8Array(5)]] }),
      makeWav(ramp(33), { format: 'u8' }),
    ];
    const codes = new Map<string, number>();
    let decoded = 0;
    const N = 1500;
    for (let n = 0; n < N; n++) {
      const base = seeds[n % seeds.length];
      let b: Uint8Array = base.slice();
      const ops = 1 + Math.floor(rand() * 4);
      for (let k = 0; k < ops; k++) {
        const r = rand();
        if (r < 0.5) {
          b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256); // overwrite a byte
        } else if (r < 0.7) {
          const i = Math.floor(rand() * Math.min(b.length, 48)); // hit the header hard
          b[i] ^= 1 << Math.floor(rand() * 8);
        } else if (r < 0.85) {
          b = b.subarray(0, Math.floor(rand() * b.length)); // truncate
        } else {
          const i = Math.floor(rand() * Math.min(b.length, 44)); // write a huge little-endian size
          const dv = new DataView(b.buffer, b.byteOffset, b.length);
          if (i + 4 <= b.length) dv.setUint32(i, Math.floor(rand() * 0xffffffff), true);
        }
      }
      try {
        const d = decodeWav(b);
        expect(d.samples.length).toBe(d.frames * d.channels);
        decoded++;
      } catch (err) {
        expect(err).toBeInstanceOf(EmotionThinkerError);
        const code = (err as EmotionThinkerError).code;
        expect(['ERR_AUDIO_FORMAT', 'ERR_AUDIO_UNSUPPORTED']).toContain(code);
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    }
    // Both outcomes occur, so the mutations exercise the parser rather than all failing early.
    expect(decoded).toBeGreaterThan(50);
    expect(codes.get('ERR_AUDIO_FORMAT') ?? 0).toBeGreaterThan(50);
  });
});
