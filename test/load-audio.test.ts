import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { backends, EmotionThinkerError, loadAudio, resolveBackend, sniffContainer } from '../src/index.js';
import { makeWav, sine } from './helpers/wav.js';

const SHARED = path.resolve(__dirname, '../../shared/data');
const stereo48k = path.join(SHARED, 'ravdess-48k', readdirSync(path.join(SHARED, 'ravdess-48k')).sort()[0]);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-load-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function expectReject(p: Promise<unknown>, code: string, re: RegExp) {
  const err = await p.then(() => undefined, (e) => e);
  expect(err, 'expected a rejection').toBeInstanceOf(EmotionThinkerError);
  expect(err.code).toBe(code);
  expect(err.message).toMatch(re);
}

describe('loadAudio', () => {
  it('a WAV cut short is decoded as far as it goes and says so (truncated), as does info', async () => {
    const whole = readFileSync(stereo48k);
    const cut = path.join(tmp, 'cut.wav');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const a = await loadAudio(cut);
    expect(a.truncated).toBe(true);
    expect(a.duration).toBeGreaterThan(0);
    expect((await loadAudio(stereo48k)).truncated).toBeUndefined();
    // A streaming writer's placeholder data size (0, or 0xFFFFFFFF as ffmpeg writes to a pipe) is
    // not a cut: the file is whole, and nothing is said.
    const dataAt = whole.indexOf('data');
    for (const placeholder of [0, 0xffffffff]) {
      const p = Buffer.from(whole);
      p.writeUInt32LE(placeholder, dataAt + 4);
      expect((await loadAudio(new Uint8Array(p))).truncated, String(placeholder)).toBeUndefined();
    }
    const cli = path.resolve(__dirname, '..', 'dist', 'cli.js');
    const text = spawnSync(process.execPath, [cli, 'info', cut], { encoding: 'utf8' });
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/\(truncated: the file is shorter than its header declares; decoded what is there\)/);
    expect(JSON.parse(spawnSync(process.execPath, [cli, 'info', '--json', cut], { encoding: 'utf8' }).stdout).truncated).toBe(true);
  });

  it('loads WAV from a path and from bytes, with mono mix and resampling', async () => {
    const a = await loadAudio(stereo48k);
    const b = await loadAudio(readFileSync(stereo48k));
    expect(a.sampleRate).toBe(48000);
    expect(b.samples).toEqual(a.samples);
    const m = await loadAudio(stereo48k, { sampleRate: 16000, mono: true });
    expect(m.channels).toBe(1);
    expect(m.sampleRate).toBe(16000);
    expect(m.frames).toBe(Math.ceil((a.frames * 16000) / 48000));
    expect(m.duration).toBeCloseTo(a.duration, 3);
  });

  it('mono mix of a stereo file is the mean of its channels', async () => {
    const x = sine(440, 16000, 1600, 0.5);
    const inter = new Float32Array(3200);
    for (let i = 0; i < 1600; i++) { inter[2 * i] = x[i]; inter[2 * i + 1] = 0; }
    const m = await loadAudio(makeWav(inter, { channels: 2, format: 'f32' }), { mono: true });
    for (let i = 0; i < 1600; i++) expect(m.samples[i]).toBeCloseTo(x[i] / 2, 6);
  });

  it('decodes FLAC bit-exactly and MP3 / Ogg Vorbis to the right shape, via sox-encoded files', async () => {
    const ref = await loadAudio(stereo48k);
    const flac = path.join(tmp, 'a.flac');
    execFileSync('sox', [stereo48k, flac]);
    const f = await loadAudio(flac);
    expect(sniffContainer(readFileSync(flac))).toBe('flac');
    expect(f.encoding).toBe('flac');
    expect(f.channels).toBe(ref.channels);
    expect(f.sampleRate).toBe(48000);
    expect(f.frames).toBe(ref.frames);
    // Same PCM, same floats, whatever the container (FLAC output is rescaled to 1/2^(b-1)).
    let mismatches = 0;
    for (let i = 0; i < ref.samples.length; i++) if (Math.abs(f.samples[i] - ref.samples[i]) > 1e-7) mismatches++;
    expect(mismatches).toBe(0);

    for (const [ext, enc] of [['mp3', 'mp3'], ['ogg', 'vorbis']] as const) {
      const file = path.join(tmp, `a.${ext}`);
      execFileSync('sox', [stereo48k, file]);
      const d = await loadAudio(file, { mono: true, sampleRate: 16000 });
      expect(d.encoding).toBe(enc);
      expect(d.sampleRate).toBe(16000);
      // Lossy codecs add encoder delay/padding of a few thousand samples at most.
      expect(Math.abs(d.duration - ref.duration)).toBeLessThan(0.1);
      const energy = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
      const refMono = await loadAudio(stereo48k, { mono: true, sampleRate: 16000 });
      expect(energy(d.samples) / energy(refMono.samples)).toBeGreaterThan(0.8);
      expect(energy(d.samples) / energy(refMono.samples)).toBeLessThan(1.25);
    }
  });

  it('decoding FLAC, MP3 and Ogg Vorbis in a worker thread gives the main thread\'s samples', async () => {
    for (const ext of ['flac', 'mp3', 'ogg']) {
      const file = path.join(tmp, `w.${ext}`);
      // Two different channels (the clip and its reverse), so the interleaving is checked too.
      execFileSync('sox', ['-M', stereo48k, '|sox ' + stereo48k + ' -p reverse', file]);
      const main = await loadAudio(file, { decodeInWorker: false });
      const worker = await loadAudio(file, { decodeInWorker: true });
      expect(worker.encoding).toBe(main.encoding);
      expect(worker.channels).toBe(2);
      let differ = 0;
      for (let i = 0; i < worker.frames; i++) if (worker.samples[2 * i] !== worker.samples[2 * i + 1]) differ++;
      expect(differ).toBeGreaterThan(worker.frames / 2);
      expect(worker.frames).toBe(main.frames);
      expect(worker.frames).toBeGreaterThan(48000);
      expect(worker.samples).toEqual(main.samples);
      // Mono and/or another rate: the worker mixes and resamples natively (the decoded stereo
      // never reaches this thread); the samples are the same as this thread's mix and resample.
      for (const o of [{ sampleRate: 16000, mono: true }, { mono: true }, { sampleRate: 22050 }]) {
        const m = await loadAudio(file, { ...o, decodeInWorker: false });
        const w = await loadAudio(file, { ...o, decodeInWorker: true });
        expect([w.channels, w.sampleRate, w.frames]).toEqual([m.channels, m.sampleRate, m.frames]);
        expect(Buffer.from(w.samples.buffer, w.samples.byteOffset, w.samples.byteLength).equals(Buffer.from(m.samples.buffer, m.samples.byteOffset, m.samples.byteLength))).toBe(true);
        expect(w.samples.buffer).toBeInstanceOf(ArrayBuffer);
      }
    }
  });

  it('worker decoding in a fresh process: the process ends (no worker left), errors come back, and without worker threads \'auto\' decodes here', () => {
    // A child process, because a leaked worker only shows as a process that does not exit.
    const long = path.join(tmp, 'long.flac');
    execFileSync('sox', ['-n', '-r', '48000', '-c', '2', '-b', '16', long, 'synth', '30', 'whitenoise', 'vol', '0.3']);
    expect(readFileSync(long).length).toBeGreaterThan(1 << 20);
    const corrupt = path.join(tmp, 'corrupt-w.flac');
    writeFileSync(corrupt, Buffer.concat([Buffer.from('fLaC'), Buffer.alloc(200, 7)]));
    const script = `
      const { loadAudio } = await import(${JSON.stringify(path.resolve(__dirname, '../dist/index.js'))});
      const say = (x) => process.stdout.write(x + '\\n');
      for (const w of ['auto', true]) {
        try { say(w + ' ' + (await loadAudio(${JSON.stringify(long)}, { decodeInWorker: w })).frames); } catch (e) { say(w + ' ' + e.code); }
      }
      try { await loadAudio(${JSON.stringify(corrupt)}, { decodeInWorker: true }); } catch (e) { say('corrupt ' + e.code); }`;
    const run = (flags: string[]) => spawnSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    const free = run([]);
    expect(free.status, free.stderr).toBe(0);
    expect(free.stdout.trim().split('\n')).toEqual(['auto 1440000', 'true 1440000', 'corrupt ERR_AUDIO_FORMAT']);
    // Node's permission model forbids worker threads: 'auto' decodes on the main thread, true says why it cannot.
    const locked = run(['--experimental-permission', '--allow-fs-read=*', '--allow-addons']);
    expect(locked.status, locked.stderr).toBe(0);
    expect(locked.stdout.trim().split('\n')).toEqual(['auto 1440000', 'true ERR_BACKEND_UNAVAILABLE', 'corrupt ERR_BACKEND_UNAVAILABLE']);
  });

  it('bad input: missing file, empty file, unknown container, corrupt FLAC, bad options', async () => {
    await expectReject(loadAudio(path.join(tmp, 'nope.wav')), 'ERR_FILE', /nope\.wav: cannot read audio file \(ENOENT\)/);
    const empty = path.join(tmp, 'empty.wav');
    writeFileSync(empty, '');
    await expectReject(loadAudio(empty), 'ERR_AUDIO_FORMAT', /empty\.wav: the file is empty/);
    const text = path.join(tmp, 'notes.txt');
    writeFileSync(text, 'hello world');
    await expectReject(loadAudio(text), 'ERR_AUDIO_UNSUPPORTED', /notes\.txt: unrecognised audio container \(first bytes 68 65 6c 6c\)/);
    const corrupt = path.join(tmp, 'corrupt.flac');
    writeFileSync(corrupt, Buffer.concat([Buffer.from('fLaC'), Buffer.alloc(200, 7)]));
    await expectReject(loadAudio(corrupt), 'ERR_AUDIO_FORMAT', /corrupt\.flac: /);
    await expectReject(loadAudio(corrupt, { decodeInWorker: true }), 'ERR_AUDIO_FORMAT', /corrupt\.flac: /);
    await expectReject(loadAudio(stereo48k, { decodeInWorker: 'yes' as unknown as boolean }), 'ERR_INVALID_ARG', /options\.decodeInWorker must be true, false or 'auto'; got "yes"/);
    await expectReject(loadAudio(stereo48k, { sampleRate: 0 }), 'ERR_INVALID_ARG', /options\.sampleRate must be an integer sample rate/);
    await expectReject(loadAudio(42 as unknown as string), 'ERR_INVALID_ARG', /source must be a file path or a Uint8Array; got number/);
  });
});

describe('backends', () => {
  it('reports the CPU and says why CUDA is unavailable instead of throwing', () => {
    const b = backends();
    expect(b.cpu.available).toBe(true);
    expect(b.cpu.threads).toBeGreaterThanOrEqual(1);
    if (!b.cuda.available) {
      expect(b.cuda.reason).toMatch(/no CUDA (support|driver|device)|CUDA driver/);
      expect(resolveBackend('auto', true)).toBe('cpu');
      expect(() => resolveBackend('cuda', true)).toThrow(/backend 'cuda' requested but/);
    } else {
      expect(b.cuda.device?.name).toBeTruthy();
    }
    expect(resolveBackend('cpu', true)).toBe('cpu');
    expect(() => resolveBackend('gpu' as 'cpu', true)).toThrow(/'auto', 'cpu' or 'cuda'/);
  });
});
