#!/usr/bin/env node
// Agreement of Silero VAD's leading and trailing speech boundaries with the energy-based
// segmentation, over all RAVDESS clips in ../shared/data/ravdess (960 clips). Prints, for the
// default detector and for the window-quantised boundaries it had before boundary refinement
// (30 ms start pad, end 32 ms early, no backward hysteresis: `refine: false, extendStart:
// false`, which is Silero's reference rule apart from normalisation and end lag), the share of
// clips within 50/100/200 ms at each end and at both, percentiles of |Δ| and of the signed Δ
// (Silero − energy), and clips without a segment. --list prints every clip outside 100 ms.
// Usage: npm run build:ts && node benchmarks/vad-agreement.mjs [--list]
// (EMOTIONTHINKER_DIST=/path/to/dist/index.js runs another build of the package.)
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const lib = process.env.EMOTIONTHINKER_DIST ? pathToFileURL(path.resolve(process.env.EMOTIONTHINKER_DIST)).href : '../dist/index.js';
const { SileroVad, detectSpeechBatch, energySegments, loadAudio } = await import(lib);

const dir = path.resolve(here, '../../shared/data/ravdess');
if (!existsSync(dir) || readdirSync(dir).length === 0) {
  console.error(`benchmarks/vad-agreement: ${dir} not found or empty (the shared data sits beside the repository)`);
  process.exit(1);
}
const list = process.argv.includes('--list');
const files = readdirSync(dir).filter((f) => f.endsWith('.wav')).sort();
const audios = [];
for (const f of files) audios.push((await loadAudio(path.join(dir, f), { sampleRate: 16000, mono: true })).samples);
const energy = audios.map((a) => energySegments(a, 16000).segments);
const silenceOnly = energySegments(new Float32Array(16000 * 3), 16000).segments.length;

const vad = await SileroVad.create();
const configs = [
  ['default', {}],
  ['window-quantised (refine: false, extendStart: false)', { refine: false, extendStart: false }],
];
const results = {};
for (const [name, options] of configs) {
  const out = [];
  for (let i = 0; i < audios.length; i += 64) out.push(...(await detectSpeechBatch(audios.slice(i, i + 64), { ...options, vad })));
  const [silence] = await detectSpeechBatch([new Float32Array(16000 * 3)], { ...options, vad });
  results[name] = { out, silence: silence.segments.length };
}
await vad.dispose();

const sortAbs = (a) => a.map(Math.abs).sort((x, y) => x - y);
const sorted = (a) => [...a].sort((x, y) => x - y);
const at = (s, p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
const ms = (x) => String(Math.round(x * 1000)).padStart(6);
const pc = (n, d) => `${((100 * n) / d).toFixed(1)}%`.padStart(7);
const P = [0.5, 0.75, 0.9, 0.95, 0.99];

console.log(`Silero VAD vs energy segmentation: leading/trailing speech boundaries on ${files.length} RAVDESS clips`);
console.log(`(energy: RMS of 25 ms frames every 10 ms after an 80 Hz high-pass, sounding above the 0.99-quantile − 25 dB and 3 dB over the noise floor)`);
console.log(`pure silence (3 s of zeros): energy ${silenceOnly} segments`);
for (const [name] of configs) {
  const { out, silence } = results[name];
  const dS = [];
  const dE = [];
  const failing = [];
  let none = 0;
  out.forEach((r, k) => {
    const s = r.segments;
    const e = energy[k];
    if (s.length === 0 || e.length === 0) {
      none++;
      dS.push(Infinity);
      dE.push(Infinity);
      failing.push(`  ${files[k]}  no segment (Silero ${s.length}, energy ${e.length})`);
      return;
    }
    const ds = s[0].start - e[0].start;
    const de = s.at(-1).end - e.at(-1).end;
    dS.push(ds);
    dE.push(de);
    if (Math.abs(ds) > 0.1 || Math.abs(de) > 0.1) {
      const span = (x) => x.map((g) => `${g.start.toFixed(3)}–${g.end.toFixed(3)}`).join(' ');
      failing.push(`  ${files[k]}  Δlead ${ms(ds)} Δtrail ${ms(de)}   Silero ${span(s)}   energy ${span(e)}`);
    }
  });
  const n = files.length;
  const within = (a, t) => a.filter((v) => Math.abs(v) <= t).length;
  const both = (t) => dS.filter((v, i) => Math.abs(v) <= t && Math.abs(dE[i]) <= t).length;
  console.log('');
  console.log(`${name}: clips with no Silero segment ${none}; pure silence gives ${silence} Silero segments`);
  console.log(`  share within          50 ms  100 ms  200 ms`);
  console.log(`  both ends          ${pc(both(0.05), n)} ${pc(both(0.1), n)} ${pc(both(0.2), n)}`);
  console.log(`  leading            ${pc(within(dS, 0.05), n)} ${pc(within(dS, 0.1), n)} ${pc(within(dS, 0.2), n)}`);
  console.log(`  trailing           ${pc(within(dE, 0.05), n)} ${pc(within(dE, 0.1), n)} ${pc(within(dE, 0.2), n)}`);
  const fin = (a) => a.filter(Number.isFinite);
  console.log(`  |Δ| ms               p50    p75    p90    p95    p99`);
  console.log(`  leading          ${P.map((p) => ms(at(sortAbs(fin(dS)), p))).join(' ')}`);
  console.log(`  trailing         ${P.map((p) => ms(at(sortAbs(fin(dE)), p))).join(' ')}`);
  console.log(`  Silero − energy ms    p5    p25    p50    p75    p95`);
  console.log(`  leading          ${[0.05, 0.25, 0.5, 0.75, 0.95].map((p) => ms(at(sorted(fin(dS)), p))).join(' ')}`);
  console.log(`  trailing         ${[0.05, 0.25, 0.5, 0.75, 0.95].map((p) => ms(at(sorted(fin(dE)), p))).join(' ')}`);
  if (list && failing.length) {
    console.log(`  clips outside 100 ms (${failing.length}):`);
    for (const line of failing) console.log(line);
  }
}
