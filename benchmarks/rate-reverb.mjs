#!/usr/bin/env node
// Why the speed claim follows reverberation (issue #16): the syllable count and articulation rate
// of extractProsody on the validation clips of actors 13-16 (every third clip, 80), clean and
// through the benchmark's reverberation (T60 0.5 s at the augmentation's far-field DRR, about
// -17 dB, and at DRR 0 dB) and the telephone channel, for the default nucleus detector and for
// variants of its two options (the window of the nucleus intensity contour, nucleiMinPitch, and
// the dip a nucleus needs, minDipDb). RAVDESS sentences have 7 syllables each, so the clean count
// says what a variant costs on clean speech; the rate ratio to the clean clip says what it keeps
// under reverberation. Measurement only: the features the models read are not changed by it.
// Usage: npm run build:ts && node benchmarks/rate-reverb.mjs   (about two minutes)
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = pathToFileURL(path.resolve(root, process.env.EMOTIONTHINKER_DIST ?? 'dist') + '/').href;
const { loadAudio, extractProsody } = await import(dist + 'index.js');
const aug = await import(dist + 'train/augment.js');
const { Rng } = await import(dist + 'train/rng.js');
const DATA = path.resolve(root, '../shared/data/ravdess');
const files = readdirSync(DATA).filter((f) => /-1[3-6]\.wav$/.test(f)).sort().filter((_, i) => i % 3 === 0);

const CONDITIONS = {
  clean: (x) => x,
  [`reverberation, DRR ${aug.defaultReverbDrrDb(0.5).toFixed(1)} dB (the benchmark's)`]: (x, r) => aug.reverberate(x, 0.5, r),
  'reverberation, DRR 0 dB': (x, r) => aug.reverberate(x, 0.5, r, 0),
  telephone: (x) => aug.telephone(x),
};
const VARIANTS = [{}, { minDipDb: 1 }, { minDipDb: 3 }, { nucleiMinPitch: 60 }, { nucleiMinPitch: 80 }, { nucleiMinPitch: 80, minDipDb: 3 }];

const clips = [];
for (const f of files) clips.push((await loadAudio(path.join(DATA, f), { sampleRate: 16000, mono: true })).samples);
const mean = (v) => v.reduce((s, x) => s + x, 0) / v.length;
console.log(`${clips.length} clips of actors 13-16; syllables (7 per sentence), articulation rate, its ratio to the clean clip`);
for (const variant of VARIANTS) {
  console.log(`\noptions ${JSON.stringify(variant)}${Object.keys(variant).length ? '' : ' (the defaults)'}`);
  const rows = {};
  for (const [name, fn] of Object.entries(CONDITIONS)) {
    rows[name] = [];
    for (const [k, x] of clips.entries()) {
      const p = await extractProsody({ samples: fn(x, new Rng(7 + k)), sampleRate: 16000, channels: 1 }, variant);
      rows[name].push({ syl: p.functionals.syllableCount, ar: p.functionals.articulationRate });
    }
  }
  for (const [name, r] of Object.entries(rows)) {
    const ok = r.map((x, i) => [x.ar, rows.clean[i].ar]).filter(([a, c]) => Number.isFinite(a) && Number.isFinite(c) && c > 0);
    console.log(
      `  ${name.padEnd(46)} syllables ${mean(r.map((x) => x.syl)).toFixed(2)}  MAE vs 7 ${mean(r.map((x) => Math.abs(x.syl - 7))).toFixed(2)}  rate ${mean(ok.map(([a]) => a)).toFixed(2)}/s  ratio to clean ${mean(ok.map(([a, c]) => a / c)).toFixed(3)}`,
    );
  }
}
