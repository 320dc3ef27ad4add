import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeWav, decodeWavAsync, loadAudio, resample, resampleAsync } from '../src/index.js';
import { maxGap, timeBlocking, watchLoop } from './helpers/loop.js';

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
    // The same work done synchronously, in this run: what one blocked stretch of the loop costs
    // on this machine right now. A blocked async path would show a gap of about that length.
    const blocking = timeBlocking(() => {
      const a = decodeWav(bytes);
      resample(a.samples, a.sampleRate, 16000, { channels: a.channels });
    });
    const loop = watchLoop();
    const audio = await decodeWavAsync(bytes);
    const y = await resampleAsync(audio.samples, audio.sampleRate, 16000, { channels: audio.channels });
    const ticks = loop.stop();

    expect(audio.duration).toBe(600);
    expect(y.length).toBe(16000 * 600 * 2);
    const gap = maxGap(ticks);
    console.log(`max timer gap ${gap.toFixed(1)} ms; the same work blocking: ${blocking.toFixed(0)} ms; ${ticks.length} ticks`);
    // Compared with the same work measured in this run, not with a fixed number of ms: a loaded
    // machine slows both. Half the blocking time leaves room for GC pauses.
    expect(gap).toBeLessThan(blocking / 2);
    // The loop ran during the call (a blocked loop fires the timer once or twice at the end).
    expect(ticks.length).toBeGreaterThan(4);
  });

  it('timers keep firing while a 3-minute stereo FLAC decodes (over 1 MiB: in a worker by default)', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-loop-'));
    try {
      const flac = path.join(tmp, 'long.flac');
      // Two noisy tones (noise keeps FLAC from compressing it to nothing).
      execFileSync('sox', ['-n', '-r', '48000', '-c', '2', '-b', '16', flac, 'synth', '180', 'sine', '300', 'whitenoise', 'remix', '1v0.5,2v0.1', '1v0.1,2v0.5']);
      expect(statSync(flac).size).toBeGreaterThan(1 << 20);
      // The same decode on the main thread, in this run: its wall time is the work the loop would
      // be held for if it were done in one piece (the main-thread path itself now decodes in 8 KB
      // pieces with a turn of the loop between them, so its own longest gap is no reference).
      const t0 = performance.now();
      await loadAudio(flac, { decodeInWorker: false });
      const work = performance.now() - t0;
      const loop = watchLoop();
      const audio = await loadAudio(flac);
      const ticks = loop.stop();
      expect(audio.frames).toBe(48000 * 180);
      expect(audio.channels).toBe(2);
      const gap = maxGap(ticks);
      console.log(`max timer gap ${gap.toFixed(1)} ms; the same decode's work on the main thread: ${work.toFixed(0)} ms`);
      // In the worker (parsing, decoding, scaling and interleaving there) only taking over the
      // transferred samples remains on the loop; a quarter of the work allows GC pauses.
      expect(gap).toBeLessThan(work / 4);
      expect(ticks.length).toBeGreaterThan(4);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
