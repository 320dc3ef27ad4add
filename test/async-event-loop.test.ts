import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeWavAsync, loadAudio, resampleAsync } from '../src/index.js';

// A 10-minute 48 kHz stereo PCM16 WAV, built directly as bytes (115 MB).
function tenMinuteWav(): Uint8Array {
  const rate = 48000, channels = 2, frames = rate * 600;
  const dataBytes = frames * channels * 2;
  const buf = Buffer.alloc(44 + dataBytes);
  buf.write('RIFF', 0); buf.writeUInt32LE(36 + dataBytes, 4); buf.write('WAVE', 8);
  buf.write('fmt ', 12); buf.writeUInt32LE(16, 16); buf.writeUInt16LE(1, 20); buf.writeUInt16LE(channels, 22);
  buf.writeUInt32LE(rate, 24); buf.writeUInt32LE(rate * channels * 2, 28); buf.writeUInt16LE(channels * 2, 32);
  buf.writeUInt16LE(16, 34); buf.write('data', 36); buf.writeUInt32LE(dataBytes, 40);
  const pcm = new Int16Array(buf.buffer, buf.byteOffset + 44, frames * channels);
  for (let i = 0; i < frames; i++) {
    const v = Math.round(8000 * Math.sin(i * 0.05));
    pcm[2 * i] = v;
    pcm[2 * i + 1] = -v;
  }
  return buf;
}

describe('async work runs off the event loop', () => {
  it('timers keep firing while a 10-minute file decodes and resamples', async () => {
    const bytes = tenMinuteWav();
    const ticks: number[] = [];
    const timer = setInterval(() => ticks.push(performance.now()), 5);
    const t0 = performance.now();
    const audio = await decodeWavAsync(bytes);
    const y = await resampleAsync(audio.samples, audio.sampleRate, 16000, { channels: audio.channels });
    const elapsed = performance.now() - t0;
    clearInterval(timer);

    expect(audio.duration).toBe(600);
    expect(y.length).toBe(16000 * 600 * 2);
    // The work took long enough that a blocked loop would show.
    expect(elapsed).toBeGreaterThan(200);
    let maxGap = 0;
    for (let i = 1; i < ticks.length; i++) maxGap = Math.max(maxGap, ticks[i] - ticks[i - 1]);
    // A blocked loop would show one gap as long as the whole job; allow GC pauses.
    expect(maxGap).toBeLessThan(Math.min(100, elapsed / 3));
    expect(ticks.length).toBeGreaterThan(elapsed / 5 / 4);
  });

  it('timers keep firing while a 3-minute stereo FLAC decodes (over 1 MiB: in a worker by default)', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-loop-'));
    try {
      const flac = path.join(tmp, 'long.flac');
      // Two noisy tones (noise keeps FLAC from compressing it to nothing).
      execFileSync('sox', ['-n', '-r', '48000', '-c', '2', '-b', '16', flac, 'synth', '180', 'sine', '300', 'whitenoise', 'remix', '1v0.5,2v0.1', '1v0.1,2v0.5']);
      expect(statSync(flac).size).toBeGreaterThan(1 << 20);
      const ticks: number[] = [];
      const timer = setInterval(() => ticks.push(performance.now()), 5);
      const t0 = performance.now();
      const audio = await loadAudio(flac);
      const elapsed = performance.now() - t0;
      ticks.push(performance.now());
      clearInterval(timer);
      expect(audio.frames).toBe(48000 * 180);
      expect(audio.channels).toBe(2);
      let maxGap = 0;
      for (let i = 1; i < ticks.length; i++) maxGap = Math.max(maxGap, ticks[i] - ticks[i - 1]);
      // On the main thread the decode is one synchronous call: one gap of nearly the whole job.
      // In the worker (parsing, decoding, scaling and interleaving there) only taking over the
      // transferred samples remains on the loop; allow GC pauses.
      expect(elapsed).toBeGreaterThan(100);
      expect(maxGap).toBeLessThan(Math.min(100, elapsed / 3));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
