// Prosody speed against Praat on the same audio in the same run (ratios printed):
//   1. F0 alone, one thread (extractF0Sync on decoded 16 kHz samples) vs Praat `To Pitch (ac)`
//      defaults (Praat's own stopwatch around To Pitch only, files already read).
//   2. All features, one thread (extractProsodySync) vs Praat pitch alone (and + To Intensity).
//   3. Batch (extractProsodyBatch with its default concurrency, on all cores) vs concurrency 1.
//   4. One hour of audio in a child process: peak RSS growth vs the decoded audio's size.
//   npm run build:ts && node benchmarks/prosody-speed.mjs [clips=150]
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { extractF0Sync, extractProsodyBatch, extractProsodySync, loadAudio } from '../dist/index.js';
import { runPraat } from './f0-accuracy-anchors.mjs';

if (process.argv[2] === '--hour-child') {
  // 1 h at 16 kHz built by tiling one clip (with a little noise so frames differ).
  const a = await loadAudio(process.argv[3], { sampleRate: 16000, mono: true });
  const n = 16000 * 3600;
  const x = new Float32Array(n);
  let s = 1;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    x[i] = a.samples[i % a.samples.length] + (s / 4294967296 - 0.5) * 1e-4;
  }
  const base = process.memoryUsage().rss;
  const t0 = performance.now();
  const r = extractProsodySync(x, { sampleRate: 16000 });
  const secs = (performance.now() - t0) / 1000;
  const peak = process.resourceUsage().maxRSS * 1024;
  console.log(JSON.stringify({ audioBytes: x.byteLength, rssBefore: base, peakRss: peak, seconds: secs, frames: r.frames.f0.length }));
  process.exit(0);
}

const here = import.meta.dirname;
const RAVDESS = path.resolve(here, '../../shared/data/ravdess');
const nClips = Number(process.argv[2] ?? 150);
const files = readdirSync(RAVDESS).filter((f) => f.endsWith('.wav')).sort().slice(0, nClips).map((f) => path.join(RAVDESS, f));
const clips = [];
for (const f of files) clips.push(await loadAudio(f));
const audioSeconds = clips.reduce((s, c) => s + c.duration, 0);
console.log(`audio: ${clips.length} ravdess clips, ${audioSeconds.toFixed(1)} s at ${clips[0].sampleRate} Hz; ${os.availableParallelism()} cores`);

function best(fn, reps = 3) {
  let b = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    b = Math.min(b, (performance.now() - t0) / 1000);
  }
  return b;
}
async function bestAsync(fn, reps = 3) {
  let b = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    b = Math.min(b, (performance.now() - t0) / 1000);
  }
  return b;
}

const corpus = files.map((wav) => ({ name: path.basename(wav), wav }));
const praat = runPraat(corpus, { pitchOnly: false });
const tF0 = best(() => { for (const c of clips) extractF0Sync(c); });
const tAll = best(() => { for (const c of clips) extractProsodySync(c); });
const t1 = await bestAsync(() => extractProsodyBatch(clips, { concurrency: 1 }));
const tN = await bestAsync(() => extractProsodyBatch(clips));
const rt = (t) => `${(audioSeconds / t).toFixed(0)}x real time`;
console.log('\n| measurement | seconds | throughput | ratio |');
console.log('|---|---|---|---|');
console.log(`| Praat To Pitch (ac) | ${praat.seconds.toFixed(3)} | ${rt(praat.seconds)} | 1.00 |`);
console.log(`| Praat To Intensity | ${praat.intensitySeconds.toFixed(3)} | ${rt(praat.intensitySeconds)} | |`);
console.log(`| ours F0 alone, 1 thread | ${tF0.toFixed(3)} | ${rt(tF0)} | ${(praat.seconds / tF0).toFixed(2)}x Praat pitch (goal ≥ 3) |`);
console.log(`| ours all features, 1 thread | ${tAll.toFixed(3)} | ${rt(tAll)} | ${(praat.seconds / tAll).toFixed(2)}x Praat pitch (goal ≥ 2); ${((praat.seconds + praat.intensitySeconds) / tAll).toFixed(2)}x Praat pitch+intensity |`);
console.log(`| ours batch, concurrency 1 | ${t1.toFixed(3)} | ${rt(t1)} | |`);
console.log(`| ours batch, default concurrency on ${os.availableParallelism()} cores | ${tN.toFixed(3)} | ${rt(tN)} | ${(t1 / tN).toFixed(2)}x one thread (goal ≥ 1.8 on 2 cores) |`);

if (!process.argv.includes('--no-hour')) {
  const out = execFileSync(process.execPath, [new URL(import.meta.url).pathname, '--hour-child', files[0]], { encoding: 'utf8', env: process.env });
  const h = JSON.parse(out.trim().split('\n').pop());
  console.log(
    `\n1 hour at 16 kHz (${(h.audioBytes / 2 ** 20).toFixed(0)} MiB decoded): ${h.seconds.toFixed(1)} s (${(3600 / h.seconds).toFixed(0)}x real time); ` +
      `peak RSS ${(h.peakRss / 2 ** 20).toFixed(0)} MiB = ${(h.peakRss / h.audioBytes).toFixed(2)}x the decoded audio ` +
      `(RSS with the audio loaded, before analysis: ${(h.rssBefore / 2 ** 20).toFixed(0)} MiB; growth ${((h.peakRss - h.rssBefore) / h.audioBytes).toFixed(2)}x)`,
  );
}
