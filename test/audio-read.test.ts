// Audio from devices, pipes and standard input is read with a bound (src/audio-read.ts): an endless
// device (/dev/zero) used to grow the process to gigabytes and crash it.
import { describe, expect, it, afterAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmotionThinkerError, loadAudio, sniffContainer } from '../src/index.js';
import { readBounded } from '../src/audio-read.js';

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const clip = path.resolve(root, '../shared/data/ravdess/03-01-04-01-02-01-14.wav');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-read-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const linux = process.platform === 'linux';

describe('bounded audio reading', () => {
  it.skipIf(!linux)('an endless device of zeros is refused at its first bytes, naming it', async () => {
    const err = await loadAudio('/dev/zero').then(() => null, (e) => e);
    expect(err).toBeInstanceOf(EmotionThinkerError);
    expect(err.code).toBe('ERR_AUDIO_UNSUPPORTED');
    expect(err.message).toMatch(/\/dev\/zero: unrecognised audio container \(first bytes 00 00 00 00\)/);
  });

  it('a stream that looks like audio is refused past the limit with ERR_FILE, reading no further', async () => {
    const wavHead = readFileSync(clip).subarray(0, 4096);
    let reads = 0;
    const next = async () => (reads++ < 1000 ? wavHead : null);
    const err = await readBounded(next, 'pipe:x', sniffContainer, undefined, 10_000).then(() => null, (e) => e);
    expect(err).toBeInstanceOf(EmotionThinkerError);
    expect(err.code).toBe('ERR_FILE');
    expect(err.message).toMatch(/^pipe:x: more than 10000 bytes from a stream or device/);
    expect(reads).toBe(3); // 4096 · 3 > 10 000: the third chunk ends it
    // Under the limit the chunks come back whole and in order.
    let k = 0;
    const two = await readBounded(async () => (k++ < 2 ? wavHead : null), 'pipe:y', sniffContainer, undefined, 10_000);
    expect(Buffer.from(two).equals(Buffer.concat([wavHead, wavHead]))).toBe(true);
  });

  it.skipIf(!linux)('a named pipe and standard input decode like the file; zeros on stdin are refused without reading them all', async () => {
    const fifo = path.join(tmp, 'clip.fifo');
    spawnSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', `cat "${clip}" > "${fifo}"`]);
    const viaPipe = await loadAudio(fifo);
    writer.kill();
    const viaFile = await loadAudio(clip);
    expect(viaPipe.samples).toEqual(viaFile.samples);

    const stdin = spawnSync(process.execPath, [cli, 'info', '--json', '-'], { input: readFileSync(clip), encoding: 'utf8' });
    expect(stdin.status).toBe(0);
    expect(JSON.parse(stdin.stdout).durationSeconds).toBeCloseTo(viaFile.samples.length / viaFile.sampleRate, 3);

    // 64 MiB of zeros on stdin: refused at the first chunk, so the process never holds them.
    const zeros = spawnSync('sh', ['-c', `head -c 67108864 /dev/zero | "${process.execPath}" "${cli}" info - ; echo "rc=$?"`], { encoding: 'utf8' });
    expect(zeros.stdout).toMatch(/rc=1/);
    expect(zeros.stderr).toMatch(/unrecognised audio container \(first bytes 00 00 00 00\).*\[ERR_AUDIO_UNSUPPORTED\]/);
  });
});
