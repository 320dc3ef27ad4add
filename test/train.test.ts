import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  EmotionThinkerError,
  evaluatePolicy,
  judgeResponse,
  loadRavdess,
  parseResponse,
  prepareRavdess,
  renderResponse,
  train,
  type PreparedCorpus,
} from '../src/index.js';
import { cueFeatureIndices } from '../src/train/corpus.js';
import { judgeClaims } from '../src/inference/judge.js';
import { CLAIMS_SIZE, exportMlp, OnnxRewardModel, trainAsync } from '../src/index.js';

const RAVDESS = path.resolve(__dirname, '../../shared/data/ravdess');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-train-'));
let corpus: PreparedCorpus;

beforeAll(async () => {
  corpus = await prepareRavdess(RAVDESS, { trainActors: [1, 2], valActors: [3], cacheFile: path.join(tmp, 'features.json') });
}, 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const small = () => ({
  data: corpus.train,
  associations: corpus.associations,
  cueFeatures: cueFeatureIndices(),
  sftSteps: 12,
  steps: 8,
  batchSize: 8,
  groupSize: 4,
});

describe('responses and the judge', () => {
  it('renders and parses responses; malformed text is rejected', () => {
    const tokens = Int32Array.from([3, 1, 0, 4, 5]); // high pitch, low energy, speed unmentioned, falling, fearful
    const text = renderResponse(tokens);
    expect(text).toBe('<think>The pitch is high; the vocal energy is low; the intonation is falling. These cues point to fearful.</think><answer>fearful</answer>');
    expect(Array.from(parseResponse(text)!)).toEqual(Array.from(tokens));
    const withEvidence = renderResponse(Int32Array.from([1, 0, 0, 6, 3]), { pitch: '101 Hz; normal is 124 Hz to 166 Hz' });
    expect(Array.from(parseResponse(withEvidence)!)).toEqual([1, 0, 0, 6, 3]);
    expect(parseResponse('<think>x</think><answer>bored</answer>')).toBeNull();
    expect(parseResponse('The pitch is high. <answer>sad</answer>')).toBeNull();
    expect(parseResponse('<think>The pitch is high; the pitch is low. These cues point to sad.</think><answer>sad</answer>')).toBeNull();
    expect(parseResponse('<think>The pitch is high. These cues point to happy.</think><answer>sad</answer>')).toBeNull();
  });

  it('scores FA, IQ, CC and FS as docs/formulas.md#judge-scores defines them', () => {
    const measured = { pitch: 'high', energy: 'normal', speed: 'slow', intonation: 'falling' };
    const assoc = corpus.associations;
    // pitch high (agrees), energy low (disagrees), speed not mentioned, intonation falling (agrees); sad
    const s = judgeResponse(Int32Array.from([3, 1, 0, 4, 3]), measured, assoc);
    expect(s.claims).toBe(3);
    expect(s.agreeing).toBe(2);
    expect(s.fa).toBeCloseTo(1 + (4 * 2) / 3, 10);
    // salient: pitch, speed, intonation (energy is normal); mentioned: pitch and intonation
    expect(s.cc).toBeCloseTo(1 + (4 * 2) / 3, 10);
    expect(s.fs).toBe(5);
    const ratio = (cue: 'pitch' | 'energy' | 'intonation', v: string) => assoc[cue][v][3] / Math.max(...assoc[cue][v]);
    expect(s.iq).toBeCloseTo(1 + (4 * (ratio('pitch', 'high') + ratio('energy', 'low') + ratio('intonation', 'falling'))) / 3, 10);
    // Claim by claim (claimCredit 'claim'): averaged over the mentioned claims, FA and IQ are the response's.
    const per = judgeClaims(Int32Array.from([3, 1, 0, 4, 3]), measured, assoc, s.fs);
    expect(per.map((r) => r[0])).toEqual([5, 1, 3, 5]);
    expect(per.map((r) => r[2])).toEqual([5, 5, 1, 5]); // speed is salient and unmentioned
    expect(per.map((r) => r[3])).toEqual([5, 5, 5, 5]);
    expect(per[2][1]).toBe(1);
    const mentioned = [0, 1, 3];
    expect(mentioned.reduce((a, k) => a + per[k][0], 0) / 3).toBeCloseTo(s.fa, 10);
    expect(mentioned.reduce((a, k) => a + per[k][1], 0) / 3).toBeCloseTo(s.iq, 10);
    const silent = judgeResponse(Int32Array.from([0, 0, 0, 0, 0]), measured, assoc);
    expect(silent.fa).toBe(3); // no claims: no evidence either way
    expect(silent.iq).toBe(1);
    expect(silent.cc).toBe(1);
    expect(silent.fs).toBe(3);
  });
});

describe('dataset', () => {
  it('reports and skips bad entries, or fails on the first with strict', () => {
    const dir = path.join(tmp, 'mini');
    rmSync(dir, { recursive: true, force: true });
    execMkdir(dir);
    const good = path.join(RAVDESS, '03-01-05-01-01-01-01.wav');
    copyFileSync(good, path.join(dir, '03-01-05-01-01-01-01.wav'));
    copyFileSync(good, path.join(dir, '03-01-09-01-01-01-01.wav')); // emotion 09 does not exist
    copyFileSync(good, path.join(dir, 'interview.wav'));
    writeFileSync(path.join(dir, '03-01-03-01-01-01-02.wav'), 'RIFF');
    const r = loadRavdess(dir);
    expect(r.clips.map((c) => path.basename(c.file))).toEqual(['03-01-05-01-01-01-01.wav']);
    expect(r.clips[0]).toMatchObject({ emotion: 'angry', actor: 1, gender: 'male', intensity: 'normal', statement: 1 });
    expect(r.skipped.map((s) => s.reason).sort()).toEqual(['file name is not 03-01-EE-II-SS-RR-AA.wav', 'file too small to hold audio', 'unknown emotion code 09']);
    expect(() => loadRavdess(dir, { strict: true })).toThrow(/03-01-03-01-01-01-02\.wav: file too small|03-01-09-01-01-01-01\.wav: unknown emotion code 09/);
    expect(() => loadRavdess(path.join(tmp, 'nope'))).toThrow(EmotionThinkerError);
  });
});

function execMkdir(dir: string) {
  mkdirSync(dir, { recursive: true });
}

describe('trainer', () => {
  it('gives identical results for the same seed and different ones for another', () => {
    const a = train({ ...small(), seed: 5 });
    const b = train({ ...small(), seed: 5 });
    const c = train({ ...small(), seed: 6 });
    expect(Buffer.from(a.policy.params.buffer).equals(Buffer.from(b.policy.params.buffer))).toBe(true);
    expect(JSON.stringify(a.history)).toBe(JSON.stringify(b.history));
    expect(Buffer.from(a.policy.params.buffer).equals(Buffer.from(c.policy.params.buffer))).toBe(false);
    // Both phases ran and the RL steps report the GRPO-PTR metrics.
    expect(a.history.filter((m) => m.phase === 'sft')).toHaveLength(12);
    const rl = a.history.filter((m) => m.phase === 'rl');
    expect(rl).toHaveLength(8);
    for (const m of rl) {
      expect(m.fs).toBeGreaterThanOrEqual(1);
      expect(m.trustMean).toBeGreaterThan(0);
      expect(m.trustMean).toBeLessThanOrEqual(1);
      expect(Number.isFinite(m.kl)).toBe(true);
    }
  });

  it('ablation modes: only full GRPO-PTR waits for the gate; without τ the reward is the plain weighted sum', () => {
    // 8 RL steps: the gate (window 20) cannot open, so 'ptr' trains on format and outcome only.
    const rows = Object.fromEntries((['grpo-outcome', 'ptr-no-trust', 'ptr-no-gate', 'ptr'] as const).map((mode) => [mode, train({ ...small(), mode, seed: 3 }).history.filter((m) => m.phase === 'rl')]));
    expect(rows['grpo-outcome'].every((m) => !m.reasoningEnabled)).toBe(true);
    expect(rows['ptr-no-trust'].every((m) => m.reasoningEnabled)).toBe(true);
    expect(rows['ptr-no-gate'].every((m) => m.reasoningEnabled)).toBe(true);
    expect(rows.ptr.every((m) => !m.reasoningEnabled && !m.gateOpen)).toBe(true);
    // α = (0.3, 1.0, 0.5): mean reward = 0.3·format + 1.0·outcome + 0.5·reasoning, no τ.
    for (const m of rows['ptr-no-trust']) expect(m.reward).toBeCloseTo(0.3 * m.rewardFormat + m.rewardOutcome + 0.5 * m.rewardReasoning, 12);
    for (const m of rows.ptr) expect(m.reward).toBeCloseTo(0.3 * m.rewardFormat + m.rewardOutcome, 12);
  });

  it('streams metrics to JSONL and onStep, and resumes from a checkpoint to the same result', () => {
    const metricsFile = path.join(tmp, 'metrics.jsonl');
    const ckpt = path.join(tmp, 'ckpt.json');
    const mid = path.join(tmp, 'ckpt-mid.json');
    const seen: number[] = [];
    const full = train({
      ...small(), seed: 9, metricsFile, checkpointFile: ckpt, checkpointEvery: 5,
      onStep: (m) => {
        seen.push(m.step);
        if (m.step === 16) copyFileSync(ckpt, mid); // the checkpoint written at step 15 (RL phase)
      },
    });
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const lines = readFileSync(metricsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(20);
    expect(lines[19]).toMatchObject({ step: 20, phase: 'rl' });
    expect(JSON.parse(readFileSync(mid, 'utf8')).step).toBe(15);
    const resumed = train({ ...small(), seed: 9, resume: mid });
    expect(Buffer.from(resumed.policy.params.buffer).equals(Buffer.from(full.policy.params.buffer))).toBe(true);
    expect(() => train({ ...small(), seed: 10, resume: mid })).toThrow(/different options/);
  });

  it('stops with a diagnostic naming the step on a non-finite gradient and keeps the last good checkpoint', () => {
    const ckpt = path.join(tmp, 'nan.json');
    let err: unknown;
    try {
      train({ ...small(), seed: 3, checkpointFile: ckpt, checkpointEvery: 4, injectNanAtStep: 14 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EmotionThinkerError);
    expect((err as EmotionThinkerError).code).toBe('ERR_TRAINING');
    expect((err as Error).message).toMatch(/diverged at step 14.*last good checkpoint is .*nan\.json/);
    expect(existsSync(ckpt)).toBe(true);
    expect(JSON.parse(readFileSync(ckpt, 'utf8')).step).toBe(12);
  });

  it('evaluates accuracy, macro-F1 and the confusion matrix on held-out speakers', () => {
    const r = train({ ...small(), seed: 2 });
    const e = evaluatePolicy(r.policy, corpus.val, corpus.associations);
    expect(e.n).toBe(60);
    expect(e.confusion.flat().reduce((a, b) => a + b, 0)).toBe(60);
    const diag = e.confusion.reduce((s, row, i) => s + row[i], 0);
    expect(e.accuracy).toBeCloseTo(diag / 60, 12);
    expect(e.macroF1).toBeGreaterThanOrEqual(0);
    expect(e.macroF1).toBeLessThanOrEqual(1);
    expect(e.factualShare).toBeGreaterThanOrEqual(0);
  });

  it('an ONNX reward model the test exports replaces the built-in judge', async () => {
    const F = corpus.train.x[0].length;
    // Scores = 1 + 4·sigmoid(bias): the weights are zero, so every response gets the same four
    // scores, set by the biases; the step metrics must show exactly those scores.
    const inSize = F + CLAIMS_SIZE + 8;
    const bias = Float32Array.of(2, -1, 0, 3);
    const model = exportMlp({
      inputs: [{ name: 'features', size: F }, { name: 'claims', size: CLAIMS_SIZE }, { name: 'emotion', size: 8 }],
      heads: [{ name: 'scores', layers: [{ inSize, outSize: 4, weight: new Float32Array(inSize * 4), bias }], output: 'range', range: [1, 5] }],
    });
    const judge = await OnnxRewardModel.load(model);
    try {
      const r = await trainAsync({ ...small(), seed: 4, rewardModel: judge });
      const want = Array.from(bias, (b) => 1 + 4 / (1 + Math.exp(-b)));
      for (const m of r.history.filter((h) => h.phase === 'rl')) {
        expect(m.fa).toBeCloseTo(want[0], 5);
        expect(m.iq).toBeCloseTo(want[1], 5);
        expect(m.cc).toBeCloseTo(want[2], 5);
        expect(m.fs).toBeCloseTo(want[3], 5);
      }
      // The built-in judge scores differently, so the runs differ.
      const builtin = train({ ...small(), seed: 4 });
      expect(builtin.history.at(-1)!.fs).not.toBeCloseTo(want[3], 3);
    } finally {
      await judge.dispose();
    }
  });

  it('claim-level credit (an option, off by default) is deterministic and changes the run', () => {
    const opts = { ...small(), seed: 7, gate: { openAtStep: 1 } };
    const a = train({ ...opts, claimCredit: 'claim' });
    const b = train({ ...opts, claimCredit: 'claim' });
    const c = train(opts);
    const d = train({ ...opts, claimCredit: 'response' });
    expect(Buffer.from(a.policy.params.buffer).equals(Buffer.from(b.policy.params.buffer))).toBe(true);
    expect(Buffer.from(a.policy.params.buffer).equals(Buffer.from(c.policy.params.buffer))).toBe(false);
    expect(Buffer.from(c.policy.params.buffer).equals(Buffer.from(d.policy.params.buffer))).toBe(true);
    // It needs the built-in judge's claim-level scores.
    const judge = () => ({ fa: 3, iq: 3, cc: 3, fs: 3 });
    expect(() => train({ ...opts, claimCredit: 'claim', judge })).toThrow(/claimCredit 'claim' needs the built-in judge/);
    expect(() => train({ ...opts, claimCredit: 'token' as 'claim' })).toThrow(/option claimCredit must be one of/);
  });

  it('rejects bad options', () => {
    expect(() => train({ ...small(), mode: 'dpo' as 'ptr' })).toThrow(/option mode must be one of/);
    expect(() => train({ ...small(), data: { x: [], y: [], measured: [] } })).toThrow(/same non-zero length/);
  });
});

describe('train checks its options and data before step 0', () => {
  it('NaN or negative steps, a huge learning rate, a label out of range, a ragged or non-finite row, a bad cue-feature index: ERR_INVALID_ARG naming it (they trained nothing, diverged, or said "diverged at step 0")', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ steps: NaN }, /option steps must be an integer ≥ 0; got NaN/],
      [{ sftSteps: -1 }, /option sftSteps must be an integer ≥ 0/],
      [{ steps: 1.5 }, /option steps must be an integer/],
      [{ hidden: 0 }, /option hidden must be an integer ≥ 1/],
      [{ seed: 'abc' }, /option seed must be an integer/],
      [{ sftLr: 1e30 }, /option sftLr must be a number in \(0, 1\]/],
      [{ associations: undefined }, /option associations must be/],
      [{ data: { ...corpus.train, y: corpus.train.y.map((v, i) => (i === 3 ? 9 : v)) } }, /data\.y\[3\] is 9; expected an emotion index in \[0, 8\)/],
      [{ data: { ...corpus.train, x: corpus.train.x.map((r, i) => (i === 2 ? r.slice(0, 3) : r)) } }, /data\.x\[2\] has 3 features/],
      [{ data: { ...corpus.train, x: corpus.train.x.map((r, i) => (i === 1 ? r.map((v, j) => (j === 0 ? NaN : v)) : r)) } }, /data\.x\[1\]\[0\] is NaN; features must be finite/],
      [{ cueFeatures: [[0, 99999], [], [], []] }, /cueFeatures\[0\] holds 99999/],
    ];
    for (const [over, message] of bad) {
      let err: unknown = null;
      try {
        train({ ...small(), ...over } as never);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(Object.keys(over))).toBeInstanceOf(EmotionThinkerError);
      expect((err as EmotionThinkerError).code).toBe('ERR_INVALID_ARG');
      expect((err as Error).message).toMatch(message);
    }
  });
});

describe('evaluatePolicy checks its arguments', () => {
  it('a null policy, missing associations, a short row, a bad label, no data: ERR_INVALID_ARG (TypeErrors, a silent near-chance score, NaN)', () => {
    const { policy } = train({ ...small(), sftSteps: 2, steps: 0, mode: 'supervised' });
    const v = corpus.val;
    const cases: [() => unknown, RegExp][] = [
      [() => evaluatePolicy(null as never, v, corpus.associations), /policy must be a Policy/],
      [() => evaluatePolicy([], v, corpus.associations), /policy must be a Policy/],
      [() => evaluatePolicy(policy, v, undefined as never), /associations must be/],
      [() => evaluatePolicy(policy, { ...v, x: v.x.map((r, i) => (i === 0 ? r.slice(0, 3) : r)) }, corpus.associations), /data\.x\[0\] has 3 features; the policy reads/],
      [() => evaluatePolicy(policy, { ...v, y: v.y.map((y, i) => (i === 1 ? -1 : y)) }, corpus.associations), /data\.y\[1\] is -1/],
      [() => evaluatePolicy(policy, { ...v, x: [], y: [], measured: [] }, corpus.associations), /non-zero length/],
    ];
    for (const [call, message] of cases) expect(call).toThrow(message);
    expect(evaluatePolicy(policy, v, corpus.associations).n).toBe(v.x.length);
  });
});

describe('prepareRavdess checks its arguments and says when no clip is usable', () => {
  it('missing or malformed actor lists, overlapping splits, a directory without the actors: ERR_INVALID_ARG naming them', async () => {
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => prepareRavdess(RAVDESS, undefined as never), /options \{ trainActors, valActors \} are required/],
      [() => prepareRavdess(RAVDESS, { trainActors: '1-2' as never, valActors: [] }), /options\.trainActors must be an array of actor numbers 1-24; got "1-2"/],
      [() => prepareRavdess(RAVDESS, { trainActors: [1, 2], valActors: [2, 3] }), /actors 2 are in both trainActors and valActors/],
      [() => prepareRavdess(tmp, { trainActors: [1], valActors: [] }), /no usable clip of training actors 1/],
    ];
    for (const [call, message] of cases) await expect(call()).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(message) });
  });
});

