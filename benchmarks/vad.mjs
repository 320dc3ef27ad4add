#!/usr/bin/env node
// Silero VAD (onnxruntime-node in a worker thread) vs energy-based segmentation on the same
// audio, in one run: all RAVDESS clips in ../shared/data/ravdess (960 clips, 16 kHz, ~58 min),
// plus one continuous 10-minute stream made from them. Prints throughput (× real time) for both
// and the distribution of leading/trailing boundary differences between them.
// Usage: npm run build:ts && node benchmarks/vad.mjs [--batch 64] [--workers 1]
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// EMOTIONTHINKER_DIST=/path/to/dist/index.js runs another build of the package.
const lib = process.env.EMOTIONTHINKER_DIST ? pathToFileURL(path.resolve(process.env.EMOTIONTHINKER_DIST)).href : '../dist/index.js';
const { SileroVad, detectSpeechBatch, energySegments, loadAudio } = await import(lib);

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.resolve(here, '../../shared/data/ravdess');
if (!existsSync(dir) || readdirSync(dir).length === 0) {
  console.error(`benchmarks/vad: ${dir} not found or empty (the shared data sits beside the repository)`);
  process.exit(1);
}
const arg = (name, d) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : d);
const batch = arg('--batch', 64);
const workers = arg('--workers', 1);

const files = readdirSync(dir).filter((f) => f.endsWith('.wav')).sort();
const audios = [];
for (const f of files) audios.push((await loadAudio(path.join(dir, f))).samples);
const total = audios.reduce((s, a) => s + a.length, 0) / 16000;

const vad = await SileroVad.create({ workers });
await detectSpeechBatch([audios[0]], { vad }); // warm-up

// Silero over every clip, `batch` clips per model batch; with several workers, batches run in parallel.
let t0 = performance.now();
const groups = [];
for (let i = 0; i < audios.length; i += batch) groups.push(audios.slice(i, i + batch));
const silero = (await Promise.all(groups.map((g) => detectSpeechBatch(g, { vad })))).flat();
const tSilero = (performance.now() - t0) / 1000;

t0 = performance.now();
const energy = audios.map((a) => energySegments(a, 16000));
const tEnergy = (performance.now() - t0) / 1000;

// One continuous 10-minute stream (no batching possible: the model is recurrent).
const long = new Float32Array(16000 * 600);
for (let off = 0, k = 0; off < long.length; k++) {
  const a = audios[k % audios.length];
  long.set(a.subarray(0, Math.min(a.length, long.length - off)), off);
  off += a.length;
}
t0 = performance.now();
const longVad = (await detectSpeechBatch([long], { vad }))[0];
const tLongSilero = (performance.now() - t0) / 1000;
t0 = performance.now();
const longEnergy = energySegments(long, 16000);
const tLongEnergy = (performance.now() - t0) / 1000;
await vad.dispose();

// Agreement of the leading and trailing boundaries.
const dStart = [];
const dEnd = [];
let none = 0;
let agree = 0;
let startOk = 0;
let endOk = 0;
silero.forEach((r, k) => {
  const e = energy[k].segments;
  if (r.segments.length === 0 || e.length === 0) {
    none++;
    return;
  }
  const ds = r.segments[0].start - e[0].start;
  const de = r.segments.at(-1).end - e.at(-1).end;
  dStart.push(ds);
  dEnd.push(de);
  startOk += Math.abs(ds) <= 0.1;
  endOk += Math.abs(de) <= 0.1;
  agree += Math.abs(ds) <= 0.1 && Math.abs(de) <= 0.1;
});
const pct = (a, p) => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const ms = (x) => `${Math.round(x * 1000)}`.padStart(5);
const dist = (a) => [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95].map((p) => ms(pct(a, p))).join(' ');
const bins = (a) => {
  const edges = [-Infinity, -0.3, -0.1, -0.05, 0, 0.05, 0.1, 0.3, Infinity];
  return edges.slice(1).map((hi, i) => a.filter((v) => v >= edges[i] && v < hi).length).map((c) => String(c).padStart(5)).join(' ');
};

console.log(`Silero VAD vs energy segmentation — ${files.length} RAVDESS clips, ${(total / 60).toFixed(1)} min of audio`);
console.log(`  machine: ${process.arch}, node ${process.version}, Silero batch ${batch}, workers ${workers}, 512-sample windows`);
console.log('');
const row = (label, secs, audioSecs) => console.log(`  ${label.padEnd(34)}${secs.toFixed(2).padStart(8)}${(audioSecs / secs).toFixed(0).padStart(14)}`);
console.log(`${'throughput'.padEnd(36)}${'seconds'.padStart(8)}${'× real time'.padStart(14)}`);
row(`Silero, ${files.length} clips (batched)`, tSilero, total);
row(`energy, ${files.length} clips`, tEnergy, total);
row('Silero, one 10-min stream', tLongSilero, 600);
row('energy, one 10-min stream', tLongEnergy, 600);
console.log(`  (10-min stream: ${longVad.segments.length} Silero segments, ${longEnergy.segments.length} energy segments)`);
console.log('');
console.log(`clips with no Silero speech segment: ${none}`);
console.log(`boundary agreement within 100 ms: both ends ${((100 * agree) / files.length).toFixed(1)}%, start ${((100 * startOk) / files.length).toFixed(1)}%, end ${((100 * endOk) / files.length).toFixed(1)}%`);
const both = (t) => dStart.filter((v, i) => Math.abs(v) <= t && Math.abs(dEnd[i]) <= t).length;
console.log(`  both ends within 50 ms ${((100 * both(0.05)) / files.length).toFixed(1)}%, within 200 ms ${((100 * both(0.2)) / files.length).toFixed(1)}% (full distribution: benchmarks/vad-agreement.mjs)`);
console.log('Silero − energy (ms)   p5   p10   p25   p50   p75   p90   p95');
console.log(`  leading          ${dist(dStart)}`);
console.log(`  trailing         ${dist(dEnd)}`);
console.log('histogram (clips)   <-300 -300..-100 -100..-50 -50..0 0..50 50..100 100..300 >300 ms');
console.log(`  leading          ${bins(dStart)}`);
console.log(`  trailing         ${bins(dEnd)}`);
