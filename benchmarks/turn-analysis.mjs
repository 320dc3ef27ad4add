#!/usr/bin/env node
// CPU of the steps of one turn's analysis (what a live stream runs per utterance, and analyze()
// per clip), per RAVDESS clip at 16 kHz: extractProsodySync, spectralStats (the features'
// options), voiceStats (along the offline F0 track) and analyze() on the file, each the median
// of 5 passes over the clips. With --anchor DIR (another build's dist/, e.g. the code before a
// change, with its own native addon) the same steps run for that build too, alternating pass by
// pass, so both see the same machine load; the outputs of the two builds are also compared
// (byte-identical JSON, or the first difference).
// Usage: npx tsc -p tsconfig.json && node benchmarks/turn-analysis.mjs [--clips 24] [--anchor DIR]
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.resolve(here, '../../shared/data/ravdess');
if (!existsSync(dir)) {
  console.error(`benchmarks/turn-analysis: ${dir} not found (the shared data sits beside the repository)`);
  process.exit(1);
}
const argv = process.argv;
const opt = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : null);
const nClips = Number(opt('--clips') ?? 24);
const anchorDir = opt('--anchor');

async function build(name, distUrl) {
  const index = await import(distUrl + 'index.js');
  const features = await import(distUrl + 'features.js');
  const prosody = await import(distUrl + 'prosody.js');
  return { name, ...index, spectralStats: features.spectralStats, voiceStats: features.voiceStats, extractProsodySync: prosody.extractProsodySync };
}
const builds = [await build('this build', new URL('../dist/', import.meta.url).href)];
if (anchorDir) builds.push(await build(`anchor ${anchorDir}`, pathToFileURL(path.resolve(anchorDir) + '/').href));

const all = readdirSync(dir).filter((f) => f.endsWith('.wav')).sort();
const files = all.filter((_, i) => i % Math.max(1, Math.floor(all.length / nClips)) === 0).slice(0, nClips).map((f) => path.join(dir, f));
const clips = [];
for (const f of files) {
  const samples = (await builds[0].loadAudio(f, { sampleRate: 16000, mono: true })).samples;
  clips.push({ file: f, samples, f0: (await builds[0].extractF0(samples, { sampleRate: 16000 })).f0 });
}
const seconds = clips.reduce((s, c) => s + c.samples.length, 0) / 16000;
console.log(`turn analysis steps: ${clips.length} RAVDESS clips (${seconds.toFixed(1)} s), node ${process.version}`);

const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const steps = {
  extractProsodySync: (b, c) => b.extractProsodySync(c.samples, { sampleRate: 16000 }).functionals,
  spectralStats: (b, c) => b.spectralStats(c.samples, 16000, { floorDb: 35 }),
  voiceStats: (b, c) => b.voiceStats(c.samples, 16000, c.f0, 0.01),
  analyze: (b, c) => b.analyze(c.file),
};
const times = builds.map(() => Object.fromEntries(Object.keys(steps).map((k) => [k, []])));
const outputs = builds.map(() => ({}));
for (let pass = 0; pass < 5; pass++) {
  const order = pass % 2 ? [...builds.keys()].reverse() : [...builds.keys()];
  for (const i of order) {
    for (const [name, step] of Object.entries(steps)) {
      const t0 = cpuMs();
      const out = [];
      for (const c of clips) out.push(await step(builds[i], c));
      times[i][name].push((cpuMs() - t0) / clips.length);
      if (pass === 0) outputs[i][name] = JSON.stringify(out);
    }
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const name of Object.keys(steps)) {
  const line = builds.map((b, i) => `${b.name} ${median(times[i][name]).toFixed(3)} ms`).join(', ');
  const ratio = builds.length > 1 ? `; ×${(median(times[1][name]) / median(times[0][name])).toFixed(2)} faster, outputs ${outputs[0][name] === outputs[1][name] ? 'identical' : 'DIFFER'}` : '';
  console.log(`${name} per clip (CPU, all threads): ${line}${ratio}`);
}
process.exit(0);
