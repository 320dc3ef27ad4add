// maxDuration (issue #14): a small file can declare hours of audio (an hour of silence is a
// ~50 KB FLAC at 8 kHz, 670 KB at 48 kHz stereo; a 1 MB 8-bit WAV at 1 kHz is 1000 s). The cost
// of every call grows with the decoded duration, so the caller bounds it; the check runs before
// decoding when the container declares its length. Files are made with sox, as an encoder would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analyze, DEFAULT_MAX_DURATION_S, EmotionThinkerError, extractF0, extractProsody, loadAudio } from '../src/index.js';
import { buildReport } from '../src/report.js';
import { makeWav } from './helpers/wav.js';

let dir: string;
let hourFlac: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'et-maxdur-'));
  hourFlac = path.join(dir, 'hour.flac');
  // -D: no dither, so the silence stays digital silence (and the file tiny).
  execFileSync('sox', ['-D', '-n', '-r', '8000', '-c', '1', '-b', '16', hourFlac, 'trim', '0', '3600']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rejection(p: Promise<unknown>): Promise<EmotionThinkerError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(EmotionThinkerError);
  return err as EmotionThinkerError;
}

describe('maxDuration', () => {
  it('refuses a one-hour FLAC from its STREAMINFO, before decoding, in every call that loads a file', async () => {
    expect(readFileSync(hourFlac).length).toBeLessThan(1 << 20);
    for (const call of [
      () => loadAudio(hourFlac, { maxDuration: 600 }),
      () => extractProsody(hourFlac, { maxDuration: 600 }),
      () => extractF0(hourFlac, { maxDuration: 600 }),
      () => analyze(hourFlac, { maxDuration: 600 }),
      () => buildReport(hourFlac, { maxDuration: 600 }),
    ]) {
      const err = await rejection(call());
      expect(err.code).toBe('ERR_AUDIO_UNSUPPORTED');
      expect(err.message).toContain('3600.0 s long (declared by the flac header), over options.maxDuration 600 s');
      expect(err.input).toBe(hourFlac);
    }
    // The same bytes from memory: the same check.
    const err = await rejection(loadAudio(readFileSync(hourFlac), { maxDuration: 3599 }));
    expect(err.message).toContain('declared by the flac header');
  });

  it('accepts audio up to the limit and by default up to DEFAULT_MAX_DURATION_S', async () => {
    expect(DEFAULT_MAX_DURATION_S).toBe(4 * 3600);
    const a = await loadAudio(hourFlac, { maxDuration: 3600 });
    expect(a.duration).toBeGreaterThan(3599); // the FLAC decoder returns 3599.872 s of the 3600 s sox wrote
    // A header that declares 5 hours is refused under the default, before anything is decoded.
    const bytes = new Uint8Array(readFileSync(hourFlac));
    const frames = 5 * 3600 * 8000;
    bytes[21] = (bytes[21] & 0xf0) | Math.floor(frames / 2 ** 32);
    new DataView(bytes.buffer).setUint32(22, frames >>> 0);
    const err = await rejection(loadAudio(bytes));
    expect(err.code).toBe('ERR_AUDIO_UNSUPPORTED');
    expect(err.message).toContain(`18000.0 s long (declared by the flac header), over options.maxDuration ${DEFAULT_MAX_DURATION_S} s`);
  });

  it('checks the decoded duration where the header does not say (FLAC total samples 0, WAV), before resampling or analysis', async () => {
    const f = path.join(dir, 'short.flac');
    execFileSync('sox', ['-D', '-n', '-r', '8000', '-c', '1', '-b', '16', f, 'synth', '20', 'sine', '200']);
    const bytes = new Uint8Array(readFileSync(f));
    bytes[21] &= 0xf0; // total samples "unknown", as a streaming encoder writes it
    bytes.fill(0, 22, 26);
    const err = await rejection(loadAudio(bytes, { maxDuration: 10 }));
    expect(err.code).toBe('ERR_AUDIO_UNSUPPORTED');
    // Decoding stops at the first piece past the limit (src/audio-wasm.ts decodeStream).
    expect(err.message).toMatch(/more than 1\d\.\d s long \(decoding stopped there\), over options\.maxDuration 10 s/);
    expect((await loadAudio(bytes, { maxDuration: 20 })).duration).toBe(20);

    // The 1 kHz case: 1 MB of 8-bit WAV is 1000 s, 16 M samples once resampled to 16 kHz.
    const wav = makeWav(new Float32Array(1_000_000), { sampleRate: 1000, format: 'u8' });
    const w = await rejection(analyze(wav, { maxDuration: 600 }));
    expect(w.code).toBe('ERR_AUDIO_UNSUPPORTED');
    expect(w.message).toContain('1000.0 s long (decoded), over options.maxDuration 600 s');
  });

  it('reads an Ogg Vorbis stream\'s length from its last granule position', async () => {
    const f = path.join(dir, 'tone.ogg');
    execFileSync('sox', ['-n', '-r', '16000', '-c', '1', f, 'synth', '30', 'sine', '300']);
    const err = await rejection(loadAudio(f, { maxDuration: 29 }));
    expect(err.message).toContain('30.0 s long (declared by the ogg header), over options.maxDuration 29 s');
    expect((await loadAudio(f, { maxDuration: 30 })).duration).toBeCloseTo(30, 3);
  });

  it('rejects a maxDuration that is not a positive number', async () => {
    for (const bad of [0, -1, NaN, '600']) {
      const err = await rejection(loadAudio(hourFlac, { maxDuration: bad as number }));
      expect(err.code).toBe('ERR_INVALID_ARG');
      expect(err.message).toContain('options.maxDuration must be a number of seconds > 0');
    }
    writeFileSync(path.join(dir, 'x.wav'), makeWav(new Float32Array(16000)));
    expect((await loadAudio(path.join(dir, 'x.wav'), { maxDuration: Infinity })).duration).toBe(1);
  });
});
