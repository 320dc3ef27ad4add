// The policy's ONNX export against the TypeScript policy (Policy.generate, what analyze runs):
// real RAVDESS features, the bundled model and a freshly trained one of another shape, every
// output compared: the four claim distributions, the emotion distribution, the tokens, logp; and
// the calibrated emotion distribution against what analyze reports for the same clips.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  EmotionThinkerError,
  OnnxModel,
  analyze,
  defaultModel,
  exportPolicyOnnx,
  membersOf,
  fitAssociations,
  modelFile,
  policyOnnxFeeds,
  readOnnxMetadata,
  train,
  writePolicyOnnx,
  type EmotionModel,
  type EmotionModelFile,
  type Outputs,
} from '../src/index.js';
import { measuredCues } from '../src/train/corpus.js';
import { extractUtteranceFeatures, FEATURE_NAMES, policyInput, type UtteranceFeatures } from '../src/inference/featurize.js';
import { fitStandardizer } from '../src/train/corpus-features.js';
import { policyLayout, type Policy } from '../src/inference/policy.js';
import { decodeEnsemble } from '../src/inference/ensemble.js';
import { CUES, EMOTIONS, TOKENS, TOKEN_SIZES } from '../src/inference/vocab.js';

// Sizes follow the feature set and the bundled model (they change when features are added).
const F = FEATURE_NAMES.length; // raw features
const INPUTS = F + 1; // + gender
const PARAMS = policyLayout(JSON.parse(readFileSync(path.resolve(__dirname, '../models/default.json'), 'utf8')).policy.shape).size;

const RAVDESS = path.resolve(__dirname, '../../shared/data/ravdess');
const TOL = 1e-5;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-policy-onnx-'));

interface Row {
  file: string;
  features: UtteranceFeatures;
  gender: 'male' | 'female' | null;
}
let rows: Row[] = [];
let clips: Row[] = [];

/** 16 clips: each of the 16 RAVDESS actors here once (8 male, 8 female), each emotion twice. */
function pickClips(): string[] {
  const all = readdirSync(RAVDESS).filter((f) => /^03-01-\d\d-\d\d-\d\d-\d\d-\d\d\.wav$/.test(f)).sort();
  const out: string[] = [];
  for (let i = 0; i < 16; i++) {
    const emotion = String((i % 8) + 1).padStart(2, '0');
    const actor = String(((i * 5) % 16) + 1).padStart(2, '0');
    const f = all.find((n) => n.startsWith(`03-01-${emotion}-`) && n.endsWith(`-${actor}.wav`));
    if (f) out.push(path.join(RAVDESS, f));
  }
  return out;
}

beforeAll(async () => {
  for (const file of pickClips()) {
    const { features } = await extractUtteranceFeatures(file);
    const actor = Number(path.basename(file, '.wav').split('-')[6]);
    clips.push({ file, features, gender: actor % 2 ? 'male' : 'female' });
  }
  expect(clips).toHaveLength(16);
  // Edge rows built from real ones: unknown gender; missing values (NaN in the graph, 0 after
  // standardisation); an outlier past the ±6 sd clamp.
  const missing = clips[1].features.values.map((v, j) => (j < 12 || j % 7 === 0 ? null : v));
  const outlier = clips[2].features.values.map((v, j) => (j === 11 ? 1e4 : j === 40 ? -1e4 : v));
  rows = [
    ...clips,
    { file: 'unknown gender', features: clips[0].features, gender: null },
    { file: 'missing values', features: { ...clips[1].features, values: missing }, gender: clips[1].gender },
    { file: 'outlier', features: { ...clips[2].features, values: outlier }, gender: clips[2].gender },
  ];
}, 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * The TS side's outputs for x: every claim's distribution, tokens, logp, the emotion distribution.
 * One policy: Policy.generate, the distributions captured from `choose`. An ensemble (a model's
 * members): decodeEnsemble, what analyze runs, with each claim distribution recomputed here as the
 * mean of the members' own (a claim head reads only x).
 */
function reference(policy: Policy | readonly Policy[], x: Float64Array, force?: number[]) {
  const members = Array.isArray(policy) ? policy : [policy as Policy];
  const argmax = (p: Float64Array) => p.reduce((best, v, i) => (v > p[best] ? i : best), 0);
  if (members.length === 1) {
    const dists: (Float64Array | null)[] = [];
    const r = members[0].generate(x, (p) => (dists.push(p), argmax(p)), force);
    return { dists, tokens: Array.from(r.tokens), logp: Array.from(r.logp), emotion: r.emotionProbs };
  }
  const dists = CUES.map((_, k) => {
    const mean = new Float64Array(TOKEN_SIZES[k]);
    for (const m of members) {
      const own: Float64Array[] = [];
      m.generate(x, (p) => (own.push(p), argmax(p)));
      own[k].forEach((v, j) => (mean[j] += v / members.length));
    }
    return mean;
  });
  const r = decodeEnsemble(members, x, force);
  return { dists, tokens: Array.from(r.tokens), logp: Array.from(r.logp), emotion: r.emotionProbs };
}

/** Largest |difference| per output over all rows; tokens must match exactly. */
function compare(out: Outputs, refs: ReturnType<typeof reference>[], forced = false) {
  const err: Record<string, number> = { logp: 0, emotion: 0 };
  if (!forced) for (const c of CUES) err[c] = 0; // forced rows skip the choice, so no claim distribution to capture
  const tokens = out.tokens.data as BigInt64Array;
  refs.forEach((ref, r) => {
    expect(Array.from(tokens.subarray(r * TOKENS, (r + 1) * TOKENS), Number)).toEqual(ref.tokens);
    if (!forced) {
      CUES.forEach((c, k) => {
        const n = TOKEN_SIZES[k];
        const got = (out[c].data as Float32Array).subarray(r * n, (r + 1) * n);
        ref.dists[k]!.forEach((p, j) => (err[c] = Math.max(err[c], Math.abs(p - got[j]))));
      });
    }
    const e = (out.emotion.data as Float32Array).subarray(r * EMOTIONS.length, (r + 1) * EMOTIONS.length);
    ref.emotion.forEach((p, j) => (err.emotion = Math.max(err.emotion, Math.abs(p - e[j]))));
    const lp = (out.logp.data as Float32Array).subarray(r * TOKENS, (r + 1) * TOKENS);
    ref.logp.forEach((v, t) => (err.logp = Math.max(err.logp, Math.abs(v - lp[t]))));
  });
  for (const [k, v] of Object.entries(err)) expect(v, k).toBeLessThanOrEqual(TOL);
  return err;
}

async function withModel<T>(bytes: Uint8Array, fn: (m: OnnxModel) => Promise<T>): Promise<T> {
  const m = await OnnxModel.create(bytes);
  try {
    return await fn(m);
  } finally {
    await m.dispose();
  }
}

describe('policy ONNX export', () => {
  it('the bundled model: raw features in, every output within 1e-5 of the TS policy', async () => {
    const model = defaultModel();
    const bytes = exportPolicyOnnx(model);
    const members = membersOf(model);
    expect(Number(readOnnxMetadata(bytes)['emotionthinker.members'])).toBe(members.length);
    const refs = rows.map((r) => reference(members, policyInput(r.features, model.file.standardizer, r.gender)));
    const err = await withModel(bytes, async (m) => {
      expect(m.inputs.map((v) => [v.name, v.type, v.shape])).toEqual([
        ['features', 'float32', ['batch', F]],
        ['gender', 'float32', ['batch', 1]],
      ]);
      expect(m.outputs.map((v) => v.name).sort()).toEqual(['calibrated', 'emotion', 'energy', 'intonation', 'logp', 'pitch', 'speed', 'tokens']);
      const out = await m.run(policyOnnxFeeds(rows.map((r) => ({ values: r.features.values, gender: r.gender }))));
      // Each row alone gives the same as in the batch (no cross-row mixing).
      const one = await m.run(policyOnnxFeeds([{ values: rows[3].features.values, gender: rows[3].gender }]));
      expect(Array.from(one.tokens.data as BigInt64Array)).toEqual(Array.from((out.tokens.data as BigInt64Array).subarray(3 * TOKENS, 4 * TOKENS)));
      return compare(out, refs);
    });
    // The claims are not all "not mentioned" and the emotions vary: the comparison covers real decisions.
    expect(new Set(refs.map((r) => r.tokens[TOKENS - 1])).size).toBeGreaterThan(2);
    expect(refs.some((r) => r.tokens.slice(0, 4).some((t) => t > 0))).toBe(true);
    console.log(`policy ONNX parity, bundled model (${members.length} member${members.length > 1 ? 's' : ''}), ${rows.length} rows, max |ONNX − TS|: ${JSON.stringify(err)}`);
  });

  it('the "calibrated" output carries the temperature: the probabilities analyze reports for the same clips', async () => {
    const model = defaultModel();
    const T = model.file.perception!.temperature;
    expect(T).toBeGreaterThan(1.2); // a real calibration, so a graph without it would differ
    const bytes = exportPolicyOnnx(model);
    expect(Number(readOnnxMetadata(bytes)['emotionthinker.temperature'])).toBe(T);
    const some = clips.slice(0, 6);
    // analyze on the same files, with the gender the ONNX feeds get.
    const reported = await Promise.all(some.map((c) => analyze(c.file, { gender: c.gender! })));
    let err = 0, rawErr = 0;
    await withModel(bytes, async (m) => {
      const out = await m.run(policyOnnxFeeds(some.map((c) => ({ values: c.features.values, gender: c.gender }))));
      const cal = out.calibrated.data as Float32Array, raw = out.emotion.data as Float32Array;
      reported.forEach((r, i) => {
        EMOTIONS.forEach((e, j) => {
          err = Math.max(err, Math.abs(r.probabilities[e] - cal[i * EMOTIONS.length + j]));
          rawErr = Math.max(rawErr, Math.abs(r.probabilities[e] - raw[i * EMOTIONS.length + j]));
        });
      });
    });
    expect(err).toBeLessThanOrEqual(TOL);
    expect(rawErr).toBeGreaterThan(0.01); // the uncalibrated distribution is not what analyze reports
    // An explicit temperature of 1 makes "calibrated" the policy's own distribution.
    await withModel(exportPolicyOnnx(model, { temperature: 1 }), async (m) => {
      const out = await m.run(policyOnnxFeeds(some.map((c) => ({ values: c.features.values, gender: c.gender }))));
      const cal = out.calibrated.data as Float32Array, raw = out.emotion.data as Float32Array;
      cal.forEach((v, i) => expect(Math.abs(v - raw[i])).toBeLessThanOrEqual(TOL));
    });
    expect(() => exportPolicyOnnx(model, { temperature: 0 })).toThrow(/temperature \(options\.temperature\) must be a finite number > 0, got 0/);
    console.log(`policy ONNX calibrated output vs analyze, ${some.length} clips, T ${T.toFixed(3)}: max |ONNX − analyze| ${err.toExponential(1)} (uncalibrated: ${rawErr.toFixed(3)})`);
  });

  it('input "standardized" with the force input scores given tokens as Policy.generate(force) does', async () => {
    const model = defaultModel();
    const bytes = exportPolicyOnnx(model, { input: 'standardized', forceInput: true });
    const xs = rows.map((r) => policyInput(r.features, model.file.standardizer, r.gender));
    // Row r forces a pattern of tokens (some −1 = decode), covering every value of every cue.
    const force = rows.map((_, r) => TOKEN_SIZES.map((n, t) => ((r + t) % 3 === 0 ? -1 : (r * 7 + t * 3) % n)));
    const refs = xs.map((x, r) => reference(membersOf(model), x, force[r]));
    const err = await withModel(bytes, async (m) => {
      expect(m.inputs.map((v) => [v.name, v.type, v.shape])).toEqual([
        ['x', 'float32', ['batch', INPUTS]],
        ['force', 'int64', ['batch', 5]],
      ]);
      const x = new Float32Array(xs.length * INPUTS);
      xs.forEach((v, r) => x.set(v, r * INPUTS));
      const out = await m.run({
        x: { data: x, dims: [xs.length, INPUTS] },
        force: { data: BigInt64Array.from(force.flat(), BigInt), dims: [xs.length, TOKENS] },
      });
      // Unforced, the same graph decodes greedily.
      const free = await m.run({ x: { data: x, dims: [xs.length, INPUTS] }, force: { data: new BigInt64Array(xs.length * TOKENS).fill(-1n), dims: [xs.length, TOKENS] } });
      compare(free, xs.map((v) => reference(membersOf(model), v)));
      // A token outside its vocabulary (intonation has 8 values) is an error, not a silent zero one-hot.
      const outOfRange = { data: BigInt64Array.of(-1n, -1n, -1n, 8n, -1n), dims: [1, TOKENS] };
      await expect(m.run({ x: { data: x.subarray(0, INPUTS), dims: [1, INPUTS] }, force: outOfRange })).rejects.toThrow(/indices|bounds|range/i);
      return compare(out, refs, true);
    });
    console.log(`policy ONNX parity, forced tokens, max |ONNX − TS|: ${JSON.stringify(err)}`);
  });

  it('a freshly trained policy of another shape (all features per cue), from its JSON file, written to disk', async () => {
    const base = defaultModel().file;
    const standardizer = fitStandardizer(clips.map((r) => r.features.values));
    const data = {
      x: clips.map((r) => policyInput(r.features, standardizer, r.gender)),
      y: clips.map((r) => Number(path.basename(r.file).split('-')[2]) - 1), // RAVDESS codes 01–08 are EMOTIONS' order
      measured: clips.map((r) => measuredCues(r.features, base.calibration, r.gender)),
    };
    const associations = fitAssociations(data.measured, data.y);
    const { policy } = train({ data, associations, seed: 3, hidden: 12, cueHidden: 5, sftSteps: 6, steps: 4, batchSize: 4, groupSize: 4 });
    expect(policy.shape.cueFeatures[0]).toHaveLength(INPUTS);
    const json = JSON.parse(JSON.stringify(modelFile(policy, { standardizer, calibration: base.calibration, corpus: 'ravdess', associations, info: { test: true } }))) as EmotionModelFile;
    const file = path.join(tmp, 'fresh.onnx');
    writePolicyOnnx(json, file);
    const meta = readOnnxMetadata(new Uint8Array(readFileSync(file)));
    expect(meta['emotionthinker.kind']).toBe('policy');
    expect(JSON.parse(meta['emotionthinker.emotions'])).toEqual([...EMOTIONS]);
    expect(JSON.parse(meta['emotionthinker.info'])).toEqual({ test: true });
    // The TS side runs the policy as saved (float32-rounded parameters), as loadModel would.
    const saved = new (policy.constructor as typeof Policy)(json.policy.shape, Float64Array.from(json.policy.params));
    const refs = rows.map((r) => reference(saved, policyInput(r.features, standardizer, r.gender)));
    const m = await OnnxModel.create(file);
    try {
      const err = compare(await m.run(policyOnnxFeeds(rows.map((r) => ({ values: r.features.values, gender: r.gender })))), refs);
      console.log(`policy ONNX parity, fresh model, max |ONNX − TS|: ${JSON.stringify(err)}`);
    } finally {
      await m.dispose();
    }
  });

  it('an ensemble of three freshly trained policies: one graph, every output the members decoded together', async () => {
    const base = defaultModel().file;
    const standardizer = fitStandardizer(clips.map((r) => r.features.values));
    const data = {
      x: clips.map((r) => policyInput(r.features, standardizer, r.gender)),
      y: clips.map((r) => Number(path.basename(r.file).split('-')[2]) - 1),
      measured: clips.map((r) => measuredCues(r.features, base.calibration, r.gender)),
    };
    const associations = fitAssociations(data.measured, data.y);
    const trained = [3, 4, 5].map((seed) => train({ data, associations, seed, hidden: 12, cueHidden: 5, sftSteps: 30, steps: 4, batchSize: 4, groupSize: 4 }).policy);
    const json = JSON.parse(JSON.stringify(modelFile(trained, { standardizer, calibration: base.calibration, corpus: 'ravdess', associations, info: { test: 'ensemble' }, perception: { ...base.perception!, temperature: 1.7 } }))) as EmotionModelFile;
    const saved = [json.policy.params, ...json.ensemble!.map((m) => m.params)].map((p) => new (trained[0].constructor as typeof Policy)(json.policy.shape, Float64Array.from(p)));
    const bytes = exportPolicyOnnx(json, { forceInput: true });
    expect(readOnnxMetadata(bytes)['emotionthinker.members']).toBe('3');
    const xs = rows.map((r) => policyInput(r.features, standardizer, r.gender));
    const force = rows.map((_, r) => TOKEN_SIZES.map((n, t) => ((r + t) % 3 === 0 ? -1 : (r * 5 + t) % n)));
    const feeds = policyOnnxFeeds(rows.map((r) => ({ values: r.features.values, gender: r.gender })));
    const free = rows.map(() => TOKEN_SIZES.map(() => -1));
    const err = await withModel(bytes, async (m) => {
      const out = await m.run({ ...feeds, force: { data: BigInt64Array.from(free.flat(), BigInt), dims: [rows.length, TOKENS] } });
      const refs = xs.map((x) => reference(saved, x));
      // The ensemble's answers are not member 0's alone: the comparison covers the averaging.
      expect(refs.some((r, i) => r.tokens.join() !== reference(saved[0], xs[i]).tokens.join())).toBe(true);
      // calibrated = softmax(log(mean) / T), as analyze's temperatureScale.
      const cal = out.calibrated.data as Float32Array;
      refs.forEach((r, i) => {
        const z = Array.from(r.emotion, (p) => Math.log(p) / 1.7), mx = Math.max(...z), s = z.reduce((a, v) => a + Math.exp(v - mx), 0);
        z.forEach((v, j) => expect(Math.abs(Math.exp(v - mx) / s - cal[i * EMOTIONS.length + j])).toBeLessThanOrEqual(TOL));
      });
      const forcedOut = await m.run({ ...feeds, force: { data: BigInt64Array.from(force.flat(), BigInt), dims: [rows.length, TOKENS] } });
      compare(forcedOut, xs.map((x, r) => reference(saved, x, force[r])), true);
      return compare(out, refs);
    });
    console.log(`policy ONNX parity, 3-member ensemble, max |ONNX − TS|: ${JSON.stringify(err)}`);
    // A damaged member is refused with its field.
    const damaged = structuredClone(json);
    damaged.ensemble![1].params.pop();
    expect(() => exportPolicyOnnx(damaged)).toThrow(/ensemble\[1\]\.params has \d+ values; policy\.shape needs/);
  });

  it('refuses damaged models with an error naming the field', () => {
    const good = JSON.parse(readFileSync(path.resolve(__dirname, '../models/default.json'), 'utf8')) as EmotionModelFile;
    const damaged = (edit: (m: EmotionModelFile) => void) => {
      const m = structuredClone(good);
      edit(m);
      return m;
    };
    const refuses = (m: unknown, message: RegExp, options = {}) => {
      let err: unknown;
      try {
        exportPolicyOnnx(m as EmotionModelFile, options);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(EmotionThinkerError);
      expect((err as EmotionThinkerError).code).toBe('ERR_INVALID_ARG');
      expect((err as Error).message).toMatch(message);
    };
    refuses(damaged((m) => m.policy.params.pop()), new RegExp(`policy\\.params has ${PARAMS - 1} values; policy\\.shape needs ${PARAMS}`));
    refuses(damaged((m) => (m.policy.params[17] = null as unknown as number)), /policy\.params\[17\] is null, not a finite number/);
    refuses(damaged((m) => delete (m.policy as Partial<EmotionModelFile['policy']>).params), /policy\.params must be an array of numbers/);
    refuses(damaged((m) => (m.policy.shape.cueFeatures[1][2] = 999)), /policy\.shape\.cueFeatures\[1\] \(energy\)\[2\] is 999/);
    refuses(damaged((m) => m.policy.shape.cueFeatures.pop()), /policy\.shape\.cueFeatures must hold 4 index lists/);
    refuses(damaged((m) => (m.policy.shape.hidden = 0)), /policy\.shape\.hidden must be a positive integer/);
    refuses(damaged((m) => (m.standardizer.std[5] = 0)), /standardizer\.std\[5\] is 0; expected a finite number > 0/);
    refuses(damaged((m) => m.standardizer.mean.pop()), new RegExp(`standardizer\\.mean must be an array of ${F} numbers, got ${F - 1}`));
    refuses(damaged((m) => delete (m as Partial<EmotionModelFile>).policy), /policy is missing/);
    refuses(null, /must be an EmotionModel/);
    refuses(good, /options\.input must be "features" or "standardized"/, { input: 'raw' });
    // Values loadModel refuses, opsets onnxruntime refuses, metadata that would override the exporter's.
    refuses(damaged((m) => (m.policy.params[3] = 1e300)), /policy\.params\[3\] is 1e\+300; parameters are within ±1000000/);
    for (const opset of [1, 7, 999, NaN]) refuses(good, /options\.opset must be an integer in \[17, 21\]/, { opset });
    refuses(good, /options\.metadata\.emotionthinker\.input: the "emotionthinker\." keys are the exporter's own/, { metadata: { 'emotionthinker.input': 'x' } });
    refuses(good, /options\.metadata\.n must be a string/, { metadata: { n: 5 } });
    // Without the standardiser the standardized export still works; a bad one only matters for "features".
    expect(exportPolicyOnnx(damaged((m) => m.standardizer.mean.pop()), { input: 'standardized' })).toBeInstanceOf(Uint8Array);
    const loaded: EmotionModel = defaultModel();
    refuses({ ...loaded, policy: { shape: loaded.policy.shape, params: loaded.policy.params.subarray(1) } }, new RegExp(`policy\\.params has ${PARAMS - 1} values`));
  });
});

describe('emotionthinker export-onnx', () => {
  // The CLI runs from dist/ (npx tsc -p . builds it), as in the other CLI tests.
  const cli = path.resolve(__dirname, '..', 'dist', 'cli.js');
  const run = (args: string[]) => spawnSync(process.execPath, [cli, 'export-onnx', ...args], { encoding: 'utf8' });

  it('writes the bundled policy, byte for byte what exportPolicyOnnx returns; --score-input adds "force"', () => {
    const out = path.join(tmp, 'cli.onnx');
    const r = run(['--out', out]);
    expect(r.stderr).toBe(`export-onnx: wrote ${out}\n`);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ out, input: 'features', inputs: ['features', 'gender'], outputs: ['pitch', 'energy', 'speed', 'intonation', 'emotion', 'tokens', 'logp', 'calibrated'] });
    expect(Buffer.compare(readFileSync(out), Buffer.from(exportPolicyOnnx(defaultModel())))).toBe(0);
    const s = run(['--model', path.resolve(__dirname, '../models/default.json'), '--out', out, '--input', 'standardized', '--score-input', '--force']);
    expect(s.status).toBe(0);
    expect(JSON.parse(s.stdout).inputs).toEqual(['x', 'force']);
    expect(Buffer.compare(readFileSync(out), Buffer.from(exportPolicyOnnx(defaultModel(), { input: 'standardized', forceInput: true })))).toBe(0);
  });

  it('usage and input errors', () => {
    const out = path.join(tmp, 'cli.onnx');
    writeFileSync(out, 'keep');
    expect(run(['--out', out]).status).toBe(2); // exists, no --force
    expect(readFileSync(out, 'utf8')).toBe('keep');
    expect(run([]).status).toBe(2); // --out is required
    expect(run(['--out', out, '--force', '--input', 'raw']).status).toBe(2);
    const missing = run(['--model', '/no/such/model.json', '--out', out, '--force']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^emotionthinker export-onnx: \/no\/such\/model\.json: cannot read model \(ENOENT\) \[ERR_FILE\]/);
    const bad = path.join(tmp, 'bad.json');
    const m = JSON.parse(readFileSync(path.resolve(__dirname, '../models/default.json'), 'utf8')) as EmotionModelFile;
    m.policy.params.length = 100;
    writeFileSync(bad, JSON.stringify(m));
    const damaged = run(['--model', bad, '--out', out, '--force']);
    expect(damaged.status).toBe(1);
    expect(damaged.stderr).toMatch(new RegExp(`bad\\.json: not a usable emotion model: policy\\.params has 100 items; expected ${PARAMS} \\[ERR_MODEL_FORMAT\\]`));
    expect(readFileSync(out, 'utf8')).toBe('keep');
  });
});
