// Tampered or damaged model and calibration files must be refused on load with ERR_MODEL_FORMAT,
// naming the file and the field; before, they loaded and answered with nonsense (exit 0).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadCalibration, loadModel, modelFile, parseCalibration, saveModel } from '../src/index.js';
import { thrownError } from './helpers/thrown.js';

const ROOT = path.resolve(__dirname, '..');
const MODEL = path.join(ROOT, 'models', 'default.json');
const SPEAKER_MODEL = path.join(ROOT, 'models', 'speaker.json');
const CALIBRATION = path.join(ROOT, 'src', 'calibration', 'default.json');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-tampered-model-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// JSON cannot hold 1e309 (Infinity) through JSON.stringify; a marker string is swapped for the
// raw number text after serialising.
const RAW = (text: string) => `@@raw:${text}@@`;
const serialise = (v: unknown) => JSON.stringify(v).replace(/"@@raw:([^@]*)@@"/g, (_m, text: string) => JSON.parse(`"${text}"`));

/* eslint-disable @typescript-eslint/no-explicit-any */
type Mutate = (m: any) => void;
let counter = 0;
function write(base: string, mutate: Mutate, rawText?: (s: string) => string): string {
  const m = JSON.parse(readFileSync(base, 'utf8'));
  mutate(m);
  const file = path.join(tmp, `tampered-${++counter}.json`);
  writeFileSync(file, rawText ? rawText(serialise(m)) : serialise(m));
  return file;
}

const errorOf = (fn: () => unknown) => thrownError(fn, 'expected the load to fail, but it succeeded');

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('model files are validated fully on load', () => {
  it('the shipped model and calibration still load, with the same values', () => {
    const model = loadModel(MODEL);
    const json = JSON.parse(readFileSync(MODEL, 'utf8'));
    expect(model.policy.size).toBe(json.policy.params.length);
    expect(Array.from(model.policy.params)).toEqual(json.policy.params);
    expect(model.file.standardizer.std).toEqual(json.standardizer.std);
    expect(model.file.corpus).toBe('ravdess');
    expect(model.file.calibration.corpora.ravdess.energy).toEqual(json.calibration.corpora.ravdess.energy);
    const cal = loadCalibration(CALIBRATION);
    expect(cal.pooled.pitch).toEqual(JSON.parse(readFileSync(CALIBRATION, 'utf8')).pooled.pitch);
  });

  it('a model written by saveModel(modelFile(...)) loads back (the writer and the checker agree)', () => {
    const { file, policy } = loadModel(MODEL);
    const out = path.join(tmp, 'resaved.json');
    saveModel(out, modelFile(policy, { standardizer: file.standardizer, calibration: file.calibration, corpus: file.corpus, associations: file.associations, info: { note: 'resaved' } }));
    const back = loadModel(out);
    expect(Array.from(back.policy.params)).toEqual(Array.from(policy.params));
    expect(back.file.info).toEqual({ note: 'resaved' });
  });

  const cases: [string, Mutate, string, ((s: string) => string)?][] = [
    ['a parameter "NaN"', (m) => (m.policy.params[5] = 'NaN'), 'policy.params[5]'],
    ['a parameter null', (m) => (m.policy.params[5] = null), 'policy.params[5]'],
    ['a parameter 1e300', (m) => (m.policy.params[7] = 1e300), 'policy.params[7]'],
    ['a parameter 1e309 (Infinity)', (m) => (m.policy.params[9] = RAW('1e309')), 'policy.params[9]'],
    ['one parameter too many', (m) => m.policy.params.push(0), 'policy.params'],
    ['standardizer mean too short', (m) => m.standardizer.mean.pop(), 'standardizer.mean'],
    ['standardizer std all zero', (m) => (m.standardizer.std = m.standardizer.std.map(() => 0)), 'standardizer.std[0]'],
    ['standardizer std "NaN"', (m) => (m.standardizer.std[3] = 'NaN'), 'standardizer.std[3]'],
    ['standardizer mean -Infinity', (m) => (m.standardizer.mean[4] = RAW('-1e309')), 'standardizer.mean[4]'],
    ['cueFeatures 99999', (m) => (m.policy.shape.cueFeatures[1][2] = 99999), 'policy.shape.cueFeatures[1][2]'],
    ['cueFeatures -1', (m) => (m.policy.shape.cueFeatures[0][0] = -1), 'policy.shape.cueFeatures[0][0]'],
    ['cueFeatures 0.5', (m) => (m.policy.shape.cueFeatures[3][1] = 0.5), 'policy.shape.cueFeatures[3][1]'],
    ['calibration cuts reversed', (m) => m.calibration.corpora.ravdess.energy.reverse(), 'calibration.corpora.ravdess.energy'],
    ['calibration cut "NaN"', (m) => (m.calibration.pooled.pitchByGender.male.cuts[0] = 'NaN'), 'calibration.pooled.pitchByGender.male.cuts[0]'],
    ['corpus "__proto__"', (m) => (m.corpus = '__proto__'), 'corpus'],
    ['corpus not a calibration group', (m) => (m.corpus = 'iemocap'), 'corpus'],
    ['association row not summing to 1', (m) => (m.associations.pitch.low[0] += 0.5), 'associations.pitch.low'],
    ['association row too short', (m) => m.associations.speed.fast.pop(), 'associations.speed.fast'],
    ['an unknown top-level field', (m) => (m.extra = 1), 'extra'],
    ['a "__proto__" key in info', (m) => (m.info.x = RAW('{"__proto__": {"polluted": true}}')), 'info.x.__proto__'],
    ['policy.shape.inputs changed', (m) => (m.policy.shape.inputs = 12), 'policy.shape.inputs'],
    ['featureVersion changed', (m) => (m.featureVersion = 3), 'featureVersion'],
    // Ensemble members (src/inference/ensemble.ts): each member holds the policy's shape.
    ['an empty ensemble', (m) => (m.ensemble = []), 'ensemble'],
    ['an ensemble that is not a list', (m) => (m.ensemble = { params: m.policy.params }), 'ensemble'],
    ['16 further ensemble members', (m) => (m.ensemble = Array.from({ length: 16 }, () => ({ params: m.policy.params }))), 'ensemble'],
    ['an ensemble member one parameter short', (m) => (m.ensemble = [{ params: m.policy.params.slice(1) }]), 'ensemble[0].params'],
    ['an ensemble member parameter "NaN"', (m) => (m.ensemble = [{ params: m.policy.params }, { params: m.policy.params.map((v: number, i: number) => (i === 3 ? 'NaN' : v)) }]), 'ensemble[1].params[3]'],
    ['an ensemble member with its own shape', (m) => (m.ensemble = [{ params: m.policy.params, shape: m.policy.shape }]), 'ensemble[0].shape'],
  ];

  it.each(cases)('refuses %s (ERR_MODEL_FORMAT naming file and field)', (_label, mutate, field, raw) => {
    const file = write(MODEL, mutate, raw);
    const err = errorOf(() => loadModel(file));
    expect(err.code).toBe('ERR_MODEL_FORMAT');
    expect(err.input).toBe(file);
    expect(err.message).toMatch(new RegExp(`^${escape(file)}: not a usable emotion model: ${escape(field)} `));
  });

  // The session model's speaker levels (src/inference/speaker-levels.ts): names the session can
  // read, one positive sd each, and the policy's inputs sized for them.
  const speakerCases: [string, string, Mutate, string][] = [
    ['speaker levels on a single-clip model', MODEL, (m) => (m.perception.speakerLevels = { names: ['rmsP95Dbfs'], sd: [3] }), 'perception.speakerLevels'],
    ['a speaker level the session cannot read', SPEAKER_MODEL, (m) => (m.perception.speakerLevels.names[0] = 'rmsP5Dbfs'), 'perception.speakerLevels.names[0]'],
    ['a speaker level named twice', SPEAKER_MODEL, (m) => (m.perception.speakerLevels.names[1] = m.perception.speakerLevels.names[0]), 'perception.speakerLevels.names'],
    ['a speaker level sd of 0', SPEAKER_MODEL, (m) => (m.perception.speakerLevels.sd[1] = 0), 'perception.speakerLevels.sd[1]'],
    ['a speaker level sd missing', SPEAKER_MODEL, (m) => m.perception.speakerLevels.sd.pop(), 'perception.speakerLevels.sd'],
    ['the speaker levels removed (the policy reads them)', SPEAKER_MODEL, (m) => delete m.perception.speakerLevels, 'policy.shape.inputs'],
  ];

  it.each(speakerCases)('refuses %s (ERR_MODEL_FORMAT naming the field)', (_label, base, mutate, field) => {
    const file = write(base, mutate);
    const err = errorOf(() => loadModel(file));
    expect(err.code).toBe('ERR_MODEL_FORMAT');
    expect(err.message).toMatch(new RegExp(`^${escape(file)}: not a usable emotion model: ${escape(field)} `));
  });

  it('reordered featureNames name the first differing index and both names', () => {
    const file = write(MODEL, (m) => {
      [m.featureNames[3], m.featureNames[4]] = [m.featureNames[4], m.featureNames[3]];
    });
    const err = errorOf(() => loadModel(file));
    expect(err.code).toBe('ERR_MODEL_FORMAT');
    expect(err.message).toContain('featureNames[3] is "f0P50St" but this version computes "f0P20St" there');
    expect(err.message).not.toMatch(/feature set 4; this version computes feature set 4/);
  });

  it('a truncated model file is ERR_MODEL_FORMAT naming the file', () => {
    const file = path.join(tmp, 'truncated.json');
    writeFileSync(file, readFileSync(MODEL, 'utf8').slice(0, 5000));
    const err = errorOf(() => loadModel(file));
    expect(err.code).toBe('ERR_MODEL_FORMAT');
    expect(err.message).toMatch(/truncated\.json: model is not valid JSON/);
  });
});

describe('calibration files are validated fully on load', () => {
  const cases: [string, Mutate, string][] = [
    ['cuts reversed', (c) => c.pooled.speed.reverse(), 'pooled.speed'],
    ['a cut "NaN"', (c) => (c.corpora.ravdess.pitch[1] = 'NaN'), 'corpora.ravdess.pitch[1]'],
    ['quantiles out of order', (c) => (c.quantiles = [0.7, 0.3]), 'quantiles'],
    ['a "__proto__" group', (c) => (c.corpora = RAW('{"__proto__": {"n": 1, "pitch": null, "energy": null, "speed": null, "pitchByGender": {}}}')), 'corpora.__proto__'],
    ['a count of 2.5', (c) => (c.pooled.n = 2.5), 'pooled.n'],
    ['a missing energy field', (c) => delete c.pooled.energy, 'pooled.energy'],
  ];
  it.each(cases)('refuses %s', (_label, mutate, field) => {
    const file = write(CALIBRATION, mutate);
    const err = errorOf(() => loadCalibration(file));
    expect(err.code).toBe('ERR_MODEL_FORMAT');
    expect(err.message).toMatch(new RegExp(`^${escape(file)}: not a usable calibration: ${escape(field)} `));
  });

  it('parseCalibration returns group maps that cannot reach Object.prototype', () => {
    const cal = parseCalibration(JSON.parse(readFileSync(CALIBRATION, 'utf8')));
    expect(cal.corpora.constructor).toBeUndefined();
    expect(Object.keys(cal.corpora)).toEqual(['ravdess']);
  });
});

describe('the CLI reports a tampered model with its code and exits non-zero', () => {
  it('analyze --model prints the file, the field and [ERR_MODEL_FORMAT], no stack', () => {
    const file = write(MODEL, (m) => (m.standardizer.std[3] = 'NaN'));
    // Like the other CLI tests, this runs the built CLI (npx tsc first).
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'analyze', '--model', file, path.join(tmp, 'missing.wav')], { encoding: 'utf8' });
    const { status, stderr } = r;
    expect(status).toBe(1);
    expect(stderr).toContain(`emotionthinker analyze: ${file}: not a usable emotion model: standardizer.std[3] is "NaN"`);
    expect(stderr).toContain('[ERR_MODEL_FORMAT]');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
