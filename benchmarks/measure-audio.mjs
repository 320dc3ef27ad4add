#!/usr/bin/env node
// What judging energy by vocal effort costs verifyReasoning's (and the reward server's uncached)
// measurement: measureAudio (decode, prosody, voice statistics for effortDb) against the anchor,
// decode + prosody alone (what measureAudio computed before energy was judged by effort), on the
// same RAVDESS clips of actors 13–16, alternating, in one run.
// Usage: npm run build && node benchmarks/measure-audio.mjs [--clips 40] [--json]
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { measureAudio, extractProsody, loadAudio } = await import(pathToFileURL(path.join(root, 'dist', 'index.js')).href);
const arg = (name, d) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : d;
};
const R = path.resolve(root, '../shared/data/ravdess');
const files = readdirSync(R).filter((f) => /-1[3-6]\.wav$/.test(f)).sort().slice(0, arg('--clips', 40)).map((f) => new Uint8Array(readFileSync(path.join(R, f))));
const anchor = async (b) => {
  const a = await loadAudio(b, { sampleRate: 16000, mono: true });
  return extractProsody(a.samples, { sampleRate: 16000 });
};
for (const b of files.slice(0, 3)) await anchor(b), await measureAudio(b);
const t = { anchor: 0, measure: 0 };
for (let rep = 0; rep < 2; rep++) {
  for (const b of files) {
    let s = performance.now();
    await anchor(b);
    t.anchor += performance.now() - s;
    s = performance.now();
    await measureAudio(b);
    t.measure += performance.now() - s;
  }
}
const n = files.length * 2;
const out = { clips: n, anchorMsPerClip: +(t.anchor / n).toFixed(2), measureAudioMsPerClip: +(t.measure / n).toFixed(2), ratio: +(t.measure / t.anchor).toFixed(2) };
console.log(process.argv.includes('--json') ? JSON.stringify(out) : `decode+prosody ${out.anchorMsPerClip} ms/clip, measureAudio (with effort) ${out.measureAudioMsPerClip} ms/clip, ratio ${out.ratio} (${n} runs)`);
