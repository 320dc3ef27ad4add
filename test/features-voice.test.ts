import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { extractUtteranceFeatures, FEATURE_NAMES, VOICE_FEATURES } from '../src/inference/featurize.js';

const sample = path.resolve(__dirname, '../samples/hello.wav');

describe('utterance features: voice quality block', () => {
  it('names every value, and a speech clip has plausible voice-quality values', async () => {
    const { features, prosody } = await extractUtteranceFeatures(sample);
    expect(features.values.length).toBe(FEATURE_NAMES.length);
    const at = (k: string) => features.values[FEATURE_NAMES.indexOf(`vq.${k}`)];
    for (const k of VOICE_FEATURES) expect(Number.isFinite(at(k)), k).toBe(true);
    // The names stay out of the claim heads' patterns (f0*, rms*, intensity*, voiced*, *Slope*, ...).
    for (const k of VOICE_FEATURES) expect(`vq.${k}`).not.toMatch(/Slope|^(f0|rms|intensity|voiced|unvoiced|pause)/);
    expect(prosody.frames.f0.some(Number.isFinite)).toBe(true);
    // Speech: HNR within the usual range of voiced speech, jitter and shimmer small fractions.
    expect(at('hnrMean')!).toBeGreaterThan(0);
    expect(at('hnrMean')!).toBeLessThan(30);
    expect(at('jitterLocal')!).toBeGreaterThan(0);
    expect(at('jitterLocal')!).toBeLessThan(0.2);
    expect(at('shimmerLocal')!).toBeGreaterThan(0);
    expect(at('shimmerLocal')!).toBeLessThan(0.5);
    // Voiced speech has most of its energy below 1 kHz and a first harmonic above the rest.
    expect(at('alphaRatioMean')!).toBeGreaterThan(0);
    expect(at('hammarbergMean')!).toBeGreaterThan(0);
  });
});
