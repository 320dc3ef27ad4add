import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analyze, createProsodyStream, createSpeakerSession, defaultModel, EMOTIONS, EmotionThinkerError, extractProsody, loadAudio, loadModel, parseResponse, verifyReasoning } from '../src/index.js';
import { makeWav } from './helpers/wav.js';

const root = path.resolve(__dirname, '..');
const RAVDESS = path.resolve(root, '../shared/data/ravdess');
const clip = (name: string) => path.join(RAVDESS, name);

describe('analyze', () => {
  it('explains a clip: emotion, probabilities, claims with evidence, reasoning that parses', async () => {
    const r = await analyze(clip('03-01-05-02-01-01-14.wav'));
    expect(r.insufficientEvidence).toBe(false);
    expect(EMOTIONS).toContain(r.emotion);
    const total = Object.values(r.probabilities).reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(1, 6);
    expect(r.probabilities[r.emotion!]).toBe(Math.max(...Object.values(r.probabilities)));
    expect(r.claims.length).toBeGreaterThan(0);
    for (const c of r.claims) {
      expect(c.agrees).toBe(c.claim === c.measuredLevel);
      if (c.cue !== 'intonation') {
        expect(c.measurement!.value).not.toBeNull();
        expect(c.cutPoints![0]).toBeLessThan(c.cutPoints![1]);
        // The measured level is where the value falls among the cut points.
        const v = c.measurement!.value!;
        const [lo, hi] = c.cutPoints!;
        const expected = v < lo ? 0 : v >= hi ? 2 : 1;
        const names = c.cue === 'speed' ? ['slow', 'normal', 'fast'] : ['low', 'normal', 'high'];
        expect(c.measuredLevel).toBe(names[expected]);
      }
    }
    const tokens = parseResponse(r.reasoning);
    expect(tokens).not.toBeNull();
    expect(EMOTIONS[tokens![4]]).toBe(r.emotion);
    expect(r.reasoning).toMatch(/dBFS|Hz|syllables\/s/); // evidence is in the text
    // The caption words the levels with the model's own calibration, as the claims' evidence does.
    // (Energy: the caption's level is the absolute RMS level under the calibration, which the
    // claims use only when the input is declared level-calibrated; issue #16.)
    const cal = await analyze(clip('03-01-05-02-01-01-14.wav'), { levelCalibrated: true });
    const energy = cal.claims.find((c) => c.cue === 'energy');
    expect(energy).toBeDefined();
    expect(cal.prosody.caption).toContain(`${energy!.measuredLevel} energy`);
  });

  it('a turn claim names where the contour turns and how deep, from the measured descriptors', async () => {
    // Clips whose measured intonation (of the utterance) is a turn: rising-falling or falling-rising.
    let turns = 0, measuredTurns = 0;
    for (const name of ['03-01-01-01-01-02-03.wav', '03-01-01-01-02-01-03.wav', '03-01-01-01-02-01-05.wav', '03-01-01-01-01-01-03.wav', '03-01-01-01-01-01-05.wav', '03-01-01-01-02-02-03.wav', '03-01-01-01-02-02-05.wav', '03-01-01-01-01-02-05.wav']) {
      const r = await analyze(clip(name));
      const i = r.prosody.intonation;
      if (!['rising-falling', 'falling-rising'].includes(i.label)) continue;
      measuredTurns++;
      const c = r.claims.find((k) => k.cue === 'intonation');
      if (!c || !c.claim.includes('-')) continue;
      turns++;
      const shape = i.curvatureSt! < 0 ? 'peaks' : 'dips';
      expect(shape).toBe(i.label === 'rising-falling' ? 'peaks' : 'dips');
      expect(r.reasoning).toContain(`${shape} ${i.turnDepthSt!.toFixed(1)} st at ${Math.round(100 * i.vertex!)} % of the voiced span`);
    }
    expect(measuredTurns).toBeGreaterThan(0);
    expect(turns).toBeGreaterThan(0);
  });

  it('the bundled model was trained with GRPO-PTR and loads with no download', () => {
    const m = defaultModel();
    expect(m.file.info.mode).toBe('ptr');
    expect(m.file.corpus).toBe('ravdess');
    expect(m.policy.size).toBeGreaterThan(1000);
  });

  it('says the evidence is insufficient for silence instead of inventing claims', async () => {
    const r = await analyze(makeWav(new Float32Array(16000 * 2)));
    expect(r.insufficientEvidence).toBe(true);
    expect(r.emotion).toBeNull();
    expect(r.claims).toEqual([]);
    expect(r.reasoning).toMatch(/insufficient evidence/);
  });

  it('model files: missing, corrupt and foreign files are clear errors', () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-model-'));
    try {
      expect(() => loadModel(path.join(tmp, 'none.json'))).toThrow(/none\.json: cannot read model \(ENOENT\)/);
      writeFileSync(path.join(tmp, 'bad.json'), '{"format": ');
      expect(() => loadModel(path.join(tmp, 'bad.json'))).toThrow(/bad\.json: model is not valid JSON/);
      writeFileSync(path.join(tmp, 'other.json'), JSON.stringify({ format: 'onnx' }));
      expect(() => loadModel(path.join(tmp, 'other.json'))).toThrow(EmotionThinkerError);
      expect(() => loadModel(path.join(tmp, 'other.json'))).toThrow(/not a usable emotion model: format/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('the caption states the levels the claims are judged by: gain-invariant, and its energy word is the energy claim (a quiet file said "high" in the reasoning and "low energy" in the caption)', async () => {
    const clip = path.resolve(__dirname, '../../shared/data/ravdess/03-01-03-02-02-02-15.wav');
    const { samples, sampleRate } = await loadAudio(clip, { mono: true });
    const quiet = makeWav(samples.map((v) => v * 10 ** (-30 / 20)), { sampleRate, format: 'f32' });
    const [a, b] = [await analyze(clip), await analyze(quiet)];
    expect(b.prosody.caption).toBe(a.prosody.caption);
    const energy = a.claims.find((c) => c.cue === 'energy');
    expect(energy?.measuredLevel).toBeTruthy();
    expect(a.prosody.caption).toContain(`${energy!.measuredLevel} energy`);
  });

  it('gender and levelCalibrated are checked the same way by every call (analyze took "robot" and "yes" silently)', async () => {
    const clip = path.resolve(__dirname, '../../shared/data/ravdess/03-01-05-02-01-01-01.wav');
    const calls: [string, () => unknown][] = [
      ['analyze', () => analyze(clip, { gender: 'robot' as never })],
      ['verifyReasoning', () => verifyReasoning(clip, 'It is sad.', { gender: 'robot' as never })],
      ['createSpeakerSession', () => createSpeakerSession({ gender: 'robot' as never })],
      ['extractProsody', () => extractProsody(clip, { gender: 'robot' as never })],
      ['createProsodyStream', () => createProsodyStream({ sampleRate: 16000, gender: 'robot' as never })],
    ];
    for (const [name, call] of calls) {
      const err = await Promise.resolve().then(call).then(() => null, (e) => e);
      expect(err?.code, name).toBe('ERR_INVALID_ARG');
      expect(err.message).toMatch(/gender" must be 'male' or 'female'; got "robot"|gender must be 'male' or 'female'; got "robot"/);
    }
    const lc = await analyze(clip, { levelCalibrated: 'yes' as never }).then(() => null, (e) => e);
    expect(lc).toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(/levelCalibrated must be a boolean; got "yes"/) });
  });

  it('a model option that is not a path or a loaded model is ERR_INVALID_ARG (it was an uncoded TypeError deep inside); loadModel(0) does not read stdin', async () => {
    const clip = path.resolve(__dirname, '../../shared/data/ravdess/03-01-05-02-01-01-01.wav');
    for (const model of [{}, 42, null, [], { file: {}, policy: {} }]) {
      for (const call of [() => analyze(clip, { model: model as never }), () => createSpeakerSession({ model: model as never }).analyze(clip), () => verifyReasoning(clip, 'It is sad.', { model: model as never })]) {
        const err = await Promise.resolve().then(call).then(() => null, (e) => e);
        expect(err?.code, JSON.stringify(model)).toBe('ERR_INVALID_ARG');
        expect(err.message).toMatch(/options\.model must be a model file path or a model from loadModel\(\)/);
      }
    }
    expect((await analyze(clip, { model: defaultModel() })).emotion).toBe((await analyze(clip)).emotion);
    for (const bad of [0, '', undefined]) expect(() => loadModel(bad as never)).toThrow(/loadModel: the model file must be a non-empty path string/);
  });
});

describe('emotionthinker analyze (CLI)', () => {
  const cli = path.join(root, 'dist', 'cli.js');
  it('prints one JSON object per file with file and emotion; a bad file is named and the rest processed', () => {
    const a = clip('03-01-04-01-02-01-14.wav'), b = clip('03-01-03-02-01-02-15.wav');
    const missing = path.join(os.tmpdir(), 'et-no-such-clip.wav');
    const r = spawnSync(process.execPath, [cli, 'analyze', '--json', a, missing, b], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.file)).toEqual([a, b]);
    for (const l of lines) expect(EMOTIONS).toContain(l.emotion);
    expect(r.stderr).toMatch(/et-no-such-clip\.wav: cannot read audio file \(ENOENT\) \[ERR_FILE\]/);
  });

  it('usage errors exit 2', () => {
    expect(spawnSync(process.execPath, [cli, 'analyze'], { encoding: 'utf8' }).status).toBe(2);
    expect(spawnSync(process.execPath, [cli, 'analyze', '--gender', 'x', 'a.wav'], { encoding: 'utf8' }).status).toBe(2);
    expect(spawnSync(process.execPath, [cli, 'analyze', '--bogus', 'a.wav'], { encoding: 'utf8' }).status).toBe(2);
  });
});
