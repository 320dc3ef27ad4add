// Fits the default level calibration on ../shared/data/ravdess (per gender: odd actors male) and
// writes src/calibration/default.json. Run after `npm run build:ts`:
//   node scripts/fit-calibration.mjs [ravdess dir] [out file]
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { calibrationSample, extractProsodyBatch, fitCalibration, saveCalibration } from '../dist/index.js';

const dir = process.argv[2] ?? path.resolve(import.meta.dirname, '../../shared/data/ravdess');
const out = process.argv[3] ?? path.resolve(import.meta.dirname, '../src/calibration/default.json');
const files = readdirSync(dir).filter((f) => f.endsWith('.wav')).sort();
const items = await extractProsodyBatch(files.map((f) => path.join(dir, f)));
const samples = [];
items.forEach((it, i) => {
  if (it.error) throw it.error;
  const actor = Number(files[i].slice(18, 20));
  samples.push(calibrationSample(it.result, { corpus: 'ravdess', gender: actor % 2 ? 'male' : 'female' }));
});
const cal = fitCalibration(samples, { source: `ravdess: ${samples.length} clips, actors 01-24 as present, gender from actor id (odd = male); scripts/fit-calibration.mjs` });
saveCalibration(cal, out);
console.log(JSON.stringify({ clips: samples.length, pooled: cal.pooled, out }, null, 1));
