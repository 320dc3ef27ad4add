// Checkpoints written by a real (small) training run, then damaged field by field: resuming must
// fail with ERR_MODEL_FORMAT naming the file and the field, not resume from NaN parameters, a
// fractional step or a string RNG state (before, all of these were accepted, and a truncated
// file surfaced as a bare SyntaxError without the file name).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { CLAIM_VALUES, EMOTIONS, EmotionThinkerError, fitAssociations, train, type TrainData } from '../src/index.js';
import { CUES } from '../src/inference/vocab.js';

const ROOT = path.resolve(__dirname, '..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-tampered-ckpt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// A small deterministic data set: inputs carry the emotion and the cue levels (so training has
// something to learn), sizes keep the run to a fraction of a second.
function dataSet(): TrainData {
  const n = 32, inputs = 6;
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const x: Float64Array[] = [], y: number[] = [], measured: TrainData['measured'] = [];
  for (let i = 0; i < n; i++) {
    const e = i % EMOTIONS.length;
    y.push(e);
    const m = Object.fromEntries(CUES.map((cue) => [cue, CLAIM_VALUES[cue][1 + ((i + cue.length) % (CLAIM_VALUES[cue].length - 1))]])) as TrainData['measured'][number];
    measured.push(m);
    x.push(Float64Array.from({ length: inputs }, (_, j) => (j === 0 ? e / 4 - 1 : rand() * 2 - 1)));
  }
  return { x, y, measured, cueFeatures: [[0, 1], [2, 3], [4], [5]] };
}

const data = dataSet();
const run = () => ({
  data,
  associations: fitAssociations(data.measured, data.y),
  sftSteps: 4,
  steps: 4,
  batchSize: 4,
  groupSize: 2,
  hidden: 8,
  cueHidden: 4,
  seed: 5,
});

const sftCkpt = path.join(tmp, 'sft.json'); // written at step 4, the last supervised step
const rlCkpt = path.join(tmp, 'rl.json'); // written at step 6, in the RL phase
let full: ReturnType<typeof train>;

beforeAll(() => {
  const live = path.join(tmp, 'live.json');
  full = train({
    ...run(),
    checkpointFile: live,
    checkpointEvery: 2,
    onStep: (m) => {
      // onStep runs before the step's checkpoint is written: at step k+1 the file holds step k.
      if (m.step === 5) copyFileSync(live, sftCkpt);
      if (m.step === 7) copyFileSync(live, rlCkpt);
    },
  });
});

/* eslint-disable @typescript-eslint/no-explicit-any */
let counter = 0;
function tampered(base: string, mutate: (c: any) => void, raw?: (text: string) => string): string {
  const c = JSON.parse(readFileSync(base, 'utf8'));
  mutate(c);
  const file = path.join(tmp, `tampered-${++counter}.json`);
  const text = JSON.stringify(c);
  writeFileSync(file, raw ? raw(text) : text);
  return file;
}

function resumeError(file: string): EmotionThinkerError {
  try {
    train({ ...run(), resume: file });
  } catch (err) {
    expect(err).toBeInstanceOf(EmotionThinkerError);
    return err as EmotionThinkerError;
  }
  throw new Error(`resuming from ${file} succeeded; expected an error`);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('checkpoints are validated on resume', () => {
  it('unmodified checkpoints (supervised and RL phase) resume to the same result as the full run', () => {
    expect(JSON.parse(readFileSync(sftCkpt, 'utf8')).step).toBe(4);
    expect(JSON.parse(readFileSync(rlCkpt, 'utf8')).step).toBe(6);
    for (const file of [sftCkpt, rlCkpt]) {
      const resumed = train({ ...run(), resume: file });
      expect(Array.from(resumed.policy.params)).toEqual(Array.from(full.policy.params));
    }
  });

  const cases: [string, string, (c: any) => void, string, ((t: string) => string)?][] = [
    ['params[5] = null', rlCkpt, (c) => (c.params[5] = null), 'params[5]'],
    ['params[2] = "NaN"', rlCkpt, (c) => (c.params[2] = 'NaN'), 'params[2]'],
    ['params[1] = 1e309', rlCkpt, (c) => (c.params[1] = '@@'), 'params[1]', (t) => t.replace('"@@"', '1e309')],
    ['a parameter missing', rlCkpt, (c) => c.params.pop(), 'params'],
    ['step -5', rlCkpt, (c) => (c.step = -5), 'step'],
    ['step 2.5', rlCkpt, (c) => (c.step = 2.5), 'step'],
    ['step 1e9', rlCkpt, (c) => (c.step = 1e9), 'step'],
    ['step moved without the optimiser state', rlCkpt, (c) => (c.step = 7), 'adam.t'],
    ['rng "xyz"', rlCkpt, (c) => (c.rng = 'xyz'), 'rng'],
    ['rng -1', rlCkpt, (c) => (c.rng = -1), 'rng'],
    ['rng 2^32', rlCkpt, (c) => (c.rng = 2 ** 32), 'rng'],
    ['adam.t inconsistent with step', rlCkpt, (c) => (c.adam.t = 3), 'adam.t'],
    ['adam.m too short', rlCkpt, (c) => c.adam.m.pop(), 'adam.m'],
    ['adam.v negative', rlCkpt, (c) => (c.adam.v[0] = -1), 'adam.v[0]'],
    ['reference dropped in the RL phase', rlCkpt, (c) => (c.reference = null), 'reference'],
    ['reference set before the RL phase', sftCkpt, (c) => (c.reference = c.params), 'reference'],
    ['reference with a NaN', rlCkpt, (c) => (c.reference[4] = 'NaN'), 'reference[4]'],
    ['a cue feature index out of range', rlCkpt, (c) => (c.shape.cueFeatures[2][0] = 99999), 'shape.cueFeatures[2][0]'],
    ['an unknown mode', rlCkpt, (c) => (c.mode = 'magic'), 'mode'],
    ['a gate history value of 7', rlCkpt, (c) => (c.gate.history = [7]), 'gate'],
    ['an unknown field', rlCkpt, (c) => (c.note = 'x'), 'note'],
    ['a "__proto__" key', rlCkpt, (c) => (c.adam = '@@'), 'adam.__proto__', (t) => t.replace('"@@"', '{"__proto__": {}, "m": [], "v": [], "t": 0}')],
  ];

  it.each(cases)('refuses %s (ERR_MODEL_FORMAT naming the file and field)', (_label, base, mutate, field, raw) => {
    const file = tampered(base, mutate, raw);
    const err = resumeError(file);
    expect(err.code).toBe('ERR_MODEL_FORMAT');
    expect(err.input).toBe(file);
    expect(err.message).toMatch(new RegExp(`^${escape(file)}: not a usable training checkpoint: ${escape(field)} `));
  });

  it('a truncated checkpoint names the file (no bare SyntaxError)', () => {
    const file = path.join(tmp, 'truncated.json');
    writeFileSync(file, readFileSync(rlCkpt, 'utf8').slice(0, 200));
    const err = resumeError(file);
    expect(err.code).toBe('ERR_MODEL_FORMAT');
    expect(err.message).toMatch(/truncated\.json: checkpoint is not valid JSON/);
  });

  it('a missing checkpoint is ERR_FILE naming the file', () => {
    const err = resumeError(path.join(tmp, 'none.json'));
    expect(err.code).toBe('ERR_FILE');
    expect(err.message).toMatch(/none\.json: cannot read checkpoint \(ENOENT\)/);
  });

  it('train --resume reports a damaged checkpoint with its code before reading any data', () => {
    const file = tampered(rlCkpt, (c) => (c.rng = 'xyz'));
    const out = path.join(tmp, 'never-written.json');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'train', '--data', path.join(tmp, 'no-such-dir'), '--out', out, '--resume', file], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`emotionthinker train: ${file}: not a usable training checkpoint: rng is "xyz"`);
    expect(r.stderr).toContain('[ERR_MODEL_FORMAT]');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
