// verifyReasoning judges energy claims as analyze does since issue #16: by the vocal effort
// (effortDb, the spectral balance), which a change of the recording's gain does not move, not by
// the absolute RMS level. Before this, the same clip 30 dB apart (−20 dB vs +10 dB) got opposite
// verdicts on "loud"/"soft", so the reward followed the microphone gain. Absolute dBFS remains
// for a declared level-calibrated input and for a prosody analysis given without the audio.
// Speaker sessions (createSpeakerSession) serve as verifyReasoning's `session` directly.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import {
  analyze,
  createSpeakerSession,
  defaultModel,
  extractProsody,
  loadAudio,
  measureAudio,
  verifyReasoning,
  type CutPointSource,
  type ReasoningVerification,
} from '../src/index.js';
import { makeWav } from './helpers/wav.js';

const RAVDESS = path.resolve(__dirname, '../../shared/data/ravdess');
const cli = path.resolve(__dirname, '../dist/cli.js');
// Different actors, emotions and intensities; those that +10 dB would clip are left out below.
const CANDIDATES = [
  '03-01-04-01-01-01-02.wav', '03-01-03-02-02-01-05.wav', '03-01-01-01-01-01-03.wav', '03-01-05-01-02-01-06.wav',
  '03-01-02-02-01-02-07.wav', '03-01-06-01-01-02-08.wav', '03-01-07-02-02-01-09.wav', '03-01-08-01-01-01-10.wav',
  '03-01-05-02-01-01-11.wav', '03-01-03-01-02-02-12.wav',
];
// Energy claims of every kind the extractor knows, with pitch and rate beside them.
const TEXTS = [
  '<think>The voice is loud and the pitch is high.</think><answer>angry</answer>',
  '<think>She speaks softly, with a slow pace.</think><answer>sad</answer>',
  '<think>High energy and a fast tempo.</think><answer>happy</answer>',
  '<think>The intensity is normal and the pitch is low.</think><answer>neutral</answer>',
  '<think>The voice is not loud at all.</think><answer>calm</answer>',
  '<think>Energy: low. Pitch: normal. Speed: normal.</think><answer>sad</answer>',
];
const GAINS = [-20, 10];
const scaled = (x: Float32Array, db: number) => makeWav(x.map((v) => v * 10 ** (db / 20)), { format: 'f32' });
const verdicts = (r: ReasoningVerification) => r.claims.map((c) => `${c.cue}=${c.value}${c.negated ? '!' : ''}:${c.verdict}`);
const effortCuts = () => defaultModel().file.perception!.effortCuts;
const levelIn = (v: number, c: readonly [number, number]) => (v < c[0] ? 'low' : v >= c[1] ? 'high' : 'normal');

async function clips(): Promise<{ file: string; samples: Float32Array }[]> {
  const out = [];
  for (const f of CANDIDATES) {
    const { samples } = await loadAudio(path.join(RAVDESS, f), { sampleRate: 16000, mono: true });
    let peak = 0;
    for (const v of samples) peak = Math.max(peak, Math.abs(v));
    if (peak * 10 ** (10 / 20) < 1) out.push({ file: f, samples });
  }
  return out;
}

describe('verifyReasoning: energy by vocal effort, independent of the gain', () => {
  it('the same clip at −20 dB and +10 dB (float WAV): the same verdicts, measurements of effort and the same reward', async () => {
    const cs = await clips();
    expect(cs.length).toBeGreaterThanOrEqual(6);
    const seen = new Set<string>();
    for (const { file, samples } of cs) {
      const ref = makeWav(samples, { format: 'f32' });
      const m = await measureAudio(ref);
      expect(typeof m.effortDb).toBe('number');
      for (const text of TEXTS) {
        const base = await verifyReasoning(ref, text, { emotion: 'sad' });
        const energy = base.claims.filter((c) => c.cue === 'energy');
        expect(energy.length, text).toBeGreaterThan(0);
        for (const c of energy) {
          // Judged against the model's effort cut points, with the same effortDb that analyze reports.
          expect(c.measurement).toMatchObject({ name: 'effortDb', unit: 'dB', value: m.effortDb, level: levelIn(m.effortDb!, effortCuts()) });
          expect(c.measurement!.source).toMatch(/^vocal effort re the training corpus .*independent of the recording's gain/);
          expect(c.cutPoints).toEqual(effortCuts());
          seen.add(c.verdict);
        }
        for (const g of GAINS) {
          const r = await verifyReasoning(scaled(samples, g), text, { emotion: 'sad' });
          expect(verdicts(r), `${file} at ${g} dB: ${text}`).toEqual(verdicts(base));
          expect(r.reward, `${file} at ${g} dB: ${text}`).toBe(base.reward);
          expect(r.scores).toEqual(base.scores);
        }
      }
    }
    // The texts exercise both outcomes on these clips (a test that only sees one verdict proves little).
    expect([...seen].sort()).toEqual(['contradicted', 'supported']);
  }, 300_000);

  it('the effort is the one analyze reports for its energy claims', async () => {
    // analyze states an energy claim only when its policy decodes one: look for clips where it does.
    let compared = 0;
    for (const { samples } of await clips()) {
      const wav = makeWav(samples, { format: 'f32' });
      const a = (await analyze(wav)).claims.find((c) => c.cue === 'energy');
      if (!a) continue;
      compared++;
      const v = await verifyReasoning(wav, `<think>The energy is ${a.claim}.</think><answer>sad</answer>`);
      expect(v.claims[0].measurement).toMatchObject({ name: a.measurement!.name, value: a.measurement!.value, level: a.measuredLevel });
      expect(v.claims[0].cutPoints).toEqual(a.cutPoints);
      expect(v.claims[0].verdict).toBe(a.agrees ? 'supported' : 'contradicted');
    }
    expect(compared).toBeGreaterThan(0);
  }, 120_000);

  it('absolute dBFS only when declared level-calibrated, or for a prosody analysis without the audio (and it says so)', async () => {
    const [{ samples }] = await clips();
    const model = defaultModel();
    const levelCuts = model.file.calibration.corpora[model.file.corpus].energy;
    const text = '<think>The voice is loud.</think><answer>angry</answer>';
    const quiet = await verifyReasoning(scaled(samples, -20), text, { levelCalibrated: true });
    const loud = await verifyReasoning(scaled(samples, 10), text, { levelCalibrated: true });
    for (const r of [quiet, loud]) {
      expect(r.claims[0].measurement).toMatchObject({ name: 'rmsMeanDbfs', unit: 'dBFS' });
      expect(r.claims[0].measurement!.source).toMatch(/absolute level; the input is declared level-calibrated/);
      expect(r.claims[0].cutPoints).toEqual(levelCuts);
    }
    // Read as calibrated, 30 dB of gain is 30 dB of loudness: the verdicts differ.
    expect(quiet.claims[0].verdict).toBe('contradicted');
    expect(loud.claims[0].verdict).toBe('supported');
    // A prosody analysis alone has no effort measurement: the absolute level, flagged as gain-dependent.
    const p = await extractProsody(scaled(samples, 10));
    const r = await verifyReasoning(p, text);
    expect(r.claims[0].measurement).toMatchObject({ name: 'rmsMeanDbfs', value: p.functionals.rmsMeanDbfs });
    expect(r.claims[0].measurement!.source).toMatch(/absolute level: depends on the recording's gain/);
    // measureAudio's result carries the effort: given as the input, it is judged like the audio.
    const m = await measureAudio(scaled(samples, 10));
    const fromM = await verifyReasoning(m, text);
    expect(fromM.claims[0].measurement).toMatchObject({ name: 'effortDb', value: m.effortDb });
    const fromQuiet = await verifyReasoning(scaled(samples, -20), text);
    expect(verdicts(fromM)).toEqual(verdicts(fromQuiet));
    expect(fromM.reward).toBe(fromQuiet.reward);
    await expect(verifyReasoning(scaled(samples, 0), text, { levelCalibrated: 'yes' as unknown as boolean })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
    await expect(verifyReasoning({ ...m, effortDb: 'high' as unknown as number }, text)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(/effortDb/) });
  }, 120_000);
});

describe('emotionthinker verify --level-calibrated', () => {
  it('judges energy by effortDb by default and by rmsMeanDbfs with the flag', () => {
    const run = (...flags: string[]) => {
      const r = spawnSync(process.execPath, [cli, 'verify', path.join(RAVDESS, CANDIDATES[0]), '--text', '-', '--json', ...flags], { input: '<think>The voice is loud.</think><answer>angry</answer>', encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout).claims[0].measurement;
    };
    expect(run()).toMatchObject({ name: 'effortDb', unit: 'dB' });
    expect(run('--level-calibrated')).toMatchObject({ name: 'rmsMeanDbfs', unit: 'dBFS' });
  });
});

describe('verifyReasoning with a SpeakerSession as `session`', () => {
  // Actor 02, neutral to angry, both intensities, one statement and repetition.
  const actor = readdirSync(RAVDESS).filter((f) => /^03-01-0[1-5]-0[12]-01-01-02\.wav$/.test(f)).sort();

  it("judges pitch, energy (effort) and speed against the speaker's baseline, the same at any gain", async () => {
    expect(actor.length).toBeGreaterThanOrEqual(8);
    const session = createSpeakerSession({ id: 'actor02' });
    // The interface verify defines, satisfied by the session itself.
    const asSource: CutPointSource = session;
    expect(asSource.name).toBe('actor02');
    // No utterance yet: no speaker cut points, the verifier's own are used.
    expect(session.cutPoints('energy')).toBeNull();
    const text = '<think>The voice is loud, the pitch is high and the pace is fast.</think><answer>happy</answer>';
    const target = path.join(RAVDESS, actor[actor.length - 1]);
    const fresh = await verifyReasoning(target, text, { session });
    expect(fresh.claims[0].measurement!.source).toMatch(/^vocal effort re /);
    expect(fresh.claims[0].cutPoints).toEqual(effortCuts());

    for (const f of actor.slice(0, -1)) await session.analyze(path.join(RAVDESS, f));
    const b = session.baseline();
    expect(b.utterances).toBeGreaterThanOrEqual(4);
    expect(session.measure('energy')).toBe('effortDb');
    const m = await measureAudio(target);
    const r = await verifyReasoning(target, text, { session });
    const [energy, pitch, speed] = r.claims;
    expect(energy).toMatchObject({ cue: 'energy', cutPoints: b.cues.energy.cuts, measurement: { name: 'effortDb', value: m.effortDb, source: 'session actor02' } });
    expect(energy.measurement!.level).toBe(levelIn(m.effortDb!, b.cues.energy.cuts!));
    expect(energy.verdict).toBe(energy.measurement!.level === 'high' ? 'supported' : 'contradicted');
    expect(pitch).toMatchObject({ cue: 'pitch', cutPoints: b.cues.pitch.cuts, measurement: { name: 'f0MedianHz', source: 'session actor02' } });
    expect(speed).toMatchObject({ cue: 'speed', cutPoints: b.cues.speed.cuts, measurement: { name: 'articulationRate', source: 'session actor02' } });
    // The speaker's baseline differs from the corpus', so the session is what decides.
    expect(b.cues.energy.cuts).not.toEqual(effortCuts());

    const { samples } = await loadAudio(target, { sampleRate: 16000, mono: true });
    for (const g of GAINS) {
      const s = await verifyReasoning(scaled(samples, g), text, { session });
      expect(verdicts(s)).toEqual(verdicts(r));
      expect(s.reward).toBe(r.reward);
    }

    // A prosody analysis without the audio: the session's effort cuts cannot judge an absolute
    // level, so they are not used for energy (and the source says why); pitch still uses them.
    const p = await extractProsody(target);
    const a = await verifyReasoning(p, text, { session });
    expect(a.claims[0].measurement).toMatchObject({ name: 'rmsMeanDbfs' });
    expect(a.claims[0].measurement!.source).toMatch(/absolute level: depends on the recording's gain\); the session's cut points are in effortDb, not used$/);
    expect(a.claims[1].measurement!.source).toBe('session actor02');
  }, 300_000);
});
