import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CLAIMS_SIZE,
  EmotionThinkerError,
  OnnxGraphBuilder,
  OnnxRewardModel,
  encodeClaims,
  evaluateMlp,
  exportMlp,
  type MlpSpec,
  type RewardItem,
} from '../src/index.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'et-reward-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const F = 6;
const EMOTIONS = ['neutral', 'happy', 'sad', 'angry'];

/** A reward model the test exports itself: scores = 1 + 4·sigmoid(linear(features, claims, emotion)). */
function rewardSpec(): MlpSpec {
  const inSize = F + CLAIMS_SIZE + EMOTIONS.length;
  const weight = new Float32Array(inSize * 4);
  for (let i = 0; i < inSize; i++) for (let j = 0; j < 4; j++) weight[i * 4 + j] = Math.sin(i * 4 + j) * 0.7;
  return {
    inputs: [
      { name: 'features', size: F, mean: Array(F).fill(1), std: Array(F).fill(2) },
      { name: 'claims', size: CLAIMS_SIZE },
      { name: 'emotion', size: EMOTIONS.length },
    ],
    heads: [{ name: 'scores', layers: [{ inSize, outSize: 4, weight, bias: Float32Array.of(0.1, -0.2, 0.3, 0) }], output: 'range', range: [1, 5] }],
  };
}

const items: RewardItem[] = [
  { features: [1, 2, 3, 4, 5, 6], claims: { pitch: 'high', energy: 'high', speed: 'fast', intonation: 'rising' }, emotion: 'happy' },
  { features: [0, 0, 0, 0, 0, 0], claims: {}, emotion: 'neutral' },
  { features: Float32Array.of(-3, 1, 4, 1, 5, 9), claims: { pitch: 'low', speed: 'slow', intonation: 'falling' }, emotion: 'sad' },
];

describe('reward-model plug-in', () => {
  it('encodes claims as four one-hots in vocabulary order', () => {
    const v = encodeClaims({ pitch: 'high', intonation: 'falling-rising' });
    expect(v.length).toBe(20);
    expect(Array.from(v).reduce((s, x) => s + x, 0)).toBe(4);
    expect(v[3]).toBe(1); // pitch high
    expect(v[4]).toBe(1); // energy not_mentioned
    expect(v[8]).toBe(1); // speed not_mentioned
    expect(v[18]).toBe(1); // intonation falling-rising
    expect(() => encodeClaims({ pitch: 'shrill' })).toThrow(/claim pitch="shrill" is not one of not_mentioned, low, normal, high/);
    expect(() => encodeClaims({ tempo: 'fast' } as never)).toThrow(/unknown cue "tempo"/);
  });

  it('scores responses with a user ONNX model: four scores in [1, 5] that match the reference', async () => {
    const spec = rewardSpec();
    const file = path.join(tmp, 'reward.onnx');
    writeFileSync(file, exportMlp(spec, { metadata: { 'emotionthinker.emotions': JSON.stringify(EMOTIONS) } }));
    const judge = await OnnxRewardModel.load(file);
    try {
      expect(judge.emotions).toEqual(EMOTIONS);
      expect(judge.featureSize).toBe(F);
      const scores = await judge.score(items);
      expect(scores).toHaveLength(3);
      const feats = new Float32Array(items.flatMap((it) => Array.from(it.features)));
      const claims = new Float32Array(3 * CLAIMS_SIZE);
      items.forEach((it, b) => encodeClaims(it.claims, claims, b * CLAIMS_SIZE));
      const emotion = new Float32Array(3 * EMOTIONS.length);
      items.forEach((it, b) => (emotion[b * EMOTIONS.length + EMOTIONS.indexOf(it.emotion)] = 1));
      const ref = evaluateMlp(spec, { features: feats, claims, emotion }, 3).scores;
      scores.forEach((s, b) => {
        ['FA', 'IQ', 'CC', 'FS'].forEach((k, j) => {
          const v = s[k as 'FA'];
          expect(v).toBeGreaterThanOrEqual(1);
          expect(v).toBeLessThanOrEqual(5);
          expect(Math.abs(v - ref[b * 4 + j])).toBeLessThan(1e-5);
        });
      });
      // Concurrent calls are batched by the pool and give the same answers.
      const again = await Promise.all(items.map((it) => judge.score([it])));
      again.forEach((s, b) => expect(s[0].FA).toBeCloseTo(scores[b].FA, 6));
      await expect(judge.score([{ ...items[0], emotion: 'bored' }])).rejects.toThrow(/"bored" is not one of neutral, happy, sad, angry/);
      await expect(judge.score([{ ...items[0], features: [1, 2] }])).rejects.toThrow(/features has 2 values; the reward model takes 6/);
    } finally {
      await judge.dispose();
    }
  });

  it('rejects models that break the contract', async () => {
    // Right inputs, but eight emotions expected by default and the model takes four.
    const noMeta = exportMlp(rewardSpec());
    await expect(OnnxRewardModel.load(noMeta)).rejects.toThrow(/"emotion" has 4 values per row but 8 emotion labels/);
    const ok = await OnnxRewardModel.load(noMeta, { emotions: EMOTIONS });
    await ok.dispose();

    // Missing the claims input.
    const g = new OnnxGraphBuilder('bad');
    g.input('features', 'float32', ['batch', F]);
    g.input('emotion', 'float32', ['batch', 4]);
    g.node('Identity', ['emotion'], ['scores']);
    g.output('scores', 'float32', ['batch', 4]);
    const err = await OnnxRewardModel.load(g.build()).catch((e) => e);
    expect(err).toBeInstanceOf(EmotionThinkerError);
    expect(err.message).toMatch(/no input "claims"/);

    // Wrong output width.
    const spec = rewardSpec();
    spec.heads[0].name = 'scores';
    spec.heads[0].layers[0] = { ...spec.heads[0].layers[0], outSize: 3, weight: spec.heads[0].layers[0].weight.subarray(0, spec.heads[0].layers[0].inSize * 3), bias: undefined };
    await expect(OnnxRewardModel.load(exportMlp(spec), { emotions: EMOTIONS })).rejects.toThrow(/output "scores" must be \[batch, 4\]/);
  });
});
