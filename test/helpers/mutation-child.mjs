// Child process of the mutation fuzz test and the mutation-cost benchmark: runs cases
// [from, to) of the mutated corpus through the public path loadAudio -> extractProsody ->
// analyze and prints one line per event on stdout with synchronous writes, so that the parent
// still has them when this process dies:
//   B <maxRSS KiB>        after start-up (the baseline of the cost benchmark)
//   S <index>             before a case (a crash is attributed to the last S without an R)
//   R <json>              the case's outcome: per stage, ok or the error's code, any problem
//                         found in the result, its time (ms), and the peak RSS so far (KiB)
// Usage: node mutation-child.mjs <dist/index.js> <seed dir> <shared data> <samples> <from> <to> <base seed>
import { writeSync } from 'node:fs';
import { makeSeeds, mutationCase } from './mutate.mjs';

const [dist, seedDir, shared, samples, from, to, base] = process.argv.slice(2);
const et = await import(dist);
const seeds = makeSeeds(seedDir, { shared, samples });
const say = (s) => writeSync(1, s + '\n');

// Every number a caller could read must be finite; typed arrays (per-frame tracks) may hold NaN
// for "no value" (unvoiced frames), never an infinity.
function nonFinite(value, where = 'result', out = [], depth = 0) {
  if (out.length >= 3 || depth > 8) return out;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) out.push(`${where} = ${value}`);
  } else if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    for (let i = 0; i < value.length; i++) {
      const v = Number(value[i]);
      if (v === Infinity || v === -Infinity) { out.push(`${where}[${i}] = ${v}`); break; }
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) nonFinite(v, `${where}.${k}`, out, depth + 1);
  }
  return out;
}

function audioProblems(a) {
  const p = [];
  if (!(Number.isInteger(a.sampleRate) && a.sampleRate > 0)) p.push(`sampleRate = ${a.sampleRate}`);
  if (!(Number.isInteger(a.channels) && a.channels > 0)) p.push(`channels = ${a.channels}`);
  if (a.samples.length !== a.frames * a.channels) p.push(`samples.length ${a.samples.length} != frames ${a.frames} x channels ${a.channels}`);
  for (let i = 0; i < a.samples.length; i++) {
    if (!Number.isFinite(a.samples[i])) { p.push(`samples[${i}] = ${a.samples[i]}`); break; }
  }
  return p;
}

async function stage(name, fn, check) {
  const t0 = performance.now();
  try {
    const value = await fn();
    const ms = performance.now() - t0;
    const problems = check(value);
    return { value, out: { stage: name, ok: true, ms, ...(problems.length ? { problems } : {}) } };
  } catch (e) {
    const ms = performance.now() - t0;
    const coded = e instanceof et.EmotionThinkerError && typeof e.code === 'string';
    return {
      out: {
        stage: name, ok: false, ms,
        code: coded ? e.code : undefined,
        error: coded ? undefined : `${e?.name ?? typeof e}: ${String(e?.message ?? e).slice(0, 200)}`,
        message: String(e?.message ?? e).slice(0, 200),
      },
    };
  }
}

say(`B ${process.resourceUsage().maxRSS}`);
for (let i = Number(from); i < Number(to); i++) {
  say(`S ${i}`);
  const c = mutationCase(seeds, i, Number(base));
  const stages = [];
  const load = await stage('loadAudio', () => et.loadAudio(c.bytes, c.resample ? { sampleRate: 16000, mono: true } : {}), audioProblems);
  stages.push(load.out);
  if (load.value) {
    stages.push((await stage('extractProsody', () => et.extractProsody(load.value), (p) => nonFinite(p, 'prosody'))).out);
  }
  stages.push((await stage('analyze', () => et.analyze(c.bytes), (r) => nonFinite(r, 'analysis'))).out);
  say(`R ${JSON.stringify({ index: i, seed: c.seed, ops: c.ops, size: c.bytes.length, resample: c.resample, stages, maxRSS: process.resourceUsage().maxRSS })}`);
}
