// Ensembles (issue #16): several policies of one shape decoded together (src/inference/ensemble.ts)
// and trained by one recipe (src/train/ensemble-train.ts), on real RAVDESS features. Checked:
// one member decodes exactly as the policy; the ensemble's claims are the argmax of the members'
// mean claim distributions and its emotion the mean of the members' emotion distributions given
// those claims (recomputed here member by member); identical members change nothing; a model file
// with members round-trips and analyze decodes from all of them; evaluation, the held-out
// temperature and the trainer follow the member seeds.
import { beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import {
  analyze,
  decodeEnsemble,
  defaultModel,
  evaluatePolicy,
  fitAssociations,
  memberSeed,
  HELD_OUT_FOLDS,
  membersOf,
  modelFile,
  train,
  trainEnsemble,
  type Associations,
  type PreparedCorpus,
  type TrainData,
} from '../src/index.js';
import { parseModel } from '../src/inference/model.js';
import { extractUtteranceFeatures, policyInput, type UtteranceFeatures } from '../src/inference/featurize.js';
import { fitStandardizer } from '../src/train/corpus-features.js';
import { cueFeatureIndices, measuredCues } from '../src/train/corpus.js';
import { heldOutTemperature } from '../src/train/confidence.js';
import type { Policy } from '../src/inference/policy.js';
import { CUES, TOKENS, TOKEN_SIZES } from '../src/inference/vocab.js';

const RAVDESS = path.resolve(__dirname, '../../shared/data/ravdess');
// Small and fast: enough steps that the members learn something and differ.
const TINY = { hidden: 12, cueHidden: 6, sftSteps: 40, steps: 6, batchSize: 8, groupSize: 4, cueFeatures: cueFeatureIndices() };

interface Row { file: string; actor: number; gender: 'male' | 'female'; emotion: number; features: UtteranceFeatures }
let rows: Row[] = [];
let data: TrainData & { clips: { actor: number; file: string; gender: 'male' | 'female' }[] };
let associations: Associations;
let members: Policy[];

const argmax = (p: ArrayLike<number>) => {
  let b = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[b]) b = i;
  return b;
};

beforeAll(async () => {
  // Four actors (two men, two women), every emotion (strong intensity; neutral has only normal),
  // statement 1, repetition 1: 32 clips.
  const names = readdirSync(RAVDESS).filter((f) => /^03-01-(01-01|0[2-8]-02)-01-01-0[1-4]\.wav$/.test(f)).sort();
  for (const f of names) {
    const actor = Number(f.slice(-6, -4));
    const { features } = await extractUtteranceFeatures(path.join(RAVDESS, f));
    rows.push({ file: path.join(RAVDESS, f), actor, gender: actor % 2 ? 'male' : 'female', emotion: Number(f.slice(6, 8)) - 1, features });
  }
  expect(rows.length).toBe(32);
  const base = defaultModel().file;
  const standardizer = fitStandardizer(rows.map((r) => r.features.values));
  data = {
    x: rows.map((r) => policyInput(r.features, standardizer, r.gender)),
    y: rows.map((r) => r.emotion),
    measured: rows.map((r) => measuredCues(r.features, base.calibration, r.gender)),
    cueFeatures: TINY.cueFeatures,
    clips: rows.map((r) => ({ actor: r.actor, file: r.file, gender: r.gender })),
  };
  associations = fitAssociations(data.measured, data.y);
  members = [1, 2, 3].map((seed) => train({ ...TINY, data, associations, seed }).policy);
}, 300_000);

describe('decodeEnsemble', () => {
  it('one member decodes exactly as Policy.greedy (tokens, log-probabilities, emotion distribution), forced tokens too', () => {
    for (const x of data.x) {
      const a = decodeEnsemble([members[0]], x), b = members[0].greedy(x);
      expect(Array.from(a.tokens)).toEqual(Array.from(b.tokens));
      expect(Array.from(a.logp)).toEqual(Array.from(b.logp));
      expect(Array.from(a.emotionProbs)).toEqual(Array.from(b.emotionProbs));
    }
    const force = [2, -1, 1, -1, 5];
    const a = decodeEnsemble([members[1]], data.x[4], force), b = members[1].generate(data.x[4], argmax, force);
    expect(Array.from(a.tokens)).toEqual(Array.from(b.tokens));
    expect(a.tokens[4]).toBe(5);
  });

  it('claims: argmax of the mean claim distributions; emotion: the mean of the members\' distributions given those claims', () => {
    let differs = 0;
    for (const x of data.x) {
      const r = decodeEnsemble(members, x);
      // Recomputed member by member: each member's own claim distributions (captured from choose).
      const own = members.map((m) => {
        const d: Float64Array[] = [];
        m.generate(x, (p) => (d.push(p), argmax(p)));
        return d;
      });
      CUES.forEach((_, k) => {
        const mean = Array.from({ length: TOKEN_SIZES[k] }, (_, j) => own.reduce((s, d) => s + d[k][j], 0) / members.length);
        expect(r.tokens[k]).toBe(argmax(mean));
        expect(r.logp[k]).toBeCloseTo(Math.log(mean[r.tokens[k]]), 12);
      });
      const given = [...Array.from(r.tokens).slice(0, TOKENS - 1), -1];
      const emo = members.map((m) => m.generate(x, argmax, given).emotionProbs);
      const mean = Array.from(emo[0], (_, j) => emo.reduce((s, e) => s + e[j], 0) / members.length);
      mean.forEach((v, j) => expect(r.emotionProbs[j]).toBeCloseTo(v, 12));
      expect(r.tokens[TOKENS - 1]).toBe(argmax(mean));
      expect(r.emotionProbs.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
      if (r.tokens[TOKENS - 1] !== members[0].greedy(x).tokens[TOKENS - 1] || r.tokens.some((t, k) => k < TOKENS - 1 && t !== members[0].greedy(x).tokens[k])) differs++;
    }
    // The members differ, so the ensemble's answers are not member 0's on every clip.
    expect(differs).toBeGreaterThan(0);
  });

  it('identical members decode as one', () => {
    for (const x of data.x.slice(0, 8)) {
      const a = decodeEnsemble([members[2], members[2], members[2]], x), b = members[2].greedy(x);
      expect(Array.from(a.tokens)).toEqual(Array.from(b.tokens));
      a.emotionProbs.forEach((v, j) => expect(v).toBeCloseTo(b.emotionProbs[j], 12));
    }
    expect(() => decodeEnsemble([], data.x[0])).toThrow(/at least one policy/);
  });
});

describe('ensemble models', () => {
  it('the bundled models are ensembles of the recipe\'s size, member k at seed + 1000k, each with its temperature fitted on the ensemble', async () => {
    const { loadModel, DEFAULT_ENSEMBLE_MEMBERS } = await import('../src/index.js');
    for (const name of ['default', 'speaker']) {
      const m = loadModel(path.resolve(__dirname, '../models', `${name}.json`));
      expect(membersOf(m)).toHaveLength(DEFAULT_ENSEMBLE_MEMBERS);
      expect(m.file.info).toMatchObject({ members: DEFAULT_ENSEMBLE_MEMBERS, memberSeeds: [1, 1001, 2001] });
      expect(m.file.perception!.calibrationInfo).toMatchObject({ members: DEFAULT_ENSEMBLE_MEMBERS });
      // The members are different policies.
      expect(Array.from(membersOf(m)[1].params.subarray(0, 50))).not.toEqual(Array.from(membersOf(m)[0].params.subarray(0, 50)));
    }
  });

  it('round-trip through a model file; analyze decodes from every member', async () => {
    const base = defaultModel().file;
    const parts = { standardizer: base.standardizer, calibration: base.calibration, corpus: base.corpus, associations: base.associations, perception: base.perception, info: { test: 'ensemble' } };
    // Members of the bundled model's shape: the bundled policy (or its members) and a perturbed copy.
    const own = membersOf(defaultModel());
    const other = new (own[0].constructor as typeof Policy)(own[0].shape, own[0].params.map((v, i) => v + 0.05 * Math.sin(i)));
    const json = JSON.parse(JSON.stringify(modelFile([own[0], other], parts)));
    expect(json.ensemble).toHaveLength(1);
    const model = parseModel(json, 'in-memory ensemble');
    expect(membersOf(model)).toHaveLength(2);
    expect(Array.from(membersOf(model)[1].params)).toEqual(Array.from(other.params, Math.fround));
    const single = parseModel(JSON.parse(JSON.stringify(modelFile(own[0], parts))), 'in-memory single');
    expect(single.file.ensemble).toBeUndefined();
    expect(membersOf(single)).toHaveLength(1);
    const copies = parseModel(JSON.parse(JSON.stringify(modelFile([own[0], own[0]], parts))), 'in-memory copies');
    const clip = rows[5].file;
    const [a, b, c] = await Promise.all([analyze(clip, { model }), analyze(clip, { model: single }), analyze(clip, { model: copies })]);
    // Two identical members report what one does; a different second member moves the probabilities.
    for (const e of Object.keys(b.probabilities)) expect(c.probabilities[e as keyof typeof c.probabilities]).toBeCloseTo(b.probabilities[e as keyof typeof b.probabilities], 9);
    const moved = Object.keys(a.probabilities).reduce((m, e) => Math.max(m, Math.abs(a.probabilities[e as keyof typeof a.probabilities] - b.probabilities[e as keyof typeof b.probabilities])), 0);
    expect(moved).toBeGreaterThan(1e-4);
    expect(() => modelFile([own[0], members[0]], parts)).toThrow(/member 1 has another shape/);
    expect(() => modelFile([], parts)).toThrow(/at least one policy/);
  });

  it('evaluatePolicy on one member equals the policy; on the ensemble it scores the ensemble\'s decode', () => {
    const one = evaluatePolicy(members[0], data, associations);
    expect(evaluatePolicy([members[0]], data, associations)).toEqual(one);
    const all = evaluatePolicy(members, data, associations);
    const byHand = data.x.filter((x, i) => decodeEnsemble(members, x).tokens[TOKENS - 1] === data.y[i]).length / data.x.length;
    expect(all.accuracy).toBe(byHand);
  });
});

describe('trainEnsemble', () => {
  it('member k is train() at memberSeed(seed, k); the held-out temperature is fitted on the ensemble', async () => {
    const corpus = { train: data, associations } as unknown as PreparedCorpus;
    const { policies, held } = await trainEnsemble(corpus, { members: 2, copies: 0, seed: 7, train: TINY, heldOutFolds: 2 });
    expect(policies).toHaveLength(2);
    expect(memberSeed(7, 0)).toBe(7);
    expect(Array.from(policies[0].params)).toEqual(Array.from(train({ ...TINY, data, associations, seed: 7 }).policy.params));
    expect(Array.from(policies[1].params)).toEqual(Array.from(train({ ...TINY, data, associations, seed: memberSeed(7, 1) }).policy.params));
    expect(held!.members).toBe(2);
    expect(held!.clips).toBe(32);
    // The same fit through heldOutTemperature directly.
    const speakers = rows.map((r) => r.actor);
    const direct = heldOutTemperature([0, 1].map((k) => ({ data, speakers, options: { ...TINY, seed: memberSeed(7, k) } })), 2);
    expect(direct.temperature).toBe(held!.temperature);
    expect(held!.temperature).toBeGreaterThan(0);
    await expect(trainEnsemble(corpus, { members: 0, copies: 0, seed: 1, train: TINY })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(/members must be an integer from 1 to 16; got 0/) });
  }, 300_000);

  it('without heldOutFolds the fit uses the model kind\'s folds: HELD_OUT_FOLDS.session for a session model, .clip otherwise', async () => {
    expect(HELD_OUT_FOLDS).toEqual({ clip: 4, session: 6 });
    const corpus = { train: data, associations } as unknown as PreparedCorpus;
    const speakers = rows.map((r) => r.actor);
    const session = await trainEnsemble(corpus, { members: 1, copies: 0, seed: 5, train: TINY, speakerNormalization: true });
    expect(session.held!.folds).toBe(6);
    expect(session.held!.temperature).toBe(heldOutTemperature([{ data, speakers, options: { ...TINY, seed: 5 } }], 6).temperature);
    const clip = await trainEnsemble(corpus, { members: 1, copies: 0, seed: 5, train: TINY });
    expect(clip.held!.folds).toBe(4);
    expect(clip.held!.temperature).toBe(heldOutTemperature([{ data, speakers, options: { ...TINY, seed: 5 } }], 4).temperature);
  }, 300_000);
});
