// Dumps extractProsody / extractF0 / analyze outputs for a fixed set of shared clips as JSON, so
// two builds can be compared byte for byte (a refactor must not change a bit):
//   node scripts/dump-outputs.mjs <package dir with dist/ and a built addon> <out.json> [data dir]
//   cmp a.json b.json
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [pkg, out, data = '/work/shared/data'] = process.argv.slice(2);
const et = await import(pathToFileURL(path.resolve(pkg, 'dist/index.js')).href);
const pick = (dir, n) => readdirSync(path.join(data, dir)).filter((f) => f.endsWith('.wav')).sort().filter((_, i, a) => i % Math.ceil(a.length / n) === 0).slice(0, n).map((f) => path.join(data, dir, f));
const clips = [...pick('ravdess', 12), ...pick('ravdess-48k', 4), ...pick('fda-ue', 4)];
const replacer = et.prosodyJsonReplacer;
const result = {};
for (const clip of clips) {
  const name = path.relative(data, clip);
  const r = { prosody: await et.extractProsody(clip, { backend: 'cpu' }) };
  r.prosodyOptions = (await et.extractProsody(clip, { backend: 'cpu', f0Min: 75, maxCandidates: 12, minPauseSeconds: 0.2, nucleiDipAfter: true })).functionals;
  r.f0 = await et.extractF0(clip, { hopSeconds: 0.005 });
  r.sync = et.extractProsodySync(clip, {}).functionals;
  r.analyze = await et.analyze(clip);
  result[name] = r;
}
// Silero segmentation on a few clips (the pause functionals follow it).
for (const clip of clips.slice(0, 4)) {
  result[path.relative(data, clip) + '#silero'] = await et.extractProsody(clip, { backend: 'cpu', vad: 'silero' });
}
writeFileSync(out, JSON.stringify(result, replacer));
console.log(`${Object.keys(result).length} entries, ${clips.length} clips -> ${out}`);
