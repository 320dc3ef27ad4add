// Issue #16, speaker sessions through the public API: analyzeSpeaker (order-independent, [] is
// ERR_INVALID_ARG), createSpeakerSession (running statistics shrunk toward the population,
// mixed rates and layouts, silence and music left out), toJSON/restoreSpeakerSession (coded
// errors naming the field), claims "for this speaker" with the baseline as evidence.
import { describe, expect, it } from 'vitest';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { analyze, analyzeSpeaker, createSpeakerSession, EmotionThinkerError, loadAudio, resample, restoreSpeakerSession, type SpeakerAnalysisResult } from '../src/index.js';
import { makeWav } from './helpers/wav.js';
import { SPEAKER_LEVEL_FEATURES } from '../src/inference/speaker-levels.js';
import { loadModel } from '../src/inference/model.js';
import { SPEAKER_MODEL_PATH } from '../src/speaker-session.js';
import { thrownError } from './helpers/thrown.js';

const DATA = path.resolve(__dirname, '../../shared/data');
const RAVDESS = path.join(DATA, 'ravdess');
const actorClips = (a: number) => readdirSync(RAVDESS).filter((f) => f.endsWith(`-${String(a).padStart(2, '0')}.wav`)).sort().map((f) => path.join(RAVDESS, f));

function silence(seconds: number): Uint8Array {
  return makeWav(new Float32Array(16000 * seconds), { format: 's16' });
}

/** A sustained major chord of harmonic tones with slow tremolo: pitched, but not speech. */
function chord(seconds: number): Uint8Array {
  const fs = 22050, x = new Float32Array(fs * seconds);
  for (const f0 of [196, 246.9, 293.7]) {
    for (let h = 1; h <= 8; h++) {
      for (let i = 0; i < x.length; i++) x[i] += (0.05 / h) * Math.sin((2 * Math.PI * f0 * h * i) / fs) * (0.8 + 0.2 * Math.sin((2 * Math.PI * 0.5 * i) / fs));
    }
  }
  return makeWav(x, { sampleRate: fs, format: 's16' });
}

const speakerModelFile = () => loadModel(SPEAKER_MODEL_PATH).file;
const summary = (r: SpeakerAnalysisResult) => JSON.stringify({ e: r.emotion, p: r.probabilities, c: r.claims, i: r.inBaseline });

describe('analyzeSpeaker', () => {
  it('[] is ERR_INVALID_ARG', async () => {
    await expect(analyzeSpeaker([])).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
  });

  it('onClipError: an unreadable clip is reported with its index and left out; the others are the batch without it', async () => {
    const clips = actorClips(14).slice(0, 4);
    const errors: [string, number][] = [];
    const withBad = await analyzeSpeaker([clips[0], new TextEncoder().encode('not audio at all'), ...clips.slice(1)], {
      id: 'A14', onClipError: (e, i) => errors.push([e.code, i]),
    });
    expect(errors).toEqual([['ERR_AUDIO_UNSUPPORTED', 1]]);
    expect(withBad[1]).toBeNull();
    const clean = await analyzeSpeaker(clips, { id: 'A14' });
    expect([withBad[0], ...withBad.slice(2)].map((r) => summary(r!))).toEqual(clean.map(summary));
    // Without the callback the bad clip rejects the batch, naming it.
    await expect(analyzeSpeaker([clips[0], new Uint8Array(3)])).rejects.toMatchObject({ code: 'ERR_AUDIO_UNSUPPORTED' });
    // CLI --speaker: the bad file is named (exit 1), the others are printed with the speaker.
    const bad = path.join(os.tmpdir(), `et-not-audio-${process.pid}.wav`);
    writeFileSync(bad, 'not audio at all');
    const r = spawnSync(process.execPath, [path.resolve(__dirname, '../dist/cli.js'), 'analyze', '--json', '--speaker', 'A14', clips[0], bad, ...clips.slice(1)], { encoding: 'utf8' });
    rmSync(bad);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/et-not-audio-\d+\.wav: unrecognised audio container.*\[ERR_AUDIO_UNSUPPORTED\]/);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.file)).toEqual(clips);
    expect(lines.map((l) => l.emotion)).toEqual(clean.map((c) => c.emotion));
    expect(lines.every((l) => l.speaker === 'A14')).toBe(true);
  });

  it('is order-independent and states claims for this speaker against the baseline', async () => {
    const clips = actorClips(14).filter((_, i) => i % 3 === 0); // 20 clips
    const a = await analyzeSpeaker(clips, { id: 'A14' });
    const b = await analyzeSpeaker([...clips].reverse(), { id: 'A14' });
    expect(a.map(summary)).toEqual([...b].reverse().map(summary));
    expect(a.every((r) => r.speaker === 'A14' && r.inBaseline)).toBe(true);
    const claimed = a.flatMap((r) => r.claims.filter((c) => c.cue !== 'intonation'));
    expect(claimed.length).toBeGreaterThan(0);
    for (const c of claimed) {
      expect(c.relativeTo).toMatch(/^this speaker \(baseline .* over 20 utterances/);
      // Levels are where the value falls among this speaker's cut points, and the claim states it.
      const [lo, hi] = c.cutPoints!;
      const v = c.measurement!.value!;
      const names = c.cue === 'speed' ? ['slow', 'normal', 'fast'] : ['low', 'normal', 'high'];
      expect(c.measuredLevel).toBe(names[v < lo ? 0 : v >= hi ? 2 : 1]);
      expect(c.claim).toBe(c.measuredLevel);
    }
    expect(a[0].reasoning).toMatch(/this speaker \(baseline/);
    // Relative to the speaker, each level cue's claims are spread over its levels (tertiles of
    // the speaker's own distribution), not all one level as corpus cuts give a very high voice.
    const pitchLevels = new Set(a.map((r) => r.claims.find((c) => c.cue === 'pitch')?.measuredLevel));
    expect(pitchLevels.size).toBeGreaterThanOrEqual(2);
  }, 300_000);
});

describe('speaker levels: loudness relative to the speaker', () => {
  // The session model reads the absolute levels (intensity, RMS) z-scored within the speaker
  // (src/inference/speaker-levels.ts): a gain shared by the whole session changes nothing; one
  // utterance louder than the speaker's usual reads differently.
  const clips = actorClips(15).filter((_, i) => i % 4 === 1); // 15 clips
  const scaled = async (f: string, gain: number) => {
    const { samples } = await loadAudio(f, { sampleRate: 16000, mono: true });
    return makeWav(samples.map((v) => v * gain), { format: 'f32' });
  };

  it('the bundled session model reads them', () => {
    expect(speakerModelFile().perception?.speakerLevels?.names).toEqual([...SPEAKER_LEVEL_FEATURES]);
  });

  it('a gain shared by the whole session leaves every answer as it was', async () => {
    const a = await analyzeSpeaker(await Promise.all(clips.map((f) => scaled(f, 1))));
    const b = await analyzeSpeaker(await Promise.all(clips.map((f) => scaled(f, 0.2)))); // -14 dB
    expect(b.map((r) => r.emotion)).toEqual(a.map((r) => r.emotion));
    a.forEach((r, i) => {
      // Float rounding of the scaled samples moves the features by ~1e-6; nothing more.
      for (const e of Object.keys(r.probabilities)) expect(b[i].probabilities[e]).toBeCloseTo(r.probabilities[e], 4);
    });
  }, 300_000);

  it('one utterance 12 dB louder than the rest reads differently', async () => {
    const plain = await analyzeSpeaker(await Promise.all(clips.map((f) => scaled(f, 1))));
    const loud = await analyzeSpeaker(await Promise.all(clips.map((f, i) => scaled(f, i === 0 ? 4 : 1))));
    const diff = Math.max(...Object.keys(plain[0].probabilities).map((e) => Math.abs(loud[0].probabilities[e] - plain[0].probabilities[e])));
    expect(diff).toBeGreaterThan(1e-3);
    // The loudness against the speaker's mean moves by the gain less its share of the mean.
    const gainDb = 20 * Math.log10(4);
    expect(loud[0].levelVsSpeakerDb! - plain[0].levelVsSpeakerDb!).toBeCloseTo(gainDb * (1 - 1 / clips.length), 1);
    expect(plain.every((r) => r.levelVsSpeakerDb !== null)).toBe(true);
    const energy = loud.filter((r) => r.claims.some((c) => c.cue === 'energy'));
    expect(energy.length).toBeGreaterThan(0);
    for (const r of energy) expect(r.reasoning).toMatch(/level \d+\.\d dB (above|below) this speaker's mean over 15 utterances/);
    // A single clip's answer does not follow its gain.
    const [one, oneLoud] = [await analyze(await scaled(clips[0], 1)), await analyze(await scaled(clips[0], 4))];
    expect(oneLoud.emotion).toBe(one.emotion);
    for (const e of Object.keys(one.probabilities)) expect(oneLoud.probabilities[e]).toBeCloseTo(one.probabilities[e], 4);
  }, 300_000);
});

describe('createSpeakerSession', () => {
  it('accumulates running statistics shrunk toward the population; silence and music do not move them', async () => {
    const s = createSpeakerSession({ id: 'spk', priorStrength: 4 });
    const before = s.baseline();
    expect(before.utterances).toBe(0);
    expect(before.cues.pitch.mean).toBeNull();
    const clip = actorClips(15)[10];
    const r1 = await s.analyze(clip);
    expect(r1.inBaseline).toBe(true);
    const b1 = s.baseline();
    expect(b1.utterances).toBe(1);
    // One utterance: the mean lies between the corpus prior's centre and the clip's value (weight
    // 1/5). The prior is the corpus cut points of the speaker's gender once it is judged (actor 15:
    // male), the pooled ones before.
    const f0 = r1.prosody.functionals.f0MedianHz!;
    expect(r1.prosody.gender?.value).toBe('male');
    const cuts = speakerModelFile().calibration.corpora.ravdess.pitchByGender.male!.cuts;
    expect(before.cues.pitch.cuts).not.toEqual(cuts);
    const prior = (cuts[0] + cuts[1]) / 2;
    expect(b1.cues.pitch.mean!).toBeCloseTo(prior + (f0 - prior) / 5, 6);

    const json = JSON.stringify(s.toJSON());
    for (const junk of [silence(2), chord(2)]) {
      const r = await s.analyze(junk);
      expect(r.inBaseline).toBe(false);
      expect(r.excludedReason).toMatch(/insufficient evidence|out of range/);
    }
    expect(s.utterances).toBe(1);
    const after = JSON.parse(JSON.stringify(s.toJSON()));
    expect(after.sum).toEqual(JSON.parse(json).sum);
    expect(after.levels).toEqual(JSON.parse(json).levels);
    expect(after.levels.every((l: { n: number }) => l.n === 1)).toBe(true);
    expect(after.excluded).toBe(2);
  }, 120_000);

  it('takes clips of different rates and channel layouts', async () => {
    const s = createSpeakerSession({ id: 'mixed' });
    const src48 = readdirSync(path.join(DATA, 'ravdess-48k')).map((f) => path.join(DATA, 'ravdess-48k', f));
    const stereo = [];
    for (const f of src48) stereo.push((await loadAudio(f)).channels);
    expect(stereo).toContain(2);
    for (const f of src48.slice(0, 3)) expect((await s.analyze(f)).emotion).not.toBeNull();
    const { samples } = await loadAudio(actorClips(1)[5], { sampleRate: 16000, mono: true });
    const at22k = makeWav(resample(samples, 16000, 22050), { sampleRate: 22050, format: 's16' });
    expect((await s.analyze(at22k)).inBaseline).toBe(true);
    expect(s.utterances).toBe(4);
    // 8 kHz (telephone band) is converted and explained too; whether it joins the baseline
    // depends on whether its features lie in the model's training range, and the reason is said.
    const r8 = await s.analyze(makeWav(resample(samples, 16000, 8000), { sampleRate: 8000, format: 's16' }));
    expect(r8.emotion).not.toBeNull();
    if (!r8.inBaseline) expect(r8.excludedReason).toMatch(/out of range: .* beyond/);
    expect(s.utterances).toBe(r8.inBaseline ? 5 : 4);
  }, 120_000);

  it('toJSON round-trips; malformed or foreign JSON is a coded error naming the field', async () => {
    const s = createSpeakerSession({ id: 'round' });
    for (const f of actorClips(16).slice(0, 4)) await s.analyze(f);
    const text = JSON.stringify(s);
    const back = restoreSpeakerSession(text);
    expect(back.baseline()).toEqual(s.baseline());
    const next = actorClips(16)[30];
    expect(summary(await back.analyze(next))).toBe(summary(await s.analyze(next)));

    const j = JSON.parse(text);
    const cases: [unknown, RegExp][] = [
      [{ ...j, sum: j.sum.slice(1) }, /sum/],
      [{ ...j, utterances: -1 }, /utterances/],
      [{ ...j, cues: { ...j.cues, pitch: { n: 1, sum: 'x', sumSq: 0 } } }, /cues\.pitch\.sum|cues.*sum/],
      [{ ...j, model: '0000000000000000' }, /model/],
      [{ format: 'emotionthinker-model', version: 1 }, /format/],
      [{ ...j, extra: 1 }, /extra/],
      [{ ...j, levels: j.levels.slice(1) }, /levels/],
      [{ ...j, levels: j.levels.map((l: object, k: number) => (k === 2 ? { ...l, n: 99 } : l)) }, /levels\[2\]\.n/],
      [{ ...j, levels: j.levels.map((l: object, k: number) => (k === 0 ? { ...l, sumSq: -1 } : l)) }, /levels\[0\]\.sumSq/],
      [{ ...j, version: 1 }, /levels/],
      [{ ...j, version: 3 }, /version/],
      ['{not json', /not JSON/],
      // Tampered values a voice cannot have: a negative pitch mean, sums with a negative variance.
      [{ ...j, cues: { ...j.cues, pitch: { ...j.cues.pitch, sum: -j.cues.pitch.sum } } }, /cues\.pitch\.sum/],
      [{ ...j, cues: { ...j.cues, speed: { ...j.cues.speed, sumSq: j.cues.speed.sumSq / 4 } } }, /cues\.speed\.sumSq is .*expected at least sum²\/n/],
      [{ ...j, sumSq: j.sumSq.map((v: number, k: number) => (k === 3 ? 0 : v)), sum: j.sum.map((v: number, k: number) => (k === 3 ? 1 : v)) }, /sumSq\[3\]/],
    ];
    for (const [bad, field] of cases) {
      const e = thrownError(() => restoreSpeakerSession(bad));
      expect(e.code).toBe('ERR_MODEL_FORMAT');
      expect(e.message).toMatch(field);
    }
    const missing = { ...j };
    delete missing.sumSq;
    expect(thrownError(() => restoreSpeakerSession(missing)).message).toMatch(/sumSq.*missing|missing.*sumSq/);
    expect(() => createSpeakerSession({ priorStrength: -1 })).toThrow(EmotionThinkerError);
  }, 120_000);
});

describe('emotionthinker analyze --speaker (CLI)', () => {
  it('analyses all files as one speaker and tags each record', () => {
    const cli = path.resolve(__dirname, '..', 'dist', 'cli.js');
    const files = actorClips(13).slice(0, 6);
    const r = spawnSync(process.execPath, [cli, 'analyze', '--json', '--speaker', 'A13', ...files], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.file)).toEqual(files);
    for (const l of lines) {
      expect(l.speaker).toBe('A13');
      for (const c of l.claims.filter((k: { cue: string }) => k.cue !== 'intonation')) expect(c.relativeTo).toMatch(/^this speaker \(baseline .* over 6 utterances/);
    }
  }, 120_000);
});
