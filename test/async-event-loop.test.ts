import { describe, expect, it } from 'vitest';
import { decodeWavAsync, resampleAsync } from '../src/index.js';

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
});
