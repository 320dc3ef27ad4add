// Issue #16, channel robustness by training: the seeded perturbations the default model is
// trained with (and benchmarks/ser-robustness.mjs evaluates with) do what they say, on a real
// clip: SNR as requested, telephone band 300–3400 Hz, reverberation decaying at the given T60,
// gain by the given dB; the same seed gives the same samples.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { defaultModel, loadAudio, spectralStats } from '../src/index.js';
import { applyGain, applyPerturbation, babble, DEFAULT_AUGMENT_KINDS, drawMicrophone, drawPerturbation, microphone, microphoneGainDb, mixAtSnr, PERTURBATION_KINDS, pinkNoise, reverberate, defaultReverbDrrDb, telephone, whiteNoise, type PerturbationKind } from '../src/train/augment.js';
import { Rng } from '../src/train/rng.js';
import { encodeLossy } from '../src/train/codec.js';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { prepareRavdess } from '../src/train/corpus.js';
import { augmentTraining } from '../src/train/augment-corpus.js';
import { FEATURE_NAMES } from '../src/inference/featurize.js';
import { SPEAKER_LEVEL_FEATURES } from '../src/inference/speaker-levels.js';
import { loadModel } from '../src/inference/model.js';
import { SPEAKER_MODEL_PATH } from '../src/speaker-session.js';

const RAVDESS = path.resolve(__dirname, '../../shared/data/ravdess');
const power = (x: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s / x.length;
};
const db = (r: number) => 10 * Math.log10(r);

describe('channel perturbations', async () => {
  const { samples: x } = await loadAudio(path.join(RAVDESS, '03-01-05-02-01-01-14.wav'), { sampleRate: 16000, mono: true });
  const { samples: other } = await loadAudio(path.join(RAVDESS, '03-01-03-01-02-01-02.wav'), { sampleRate: 16000, mono: true });

  it('noise is mixed at the requested SNR (white, pink, babble)', () => {
    for (const noise of [whiteNoise(x.length, new Rng(1)), pinkNoise(x.length, new Rng(2)), babble(x.length, [other])]) {
      for (const snr of [5, 20]) {
        const y = mixAtSnr(x, noise, snr);
        const n = y.map((v, i) => v - x[i]);
        expect(db(power(x) / power(n))).toBeCloseTo(snr, 1);
      }
    }
  });

  it('gain scales by the given dB; the telephone channel keeps 300-3400 Hz', () => {
    expect(db(power(applyGain(x, -20)) / power(x))).toBeCloseTo(-20, 3);
    const t = telephone(x);
    expect(t.length).toBeCloseTo(x.length, -2);
    const a = spectralStats(x, 16000), b = spectralStats(t, 16000);
    // Log-mel bands well above 3.4 kHz (36 and 38 of 40 up to 8 kHz: about 6–7 kHz) lose far more
    // than the bands inside the telephone band.
    const drop = (m: number) => a.melMean[m] - b.melMean[m];
    const inside = [10, 15, 20].map(drop), above = [36, 38].map(drop);
    expect(Math.min(...above)).toBeGreaterThan(Math.max(...inside) + 3); // natural-log units: > 13 dB more
  });

  it('lossy coding goes through the real encoders and back: MP3 16 kbps low-passes, Vorbis keeps the voice band', async () => {
    const mp3 = await applyPerturbation(x, { kind: 'mp3', amount: 16 }, new Rng(1), () => []);
    const vorbis = await applyPerturbation(x, { kind: 'vorbis', amount: 0 }, new Rng(1), () => []);
    const bytes = await encodeLossy(x, { format: 'mp3', kbps: 16 });
    // A constant 16 kbit/s stream: about 2 kB per second of audio (the WAV holds 32 kB per second).
    expect(bytes.length / (x.length / 16000)).toBeGreaterThan(1800);
    expect(bytes.length / (x.length / 16000)).toBeLessThan(2300);
    // The decoder's output carries the encoder's delay (LAME: about 70 ms) and its padding.
    expect(mp3.length).toBeGreaterThan(x.length);
    expect(mp3.length).toBeLessThan(x.length + 0.2 * 16000);
    const a = spectralStats(x, 16000), m = spectralStats(mp3, 16000), v = spectralStats(vorbis, 16000);
    // At 16 kbit/s LAME removes everything above about 5.5 kHz (log-mel bands 37–39); the voice
    // band (bands 10–20, about 0.5–2 kHz) keeps its level within 1 natural-log unit.
    for (const k of [37, 38, 39]) expect(a.melMean[k] - m.melMean[k]).toBeGreaterThan(3);
    for (const k of [10, 15, 20]) expect(Math.abs(a.melMean[k] - m.melMean[k])).toBeLessThan(1);
    for (const k of [10, 15, 20]) expect(Math.abs(a.melMean[k] - v.melMean[k])).toBeLessThan(1);
    // Deterministic: the encoders have no randomness.
    expect(Array.from(await applyPerturbation(x, { kind: 'mp3', amount: 16 }, new Rng(2), () => []))).toEqual(Array.from(mp3));
    // The bundled recipe does not draw the codecs (docs/robust-emotion.md: they cost clean accuracy); a caller's
    // list of kinds does.
    const drawn = (kinds?: readonly PerturbationKind[]) => new Set(Array.from({ length: 400 }, (_, i) => drawPerturbation(new Rng(i), kinds).kind));
    expect([...drawn()].sort()).toEqual([...DEFAULT_AUGMENT_KINDS].sort());
    expect([...drawn(PERTURBATION_KINDS)].sort()).toEqual([...PERTURBATION_KINDS].sort());
  });

  it('another microphone colours the spectrum by its response, with zero phase, at the input power', async () => {
    // Two tones: the filter scales each by the response at its frequency (bin-centred, so the FFT
    // filter acts exactly), then the whole is rescaled to the input power.
    const n = 32000, f1 = 500, f2 = 3000;
    const tones = Float32Array.from({ length: n }, (_, i) => 0.3 * Math.sin((2 * Math.PI * f1 * i) / 16000) + 0.3 * Math.sin((2 * Math.PI * f2 * i) / 16000));
    const m = { tiltDbPerOctave: 1.5, lowCutHz: 200, highCutHz: 5000, peaks: [{ hz: 2500, gainDb: 6, octaves: 1 }, { hz: 400, gainDb: -4, octaves: 0.7 }] };
    const y = microphone(tones, m);
    // Amplitude and phase of each tone in the middle of the output (away from the edges).
    const at = (f: number) => {
      let c = 0, s = 0;
      for (let i = 8000; i < 24000; i++) (c += y[i] * Math.cos((2 * Math.PI * f * i) / 16000)), (s += y[i] * Math.sin((2 * Math.PI * f * i) / 16000));
      return { amp: (2 * Math.hypot(c, s)) / 16000, phase: Math.atan2(c, s) };
    };
    const a1 = at(f1), a2 = at(f2);
    expect(20 * Math.log10(a2.amp / a1.amp)).toBeCloseTo(microphoneGainDb(m, f2) - microphoneGainDb(m, f1), 1);
    expect(Math.abs(a1.phase)).toBeLessThan(0.01); // zero phase: each tone stays a sine
    expect(Math.abs(a2.phase)).toBeLessThan(0.01);
    expect(db(power(y) / power(tones))).toBeCloseTo(0, 3);
    // The response's shape: the low cut and the high cut take 3 dB at their corners (plus the tilt there).
    const flat = { tiltDbPerOctave: 0, lowCutHz: 100, highCutHz: 6000, peaks: [] };
    expect(microphoneGainDb(flat, 100)).toBeCloseTo(-3.01, 1);
    expect(microphoneGainDb(flat, 6000)).toBeCloseTo(-3.01, 1);
    expect(microphoneGainDb(flat, 1000)).toBeCloseTo(0, 1);
    // A resonance lifting the peaks stays below full scale; a real clip's power is kept otherwise.
    const loud = microphone(x.map((v) => v * 3), { ...flat, peaks: [{ hz: 1000, gainDb: 12, octaves: 2 }] });
    expect(Math.max(...loud.map(Math.abs))).toBeLessThanOrEqual(0.99 + 1e-6);
    const quiet = x.map((v) => v * 0.25); // headroom: the resonance may lift the loudest peaks
    expect(db(power(microphone(quiet, m)) / power(quiet))).toBeCloseTo(0, 3);
    // Drawn: within the documented ranges; the same seed, the same microphone (one device per session channel).
    for (let i = 0; i < 50; i++) {
      const d = drawMicrophone(new Rng(i));
      expect(Math.abs(d.tiltDbPerOctave)).toBeLessThanOrEqual(2);
      expect(d.lowCutHz).toBeGreaterThanOrEqual(40), expect(d.lowCutHz).toBeLessThanOrEqual(300);
      expect(d.highCutHz).toBeGreaterThanOrEqual(4000), expect(d.highCutHz).toBeLessThanOrEqual(7500);
      for (const p of d.peaks) expect(Math.abs(p.gainDb)).toBeLessThanOrEqual(6);
    }
    const p = drawPerturbation(new Rng(4), ['microphone']);
    expect(p).toEqual(drawPerturbation(new Rng(4), ['microphone']));
    expect(Array.from(await applyPerturbation(x, p, new Rng(1), () => []))).toEqual(Array.from(microphone(x, p.microphone!)));
  });

  it('reverberation keeps the power; seeds reproduce', async () => {
    const y = reverberate(x, 0.6, new Rng(5));
    expect(db(power(y) / power(x))).toBeCloseTo(0, 3);
    expect(Array.from(reverberate(x, 0.6, new Rng(5)))).toEqual(Array.from(y));
    const random = async (rng: Rng) => {
      const perturbation = drawPerturbation(rng);
      return { perturbation, samples: await applyPerturbation(x, perturbation, rng, () => [other]) };
    };
    const a = await random(new Rng(9)), b = await random(new Rng(9));
    expect(a.perturbation).toEqual(b.perturbation);
    expect(Array.from(a.samples)).toEqual(Array.from(b.samples));
  });

  it('reverberation at a given direct-to-reverberant ratio: the impulse response holds that ratio; the default tail is the far-field one', () => {
    const impulse = new Float32Array(16000);
    impulse[0] = 1;
    const ratio = (y: Float32Array) => {
      let tail = 0;
      for (let i = 1; i < y.length; i++) tail += y[i] * y[i];
      return 10 * Math.log10((y[0] * y[0]) / tail);
    };
    for (const drr of [-5, 0, 10]) expect(ratio(reverberate(impulse, 0.5, new Rng(3), drr))).toBeCloseTo(drr, 3);
    // The default taps (0.3 of a unit normal): their drawn ratio lies near the expected −17.2 dB.
    expect(defaultReverbDrrDb(0.5)).toBeCloseTo(-17.16, 2);
    expect(Math.abs(ratio(reverberate(impulse, 0.5, new Rng(3))) - defaultReverbDrrDb(0.5))).toBeLessThan(1);
    // A nearer microphone keeps more of the direct sound: less of the signal is smeared.
    const near = reverberate(x, 0.5, new Rng(5), 10), far = reverberate(x, 0.5, new Rng(5));
    const err = (y: Float32Array) => x.reduce((s, v, i) => s + (y[i] - v) ** 2, 0);
    expect(err(near)).toBeLessThan(err(far) / 4);
  });

  it('the bundled model was trained on augmented copies', () => {
    expect(Number(defaultModel().file.info.augmentedCopies)).toBeGreaterThan(2 * Number(defaultModel().file.info.clips));
  });
});

describe('speaker-session augmentation: one channel per speaker and copy', () => {
  it("each copy hears all of a speaker's clips over one perturbation, z-scored within that speaker and channel", async () => {
    const cacheFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'et-aug-')), 'features.json');
    const corpus = await prepareRavdess(RAVDESS, { trainActors: [1, 2], valActors: [], cacheFile, speakerNormalization: true });
    const copies = 2;
    const { train, perturbations } = await augmentTraining(corpus, { copies, seed: 3, speakerNormalization: true });
    const n0 = corpus.train.x.length, F = FEATURE_NAMES.length;
    expect(train.x.length).toBe(n0 + perturbations.length);
    expect(perturbations.length).toBeGreaterThan(1.8 * n0);
    const K = SPEAKER_LEVEL_FEATURES.length;
    for (const x of train.x) expect(x.length).toBe(2 * F + 1 + K);
    expect(corpus.speakerLevelSd).toHaveLength(K);
    for (const sd of corpus.speakerLevelSd!) expect(sd).toBeGreaterThan(0.5); // dB: a speaker's utterances differ in level
    // Per speaker at most `copies` channels (per-clip draws would give dozens), and the z-scores of
    // each speaker-and-channel group have mean 0 and sd 1 (of a feature that varies in it).
    const groups = new Map<string, number[]>();
    perturbations.forEach((p, k) => {
      const key = `${train.clips[n0 + k].actor}/${p.kind}/${p.amount}`;
      groups.set(key, [...(groups.get(key) ?? []), n0 + k]);
    });
    for (const actor of [1, 2]) expect([...groups.keys()].filter((g) => g.startsWith(`${actor}/`)).length).toBeLessThanOrEqual(copies);
    const j = FEATURE_NAMES.indexOf('f0MeanSt');
    for (const idx of groups.values()) {
      const z = idx.map((i) => train.x[i][F + 1 + j]);
      const m = z.reduce((a, v) => a + v, 0) / z.length;
      expect(Math.abs(m)).toBeLessThan(1e-9);
      expect(Math.sqrt(z.reduce((a, v) => a + (v - m) ** 2, 0) / z.length)).toBeCloseTo(1, 6);
      // The speaker levels too: the loud end of the RMS level, z-scored within the speaker and channel.
      const l = idx.map((i) => train.x[i][2 * F + 1 + SPEAKER_LEVEL_FEATURES.indexOf('rmsP95Dbfs')]);
      const lm = l.reduce((a, v) => a + v, 0) / l.length;
      expect(Math.abs(lm)).toBeLessThan(1e-9);
      expect(Math.sqrt(l.reduce((a, v) => a + (v - lm) ** 2, 0) / l.length)).toBeCloseTo(1, 6);
    }
    const again = await augmentTraining(corpus, { copies, seed: 3, speakerNormalization: true });
    expect(again.perturbations).toEqual(perturbations);
    // Kinds are the caller's choice, checked: the codecs alone give MP3 and Vorbis channels only.
    const coded = await augmentTraining(corpus, { copies: 1, seed: 3, speakerNormalization: true, kinds: ['mp3', 'vorbis'] });
    expect(coded.perturbations.length).toBeGreaterThan(0.9 * n0);
    for (const p of coded.perturbations) expect(['mp3', 'vorbis']).toContain(p.kind);
    for (const bad of [[], ['mp4'], 'mp3'] as unknown[]) {
      await expect(augmentTraining(corpus, { copies: 1, kinds: bad as PerturbationKind[] })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(/kinds must be a non-empty list of gain, .*vorbis, microphone; got/) });
    }
  }, 300_000);

  it('the bundled session model was trained on channel copies', () => {
    const info = loadModel(SPEAKER_MODEL_PATH).file.info;
    expect(Number(info.augmentedCopies)).toBeGreaterThan(2 * Number(info.clips));
  });
});
