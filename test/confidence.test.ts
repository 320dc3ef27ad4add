// Issue #16, honest confidence: ECE (10 bins), the temperature fitted on held-out training
// folds (stored in the bundled model), and `uncertain` with reasons through analyze, which still
// carries probabilities and claims.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { analyze, defaultModel, expectedCalibrationError, loadAudio, loadModel } from '../src/index.js';
import { fitTemperature, scaleProbs } from '../src/train/confidence.js';
import { HELD_OUT_FOLDS } from '../src/train/ensemble-recipe.js';
import { SPEAKER_MODEL_PATH } from '../src/speaker-session.js';
import { makeWav } from './helpers/wav.js';

const RAVDESS = path.resolve(__dirname, '../../shared/data/ravdess');
const clip = path.join(RAVDESS, '03-01-05-02-01-01-14.wav');

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('calibration error and temperature', () => {
  it('ECE of a hand-computed case', () => {
    // Two clips at confidence 0.9 (one right), two at 0.6 (both right): bins 9 and 6.
    const probs = [[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]];
    const e = expectedCalibrationError(probs, [0, 1, 0, 0]);
    expect(e.ece).toBeCloseTo(0.5 * Math.abs(0.9 - 0.5) + 0.5 * Math.abs(0.6 - 1), 12);
    expect(e.accuracy).toBe(0.75);
    expect(e.confidence).toBeCloseTo(0.75, 12);
  });

  it('recovers the temperature of over-confident probabilities and lowers their ECE', () => {
    const r = rng(3);
    const probs: Float64Array[] = [], labels: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const logits = Array.from({ length: 8 }, () => 1.5 * Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r()));
      const p = scaleProbs(logits.map(Math.exp), 1);
      let u = r(), y = 0;
      while (y < 7 && (u -= p[y]) > 0) y++;
      labels.push(y);
      probs.push(scaleProbs(p, 1 / 2.5)); // sharpened: over-confident by a temperature of 2.5
    }
    const t = fitTemperature(probs, labels);
    expect(t).toBeGreaterThan(2.2);
    expect(t).toBeLessThan(2.8);
    const before = expectedCalibrationError(probs, labels).ece;
    const after = expectedCalibrationError(probs.map((p) => scaleProbs(p, t)), labels).ece;
    expect(after).toBeLessThan(before / 3);
  });

  it('the bundled model carries a temperature fitted on held-out folds, with the ECE it reached there', () => {
    const p = defaultModel().file.perception!;
    expect(p.temperature).toBeGreaterThan(1); // the uncalibrated policy was over-confident
    const info = p.calibrationInfo!;
    expect(info.folds).toBe(HELD_OUT_FOLDS.clip);
    expect(Number(info.eceAfter)).toBeLessThan(Number(info.eceBefore));
  });

  it('the bundled session model\'s temperature comes from the session recipe\'s folds', () => {
    const p = loadModel(SPEAKER_MODEL_PATH).file.perception!;
    expect(p.speakerInputs).toBe(true);
    expect(p.calibrationInfo!.folds).toBe(HELD_OUT_FOLDS.session);
    expect(p.temperature).toBeGreaterThan(1);
    expect(Number(p.calibrationInfo!.eceAfter)).toBeLessThan(Number(p.calibrationInfo!.eceBefore));
  });
});

describe('uncertain answers', () => {
  it('clean studio speech is not flagged for signal reasons; the probabilities are tempered', async () => {
    const r = await analyze(clip);
    expect(r.uncertainty.filter((u) => u.reason !== 'weak-evidence')).toEqual([]);
    const top = Math.max(...Object.values(r.probabilities));
    expect(r.uncertain).toBe(top < 0.35);
  });

  it('noise, clipping and too little voiced speech are flagged with a reason; probabilities and claims stay', async () => {
    const { samples } = await loadAudio(clip, { sampleRate: 16000, mono: true });
    const r = rng(9);
    let p = 0;
    for (const v of samples) p += v * v;
    const g = Math.sqrt(p / samples.length);
    const noisy = samples.map((v) => v + g * Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r()));
    const n = await analyze(makeWav(noisy, { format: 's16' }));
    expect(n.uncertain).toBe(true);
    expect(n.uncertainty.map((u) => u.reason)).toContain('low-snr');
    expect(n.uncertainty.find((u) => u.reason === 'low-snr')!.detail).toMatch(/dB/);
    expect(Object.values(n.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(n.emotion).not.toBeNull();

    const clipped = samples.map((v) => Math.max(-1, Math.min(1, v * 30)));
    const c = await analyze(makeWav(clipped, { format: 's16' }));
    expect(c.uncertainty.map((u) => u.reason)).toContain('clipping');

    // The first 1.5 s of a clip: a fragment of speech (RAVDESS clips open with silence).
    const head = samples.slice(0, Math.round(16000 * 1.5));
    const h = await analyze(makeWav(head, { format: 's16' }));
    if (!h.insufficientEvidence) {
      expect(h.uncertain).toBe(true);
      expect(h.uncertainty.map((u) => u.reason)).toContain('little-voiced-speech');
    }
  });
});

describe('expectedCalibrationError and toBf16 check their input', () => {
  it('mismatched lengths, bad bins, NaN or out-of-range probabilities, bad labels are ERR_INVALID_ARG (they gave plausible numbers); toBf16 refuses a huge length before allocating', async () => {
    const { toBf16 } = await import('../src/index.js');
    const p = [[0.9, 0.1], [0.2, 0.8]];
    const cases: [() => unknown, RegExp][] = [
      [() => expectedCalibrationError(p, [0]), /2 probability rows but 1 labels/],
      [() => expectedCalibrationError(p, [0, 1], 0), /bins must be an integer in \[1, 1000\]/],
      [() => expectedCalibrationError(p, [0, 1], 1e9), /bins must be an integer/],
      [() => expectedCalibrationError([[NaN, 0.5], [0.2, 0.8]], [0, 1]), /probs\[0\]\[0\] is NaN/],
      [() => expectedCalibrationError([[1.5, 0], [0.2, 0.8]], [0, 1]), /probs\[0\]\[0\] is 1\.5/],
      [() => expectedCalibrationError(p, [0, 2]), /labels\[1\] is 2; expected a class index in \[0, 2\)/],
      [() => toBf16({ length: 2 ** 32 } as never), /toBf16: values must be an array or a typed array of numbers; got object/],
    ];
    for (const [call, message] of cases) expect(call).toThrow(message);
    expect(expectedCalibrationError(p, [0, 1]).accuracy).toBe(1);
    expect(Array.from(toBf16([1, -2]))).toEqual([0x3f80, 0xc000]);
  });
});
