import { describe, expect, it } from 'vitest';
import { EmotionThinkerError, OnnxModel, evaluateMlp, exportMlp, readOnnxMetadata, type LinearLayer, type MlpSpec } from '../src/index.js';
import { decodeModel } from '../src/onnx/proto.js';

import { rng } from './helpers/rng.js';

function layer(rand: () => number, inSize: number, outSize: number, activation?: LinearLayer['activation']): LinearLayer {
  const s = 1 / Math.sqrt(inSize);
  return {
    inSize,
    outSize,
    activation,
    weight: Float32Array.from({ length: inSize * outSize }, () => (rand() * 2 - 1) * s * 2),
    bias: Float32Array.from({ length: outSize }, () => rand() - 0.5),
  };
}

/** A policy-shaped model: standardised features → trunk → claim heads; emotion head also sees the claims. */
function policySpec(seed: number): MlpSpec {
  const rand = rng(seed);
  const F = 24;
  return {
    inputs: [
      {
        name: 'features',
        size: F,
        mean: Array.from({ length: F }, () => rand() * 100 - 50),
        std: Array.from({ length: F }, () => 0.5 + rand() * 20),
      },
      { name: 'claims', size: 19, trunk: false },
    ],
    trunk: [layer(rand, F, 32, 'relu'), layer(rand, 32, 16, 'tanh')],
    heads: [
      { name: 'pitch', layers: [layer(rand, 16, 4)], logits: 'pitch_logits' },
      { name: 'energy', layers: [layer(rand, 16, 8, 'relu'), layer(rand, 8, 4)] },
      { name: 'emotion', layers: [layer(rand, 16 + 19, 8)], extraInputs: ['claims'] },
      { name: 'scores', layers: [layer(rand, 16, 4)], output: 'range', range: [1, 5] },
      { name: 'raw', layers: [layer(rand, 16, 3, 'sigmoid')], output: 'none' },
    ],
  };
}

describe('ONNX export round trip', () => {
  it('onnxruntime-node and the TypeScript reference agree within 1e-5', async () => {
    const spec = policySpec(7);
    const bytes = exportMlp(spec, { metadata: { 'emotionthinker.kind': 'policy' } });
    const rows = 33;
    const rand = rng(99);
    const features = Float32Array.from({ length: rows * 24 }, (_, i) => (spec.inputs[0].mean![i % 24] as number) + (rand() * 2 - 1) * 30);
    const claims = new Float32Array(rows * 19);
    for (let r = 0; r < rows; r++) for (const [a, b] of [[0, 4], [4, 8], [8, 12], [12, 19]]) claims[r * 19 + a + Math.floor(rand() * (b - a))] = 1;
    const ref = evaluateMlp(spec, { features, claims }, rows);

    const model = await OnnxModel.create(bytes);
    try {
      expect(model.inputs.map((v) => [v.name, v.shape])).toEqual([
        ['features', ['batch', 24]],
        ['claims', ['batch', 19]],
      ]);
      expect(model.outputs.map((v) => v.name).sort()).toEqual(['emotion', 'energy', 'pitch', 'pitch_logits', 'raw', 'scores']);
      const out = await model.run({ features: { data: features, dims: [rows, 24] }, claims: { data: claims, dims: [rows, 19] } });
      let worst = 0;
      for (const name of Object.keys(ref)) {
        const got = out[name].data as Float32Array;
        expect(got.length).toBe(ref[name].length);
        for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref[name][i]));
      }
      expect(worst).toBeLessThanOrEqual(1e-5);
      // Softmax rows sum to one; scores lie in [1, 5].
      const p = out.emotion.data as Float32Array;
      for (let r = 0; r < rows; r++) expect(p.subarray(r * 8, r * 8 + 8).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
      for (const v of out.scores.data as Float32Array) expect(v >= 1 && v <= 5).toBe(true);
    } finally {
      await model.dispose();
    }
  });

  it('writes a well-formed ModelProto with opset, metadata and initializers', () => {
    const spec = policySpec(3);
    const bytes = exportMlp(spec, { metadata: { a: '1', b: 'two' }, opset: 17 });
    const m = decodeModel(bytes) as {
      ir_version: number;
      opset_import: { version: number }[];
      graph: { initializer: unknown[]; node: { op_type: string }[] };
    };
    expect(m.ir_version).toBe(8);
    expect(m.opset_import[0].version).toBe(17);
    expect(m.graph.node.some((n) => n.op_type === 'Softmax')).toBe(true);
    expect(m.graph.node.filter((n) => n.op_type === 'MatMul').length).toBe(8);
    expect(readOnnxMetadata(bytes)).toEqual({ a: '1', b: 'two' });
  });

  it('rejects inconsistent specs with a message naming the part', () => {
    const rand = rng(1);
    const bad = (mutate: (s: MlpSpec) => void, pattern: RegExp) => {
      const s = policySpec(5);
      mutate(s);
      let err: unknown;
      try {
        exportMlp(s);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(EmotionThinkerError);
      expect((err as Error).message).toMatch(pattern);
    };
    bad((s) => (s.trunk![1] = layer(rand, 31, 16)), /trunk layer 1: inSize is 31 but its input has 32 values/);
    bad((s) => (s.heads[0].layers[0].weight = new Float32Array(3)), /head "pitch" layer 0: weight must be/);
    bad((s) => (s.inputs[0].std = Array(24).fill(0)), /std must be finite and > 0/);
    bad((s) => (s.heads[2].extraInputs = ['nope']), /extra input "nope"/);
    bad((s) => (s.heads[3].range = [5, 1]), /range \[lo, hi\]/);
    bad((s) => (s.inputs[0].mean = [1, 2]), /mean and std must have 24 values/);
  });
});
