// Mutation fuzzing of the public decode -> prosody -> analysis path: 1,000 seeded mutations
// (bit flips, truncation, header fields, chunk sizes that lie, rate and channel fields, extreme
// float samples, spliced bytes) of real WAV, FLAC, MP3 and Ogg Vorbis clips, each run through
// loadAudio -> extractProsody -> analyze in child processes so that a crash is seen as one.
// Every case must end in a result whose numbers are finite, or in an EmotionThinkerError with a
// code other than ERR_INTERNAL (a bug by definition). The cost of the same cases is measured by
// benchmarks/mutation-cost.mjs. Reproduce one case (index i):
//   node test/helpers/mutation-child.mjs $PWD/dist/index.js <seed dir> ../shared/data samples i i+1 1
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeSeeds, mutationCase } from './helpers/mutate.mjs';
import { runMutationCases, type CaseOutcome, type DeadCase } from './helpers/mutation-runner.js';

const ROOT = path.resolve(__dirname, '..');
const SHARED = path.resolve(ROOT, '../shared/data');
const SAMPLES = path.join(ROOT, 'samples');
// The children load the built package (npm run build), as a user's program would.
const DIST = path.join(ROOT, 'dist/index.js');
const CASES = Number(process.env.ET_MUTATION_CASES ?? 1000);
const BASE_SEED = Number(process.env.ET_MUTATION_SEED ?? 1);
const PARALLEL = Math.max(1, Math.min(2, os.availableParallelism()));

const seedDir = mkdtempSync(path.join(os.tmpdir(), 'et-mutation-'));
afterAll(() => rmSync(seedDir, { recursive: true, force: true }));

interface Failure {
  index: number;
  kind: string;
  detail: string;
}

function failuresOf(r: CaseOutcome): Failure[] {
  const out: Failure[] = [];
  for (const s of r.stages) {
    if (!s.ok && !s.code) out.push({ index: r.index, kind: `${s.stage}: error without a code`, detail: s.error ?? '' });
    else if (s.code === 'ERR_INTERNAL') out.push({ index: r.index, kind: `${s.stage}: ERR_INTERNAL`, detail: s.message ?? '' });
    if (s.problems) out.push({ index: r.index, kind: `${s.stage}: non-finite output`, detail: s.problems.join('; ') });
  }
  return out;
}

describe('mutation fuzzing of loadAudio -> extractProsody -> analyze', () => {
  it(`${CASES} mutated real files: no crash, coded errors, finite results`, async () => {
    const seeds = makeSeeds(seedDir, { shared: SHARED, samples: SAMPLES });
    expect(new Set(seeds.map((s) => path.extname(s.name)))).toEqual(new Set(['.wav', '.flac', '.mp3', '.ogg']));
    // The corpus is deterministic: the same case from the same seed, here and in the children.
    expect(mutationCase(seeds, 7, BASE_SEED).bytes).toEqual(mutationCase(seeds, 7, BASE_SEED).bytes);

    // The hang bound scales with this machine now: the first cases run alone (generous bound),
    // and the slowest of them sets it for the rest (50x, at least 30 s). A loaded CI machine
    // slows the cases and the bound together, so a slow but finite case is not called a hang.
    const CALIBRATION = Math.min(CASES, 24);
    const common = { dist: DIST, seedDir, shared: SHARED, samples: SAMPLES, baseSeed: BASE_SEED };
    const first = await runMutationCases({ ...common, from: 0, to: CALIBRATION, stallMs: 300_000 });
    const caseMs = (o: CaseOutcome) => o.stages.reduce((t, s) => t + s.ms, 0);
    const slowest = Math.max(1, ...first.outcomes.map(caseMs));
    const stallMs = Math.max(30_000, 50 * slowest);
    const per = Math.ceil((CASES - CALIBRATION) / PARALLEL);
    const rest = await Promise.all(
      Array.from({ length: PARALLEL }, (_, k) =>
        runMutationCases({ ...common, from: CALIBRATION + k * per, to: Math.min(CASES, CALIBRATION + (k + 1) * per), stallMs }),
      ),
    );
    const runs = [first, ...rest];
    const outcomes = runs.flatMap((r) => r.outcomes);
    const dead: DeadCase[] = runs.flatMap((r) => r.dead);
    // Every case ran to an outcome or is blamed for its child's death: none was lost.
    expect(new Set([...outcomes.map((o) => o.index), ...dead.map((d) => d.index)]).size).toBe(CASES);

    const failures: Failure[] = [...dead.map((d) => ({ index: d.index, kind: d.kind, detail: d.detail })), ...outcomes.flatMap(failuresOf)];
    const loaded = outcomes.filter((o) => o.stages[0].ok).length;
    const codes: Record<string, number> = {};
    for (const o of outcomes) for (const s of o.stages) if (!s.ok) codes[s.code ?? 'none'] = (codes[s.code ?? 'none'] ?? 0) + 1;
    console.log(`mutation fuzz: ${CASES} cases (seed ${BASE_SEED}) in ${runs.reduce((n, r) => n + r.children, 0)} children (hang bound ${(stallMs / 1000).toFixed(0)} s: 50x the slowest of the first ${CALIBRATION}, ${slowest.toFixed(0)} ms); ${loaded} decoded; error codes ${JSON.stringify(codes)}; ${failures.length} failures`);

    // One line per failure class with its count and first cases, so a report names the bug.
    const byKind = new Map<string, Failure[]>();
    for (const f of failures) byKind.set(f.kind, [...(byKind.get(f.kind) ?? []), f]);
    const ops = new Map(outcomes.map((o) => [o.index, `${o.seed}: ${o.ops.join('; ')}`]));
    const summary = [...byKind].map(([kind, fs]) =>
      `${kind} (${fs.length} cases), e.g. ${fs.slice(0, 3).map((f) => `#${f.index} [${ops.get(f.index) ?? mutationCase(seeds, f.index, BASE_SEED).ops.join('; ')}] ${f.detail.slice(0, 160)}`).join(' / ')}`,
    );
    for (const line of summary) console.log(line);
    expect(summary).toEqual([]);
    // The mutations must leave enough files decodable for prosody and analysis to be exercised.
    expect(loaded).toBeGreaterThan(CASES / 5);
  }, 1_800_000);
});
