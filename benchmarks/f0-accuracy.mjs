// F0 accuracy on fda-ue against its laryngograph references, our tracker and the anchors (Praat
// `To Pitch (ac)` defaults, SPTK RAPT and SWIPE' at 60–500 Hz) in the same run, scored with ONE
// alignment rule (see benchmarks/f0-accuracy-anchors.mjs). Also: syllable-nucleus count error on
// ravdess per emotion (7 syllables per sentence).
//   npm run build:ts && node benchmarks/f0-accuracy.mjs [--no-anchors] [--no-nuclei]
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { extractF0, extractProsodyBatch } from '../dist/index.js';
import { loadCorpus, pct, prepareSptk, runPraat, runSptk, score } from './f0-accuracy-anchors.mjs';

const here = import.meta.dirname;
const FDA = path.resolve(here, '../../shared/data/fda-ue');
const RAVDESS = path.resolve(here, '../../shared/data/ravdess');
const args = new Set(process.argv.slice(2));

const corpus = loadCorpus(FDA);
const rows = [];
{
  const tracks = new Map();
  for (const c of corpus) {
    const r = await extractF0(c.wav);
    tracks.set(c.name, { times: r.time, f0: r.f0 });
  }
  rows.push(['emotionthinker (NCCF+Viterbi)', score(corpus, tracks)]);
}
if (!args.has('--no-anchors')) {
  rows.push(["Praat To Pitch (ac) defaults", score(corpus, runPraat(corpus).tracks)]);
  const prep = prepareSptk(corpus);
  rows.push(['SPTK RAPT 60-500', score(corpus, runSptk(corpus, 0, { prepared: prep }).tracks)]);
  rows.push(["SPTK SWIPE' 60-500", score(corpus, runSptk(corpus, 1, { prepared: prep }).tracks)]);
}
console.log(`\nF0 on fda-ue (${corpus.length} files, ${rows[0][1].frames} reference frames; best single offset per tracker on a 1 ms grid, nearest frame, 20% gross threshold)\n`);
console.log('| tracker | GPE | VDE | FPE (cents) | offset | rl GPE/VDE | sb GPE/VDE |');
console.log('|---|---|---|---|---|---|---|');
for (const [name, s] of rows) {
  const sp = (k) => `${pct(s.perSpeaker[k].gpe)} / ${pct(s.perSpeaker[k].vde)}`;
  console.log(`| ${name} | ${pct(s.gpe)} | ${pct(s.vde)} | ${s.fpe.toFixed(1)} | ${s.offsetMs} ms | ${sp('rl')} | ${sp('sb')} |`);
}
if (rows.length > 1) {
  const ours = rows[0][1];
  const bestG = Math.min(...rows.slice(1).map((r) => r[1].gpe));
  const bestV = Math.min(...rows.slice(1).map((r) => r[1].vde));
  console.log(`\nours vs best anchor: GPE ${pct(ours.gpe)} vs ${pct(bestG)} (${ours.gpe <= bestG ? 'met' : 'NOT met'}), VDE ${pct(ours.vde)} vs ${pct(bestV)} (${ours.vde <= bestV ? 'met' : 'NOT met'})`);
}

if (!args.has('--no-nuclei') && existsSync(RAVDESS)) {
  const files = readdirSync(RAVDESS).filter((f) => f.endsWith('.wav')).sort();
  const items = await extractProsodyBatch(files.map((f) => path.join(RAVDESS, f)));
  const names = ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'];
  const per = new Map();
  let tot = 0;
  items.forEach((it, i) => {
    if (it.error) throw it.error;
    const e = Number(files[i].slice(6, 8));
    const err = it.result.nuclei.length - 7;
    const p = per.get(e) ?? { abs: 0, bias: 0, n: 0 };
    p.abs += Math.abs(err); p.bias += err; p.n++;
    per.set(e, p);
    tot += Math.abs(err);
  });
  console.log(`\nSyllable nuclei on ravdess (${items.length} clips, 7 syllables each): mean |count − 7| = ${(tot / items.length).toFixed(3)}\n`);
  console.log('| emotion | clips | MAE | bias |');
  console.log('|---|---|---|---|');
  for (const [e, p] of [...per].sort((a, b) => a[0] - b[0])) console.log(`| ${names[e - 1]} | ${p.n} | ${(p.abs / p.n).toFixed(2)} | ${(p.bias / p.n >= 0 ? '+' : '') + (p.bias / p.n).toFixed(2)} |`);
}
