import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmotionThinkerError, OnnxGraphBuilder, OnnxModel, attr } from '../src/index.js';
import { maxGap, watchLoop } from './helpers/loop.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'et-onnx-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** y = x · W + b, softmax over the last axis; x [batch, 3] float32, also echoes an int64 input. */
function smallModel(): Uint8Array {
  const g = new OnnxGraphBuilder('small');
  g.input('x', 'float32', ['batch', 3]);
  g.input('ids', 'int64', ['batch']);
  const w = g.constant('W', Float32Array.from([1, 0, 0, 1, 1, -1]), [3, 2]);
  const b = g.constant('b', Float32Array.from([0.5, -0.5]), [2]);
  const [m] = g.node('MatMul', ['x', w]);
  const [z] = g.node('Add', [m, b], ['z']);
  g.node('Softmax', [z], ['p'], { axis: attr.int(-1) });
  g.node('Identity', ['ids'], ['ids_out']);
  g.output('z', 'float32', ['batch', 2]);
  g.output('p', 'float32', ['batch', 2]);
  g.output('ids_out', 'int64', ['batch']);
  return g.build();
}

function reference(x: Float32Array, rows: number): Float32Array {
  const z = new Float32Array(rows * 2);
  for (let r = 0; r < rows; r++) {
    z[2 * r] = x[3 * r] * 1 + x[3 * r + 1] * 0 + x[3 * r + 2] * 1 + 0.5;
    z[2 * r + 1] = x[3 * r] * 0 + x[3 * r + 1] * 1 + x[3 * r + 2] * -1 - 0.5;
  }
  return z;
}

/** A model that takes a while: `n` chained [rows, 1024] × [1024, 1024] products. */
function slowModel(n: number): Uint8Array {
  const g = new OnnxGraphBuilder('slow');
  g.input('x', 'float32', ['batch', 1024]);
  const w = new Float32Array(1024 * 1024);
  for (let i = 0; i < 1024; i++) w[i * 1024 + i] = 1;
  const W = g.constant('W', w, [1024, 1024]);
  let h = 'x';
  for (let i = 0; i < n; i++) [h] = g.node('MatMul', [h, W]);
  g.node('Identity', [h], ['y']);
  g.output('y', 'float32', ['batch', 1024]);
  return g.build();
}

async function expectError(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  const err = await p.then(
    () => null,
    (e) => e,
  );
  expect(err).toBeInstanceOf(EmotionThinkerError);
  expect((err as EmotionThinkerError).code).toBe(code);
  expect((err as Error).message).toMatch(pattern);
}

describe('OnnxModel', () => {
  it('loads from bytes and from a file, reports metadata and runs', async () => {
    const bytes = smallModel();
    const file = path.join(tmp, 'small.onnx');
    writeFileSync(file, bytes);
    const model = await OnnxModel.create(file);
    try {
      expect(model.inputs.map((v) => [v.name, v.type, v.shape])).toEqual([
        ['x', 'float32', ['batch', 3]],
        ['ids', 'int64', ['batch']],
      ]);
      expect(model.outputs.map((v) => v.name)).toEqual(['z', 'p', 'ids_out']);
      const x = Float32Array.from([1, 2, 3, -1, 0.5, 2]);
      const out = await model.run({ x: { data: x, dims: [2, 3] }, ids: { data: BigInt64Array.of(7n, 9n), dims: [2] } });
      expect(out.z.dims).toEqual([2, 2]);
      expect(out.z.type).toBe('float32');
      expect(Array.from(out.z.data as Float32Array)).toEqual(Array.from(reference(x, 2)));
      const p = out.p.data as Float32Array;
      expect(p[0] + p[1]).toBeCloseTo(1, 6);
      expect(Array.from(out.ids_out.data as BigInt64Array)).toEqual([7n, 9n]);
      const only = await model.run({ x: { data: x, dims: [2, 3] }, ids: { data: BigInt64Array.of(1n, 2n), dims: [2] } }, { outputs: ['p'] });
      expect(Object.keys(only)).toEqual(['p']);
    } finally {
      await model.dispose();
    }
    const fromBytes = await OnnxModel.create(bytes, { workers: 2 });
    expect(fromBytes.name).toBe('model bytes');
    await fromBytes.dispose();
  });

  it('rejects a missing, empty or corrupt model file with a clear error', async () => {
    await expectError(OnnxModel.create(path.join(tmp, 'nope.onnx')), 'ERR_FILE', /nope\.onnx: model file not found/);
    const corrupt = path.join(tmp, 'corrupt.onnx');
    writeFileSync(corrupt, Buffer.from('this is not a protobuf at all, just text'));
    await expectError(OnnxModel.create(corrupt), 'ERR_INVALID_ARG', /corrupt\.onnx: onnxruntime cannot load this model/);
    const truncated = smallModel().subarray(0, 60);
    await expectError(OnnxModel.create(truncated), 'ERR_INVALID_ARG', /cannot load this model/);
    await expectError(OnnxModel.create(new Uint8Array(0)), 'ERR_INVALID_ARG', /empty/);
    await expect(OnnxModel.create(42 as unknown as string)).rejects.toThrow(/file path or a Uint8Array/);
    await expect(OnnxModel.create(smallModel(), { workers: 0 })).rejects.toThrow(/workers must be an integer/);
  });

  it('checks input names, types and shapes against the model before running', async () => {
    const model = await OnnxModel.create(smallModel());
    try {
      const ids = { data: BigInt64Array.of(1n, 2n), dims: [2] };
      const x = { data: new Float32Array(6), dims: [2, 3] };
      await expectError(model.run({ x }), 'ERR_INVALID_ARG', /missing input "ids"; the model's inputs are: x float32 \[batch, 3\]; ids int64 \[batch\]/);
      await expectError(model.run({ x, ids, extra: x }), 'ERR_INVALID_ARG', /no input "extra"/);
      await expectError(model.run({ x: { data: new Float64Array(6), dims: [2, 3] }, ids }), 'ERR_INVALID_ARG', /input "x" must be float32; got float64/);
      await expectError(model.run({ x: { data: new Float32Array(6), dims: [6] }, ids }), 'ERR_INVALID_ARG', /input "x" must have rank 2/);
      await expectError(model.run({ x: { data: new Float32Array(8), dims: [2, 4] }, ids }), 'ERR_INVALID_ARG', /input "x" dimension 1 must be 3; got dims \[2, 4\]/);
      await expectError(model.run({ x: { data: new Float32Array(9), dims: [3, 3] }, ids }), 'ERR_INVALID_ARG', /"batch"\) is 2 but input "x" has "batch" = 3/);
      await expectError(model.run({ x: { data: new Float32Array(5), dims: [2, 3] }, ids }), 'ERR_INVALID_ARG', /dims \[2, 3\] \(6 elements\) but 5 values/);
      await expectError(model.run({ x: { data: [1, 2] as unknown as Float32Array, dims: [2] }, ids }), 'ERR_INVALID_ARG', /typed array/);
      await expectError(model.run({ x, ids }, { outputs: ['q'] }), 'ERR_INVALID_ARG', /no output "q"/);
      // Still usable after all that.
      const out = await model.run({ x, ids });
      expect(out.z.dims).toEqual([2, 2]);
    } finally {
      await model.dispose();
    }
  });

  it('merges concurrent requests along the batch dimension and splits the results', async () => {
    const model = await OnnxModel.create(smallModel(), { batch: { maxRequests: 16 } });
    try {
      const reqs = Array.from({ length: 24 }, (_, k) => {
        const rows = 1 + (k % 3);
        const x = Float32Array.from({ length: rows * 3 }, (_, i) => Math.sin(k * 7 + i));
        return { rows, x, ids: BigInt64Array.from({ length: rows }, (_, i) => BigInt(k * 10 + i)) };
      });
      const outs = await Promise.all(reqs.map((r) => model.run({ x: { data: r.x, dims: [r.rows, 3] }, ids: { data: r.ids, dims: [r.rows] } })));
      outs.forEach((o, k) => {
        expect(o.z.dims).toEqual([reqs[k].rows, 2]);
        const ref = reference(reqs[k].x, reqs[k].rows);
        (o.z.data as Float32Array).forEach((v, i) => expect(Math.abs(v - ref[i])).toBeLessThan(1e-6));
        expect(Array.from(o.ids_out.data as BigInt64Array)).toEqual(Array.from(reqs[k].ids));
      });
      const s = model.stats;
      expect(s.requests).toBe(24);
      expect(s.runs).toBeLessThan(24);
    } finally {
      await model.dispose();
    }
  });

  it('keeps the event loop free while a long inference runs (timer gaps short against the run)', async () => {
    const model = await OnnxModel.create(slowModel(100));
    try {
      // Warm up, then size the batch so that one inference takes about 400 ms on this machine.
      const w0 = performance.now();
      await model.run({ x: { data: new Float32Array(256 * 1024).fill(0.5), dims: [256, 1024] } });
      const rows = Math.min(8192, Math.max(256, Math.ceil((256 * 400) / (performance.now() - w0))));
      const x = { data: new Float32Array(rows * 1024).fill(0.5), dims: [rows, 1024] };
      const loop = watchLoop();
      const t0 = performance.now();
      const out = await model.run({ x });
      const elapsed = performance.now() - t0;
      const ticks = loop.stop();
      expect((out.y.data as Float32Array)[0]).toBe(0.5);
      const gap = maxGap(ticks);
      console.log(`max timer gap ${gap.toFixed(1)} ms over ${elapsed.toFixed(0)} ms of inference, ${ticks.length} ticks`);
      // Inference on this thread would block the loop for the whole run: one gap of about
      // \`elapsed\`. Compared within this run (no fixed ms: a loaded machine stretches both).
      expect(gap).toBeLessThan(elapsed / 3);
      expect(ticks.length).toBeGreaterThan(4);
    } finally {
      await model.dispose();
    }
  });

  it('rejects the caller when a worker dies mid-run, replaces the worker, and keeps working', async () => {
    const model = await OnnxModel.create(slowModel(100), { workers: 1 });
    try {
      const x = { data: new Float32Array(256 * 1024).fill(1), dims: [256, 1024] };
      const running = model.run({ x });
      const queued = model.run({ x: { data: new Float32Array(1024), dims: [1, 1024] } });
      // run() hands the first request to the idle worker synchronously, so it is in flight now;
      // the kill lands when that inference returns, before it answers. (No sleep: on a fast
      // machine the inference could finish before any fixed delay ran out.)
      expect(model.stats.runs).toBe(1);
      await model.killWorkerForTesting(0);
      await expectError(running, 'ERR_INTERNAL', /worker 0 exited .* during inference/);
      // The queued request runs on the replacement.
      const q = await queued;
      expect(q.y.dims).toEqual([1, 1024]);
      const after = await model.run({ x: { data: new Float32Array(1024).fill(2), dims: [1, 1024] } });
      expect((after.y.data as Float32Array)[5]).toBe(2);
      expect(model.stats.workerRestarts).toBe(1);
    } finally {
      await model.dispose();
    }
  });

  it('dispose() rejects pending work and leaves no handles open', async () => {
    const count = () => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'Timeout').length;
    const before = count();
    const model = await OnnxModel.create(smallModel(), { workers: 3 });
    expect(count()).toBeGreaterThan(before);
    const x = { data: new Float32Array(3), dims: [1, 3] };
    const ids = { data: BigInt64Array.of(1n), dims: [1] };
    await model.run({ x, ids });
    await model.dispose();
    await model.dispose();
    expect(count()).toBe(before);
    await expectError(model.run({ x, ids }), 'ERR_INVALID_ARG', /disposed/);

    // Disposing with work in flight: the callers are told, and nothing is left behind.
    const slow = await OnnxModel.create(slowModel(100));
    const p = slow.run({ x: { data: new Float32Array(256 * 1024), dims: [256, 1024] } });
    const q = slow.run({ x: { data: new Float32Array(1024), dims: [1, 1024] } });
    const checks = [expectError(p, 'ERR_INVALID_ARG', /disposed/), expectError(q, 'ERR_INVALID_ARG', /disposed/)];
    // p is already with a worker (dispatch is synchronous), q is queued: dispose at once rather
    // than after a fixed delay that a fast machine could outrun.
    expect(slow.stats.runs).toBeGreaterThan(0);
    await slow.dispose();
    await Promise.all(checks);
    expect(count()).toBe(before);
  });
});
