// Cost of the public calls on the mutated corpus of test/mutation-fuzz.test.ts, against the goal
// "no input under 1 MB costs more than 2 s or 512 MB in any public call". Each case runs alone
// in a fresh child process (test/helpers/mutation-child.mjs): the time of loadAudio,
// extractProsody and analyze, and the child's peak RSS over its own start-up RSS (measured in
// the same child, so the figure is the case's growth, not Node's baseline). Prints the worst
// cases by time and by memory and every case over a limit; a case that kills its child or runs
// past --timeout is listed as such. Exits 1 when any case breaks the goal.
//   npm run build:ts && node benchmarks/mutation-cost.mjs [--cases 1000] [--seed 1] [--from 0]
//     [--parallel 1] [--timeout 60] [--limit-ms 2000] [--limit-mb 512] [--json out.json]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeSeeds, mutationCase } from '../test/helpers/mutate.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const cases = Number(args.cases ?? 1000);
const from = Number(args.from ?? 0);
const seed = Number(args.seed ?? 1);
const parallel = Number(args.parallel ?? 1);
const timeoutMs = Number(args.timeout ?? 60) * 1000;
const limitMs = Number(args['limit-ms'] ?? 2000);
const limitMb = Number(args['limit-mb'] ?? 512);
const shared = path.resolve(root, '../shared/data');
const samples = path.join(root, 'samples');
const dist = path.join(root, 'dist/index.js');
const child = path.join(root, 'test/helpers/mutation-child.mjs');

const seedDir = mkdtempSync(path.join(os.tmpdir(), 'et-mutation-cost-'));
const seeds = makeSeeds(seedDir, { shared, samples });

function runCase(index) {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [child, dist, seedDir, shared, samples, String(index), String(index + 1), String(seed)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const t0 = performance.now();
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; p.kill('SIGKILL'); }, timeoutMs);
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err = (err + d).slice(-2000); });
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      const wall = performance.now() - t0;
      const base = Number(/^B (\d+)$/m.exec(out)?.[1] ?? 0);
      const rLine = out.split('\n').find((l) => l.startsWith('R '));
      if (!rLine) {
        const c = mutationCase(seeds, index, seed);
        resolve({ index, seed: c.seed, ops: c.ops, size: c.bytes.length, dead: timedOut ? `no result after ${timeoutMs / 1000} s` : `died: ${signal ?? `exit ${code}`}; ${err.trim().split('\n').slice(-3).join(' | ')}`, ms: wall, mb: NaN });
        return;
      }
      const r = JSON.parse(rLine.slice(2));
      const worst = r.stages.reduce((a, s) => (s.ms > a.ms ? s : a));
      resolve({ index, seed: r.seed, ops: r.ops, size: r.size, stages: r.stages, ms: worst.ms, call: worst.stage, mb: (r.maxRSS - base) / 1024, peakMb: r.maxRSS / 1024 });
    });
  });
}

const results = [];
let next = from;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: parallel }, async () => {
    while (next < from + cases) {
      const i = next++;
      results.push(await runCase(i));
      if (results.length % 100 === 0) process.stderr.write(`mutation-cost: ${results.length}/${cases} cases, ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
    }
  }),
);
rmSync(seedDir, { recursive: true, force: true });
results.sort((a, b) => a.index - b.index);

const describe = (r) =>
  `#${r.index} ${r.seed ?? ''} [${(r.ops ?? []).join('; ')}] ${r.dead ? `DEAD: ${r.dead}` : `${r.call} ${r.ms.toFixed(0)} ms, +${r.mb.toFixed(0)} MB (peak ${r.peakMb.toFixed(0)} MB)`}`;
const live = results.filter((r) => !r.dead);
const byTime = [...live].sort((a, b) => b.ms - a.ms);
const byMem = [...live].sort((a, b) => b.mb - a.mb);
const over = results.filter((r) => r.dead || r.ms > limitMs || r.mb > limitMb);
const pct = (arr, q) => arr[Math.min(arr.length - 1, Math.floor(q * arr.length))];
const times = live.map((r) => r.ms).sort((a, b) => a - b);
const mems = live.map((r) => r.mb).sort((a, b) => a - b);

console.log(`mutation-cost: ${results.length} cases (seed ${seed}, from ${from}), one child each, ${parallel} at a time, node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} x${os.availableParallelism()}`);
console.log(`slowest public call per case: median ${pct(times, 0.5)?.toFixed(1)} ms, p99 ${pct(times, 0.99)?.toFixed(0)} ms, max ${times.at(-1)?.toFixed(0)} ms`);
console.log(`RSS growth per case: median ${pct(mems, 0.5)?.toFixed(0)} MB, p99 ${pct(mems, 0.99)?.toFixed(0)} MB, max ${mems.at(-1)?.toFixed(0)} MB`);
console.log('worst by time:');
for (const r of byTime.slice(0, 10)) console.log('  ' + describe(r));
console.log('worst by memory:');
for (const r of byMem.slice(0, 10)) console.log('  ' + describe(r));
console.log(`over the goal (> ${limitMs} ms or > ${limitMb} MB in one call, or dead): ${over.length}`);
for (const r of over) console.log('  ' + describe(r));
if (args.json) writeFileSync(args.json, JSON.stringify(results, null, 1));
process.exitCode = over.length ? 1 : 0;
