// Four validation sentences (actors 13–16, different emotions and statements) with 1.5 s of
// digital silence before, between and after them: the recording the VAD-in-noise tests add
// noise to (test/stream-noise.test.ts, test/vad-noise.test.ts).
import path from 'node:path';
import { loadAudio } from '../../src/index.js';

const RAVDESS = path.resolve(__dirname, '../../../shared/data/ravdess');
const FILES = ['03-01-01-01-01-01-13.wav', '03-01-05-01-02-01-14.wav', '03-01-03-02-01-02-15.wav', '03-01-04-01-01-01-16.wav'];

export async function sentencesWithGaps(): Promise<Float32Array> {
  const gap = new Float32Array(24000);
  const parts: Float32Array[] = [];
  for (const f of FILES) parts.push(gap, (await loadAudio(path.join(RAVDESS, f), { sampleRate: 16000, mono: true })).samples);
  parts.push(gap);
  const x = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => (x.set(p, o), o + p.length), 0);
  return x;
}
