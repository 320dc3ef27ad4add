// The CUDA GRPO kernels on device buffers (DeviceBuffer, device-buffer.ts): the cuda* functions
// take and return DeviceBuffers so batches can stay on the GPU between steps. The host-array
// GRPO calls with `backend: 'cuda'` go through grpo/cuda-backend.ts (upload, compute, download).
// Without a GPU every call throws ERR_BACKEND_UNAVAILABLE with the reason.
import { native, type RawDeviceHandle, type RawDeviceLayout, type RawDeviceGroups } from './native.js';
import type { CudaLossMetrics } from './cuda-types.js';

export type { CudaLossMetrics, DeviceHandle } from './cuda-types.js';
import { callNative, EmotionThinkerError, invalidArg } from './errors.js';
import { resolveAdvantageOptions, resolveLogitsOptions, resolveLossOptions, resolvePtrOptions, type LossContext } from './grpo-options.js';
import type { GroupAdvantagesOptions, PolicyLossOptions } from './grpo.js';
import { DeviceBuffer, withDeviceBuffers, type DeviceDType } from './device-buffer.js';

export { DeviceBuffer, withDeviceBuffers, type DeviceDType } from './device-buffer.js';

function expect(buf: DeviceBuffer, dtype: DeviceDType, name: string, length?: number): RawDeviceHandle {
  if (!(buf instanceof DeviceBuffer)) throw invalidArg(`${name} must be a DeviceBuffer`);
  if (buf.dtype !== dtype) throw invalidArg(`${name} must be a ${dtype} DeviceBuffer; got ${buf.dtype}`);
  if (length !== undefined && buf.length !== length) throw invalidArg(`${name} has ${buf.length} elements; expected ${length}`);
  return buf.handle(name);
}

// ---------------------------------------------------------------------------------------------
// Options: the same names, defaults and ranges as the host-array calls in grpo/*.ts (both resolve
// them with src/grpo-options.ts from native/grpo/options.hpp), so a call means the same on both.

/** The advantage options of groupAdvantages (without the CPU's threads and backend). */
export type CudaAdvantageOptions = Omit<GroupAdvantagesOptions, 'backend' | 'threads' | 'out'>;

/**
 * The loss options of tokenLoss and logitsLoss (without the CPU's threads and backend). normLen,
 * when derived from ragged offsets, reads the offsets back from the device (batch + 1 integers).
 */
export type CudaLossOptions = Omit<PolicyLossOptions, 'backend' | 'threads'>;

/** The options cudaGroupAdvantages and cudaPtrAdvantages pass to the kernels (exported for the option-parity test). */
export function cudaAdvantageOptions(fn: string, options: CudaAdvantageOptions | undefined) {
  const { mode, std, eps, singleton } = options ?? {};
  return resolveAdvantageOptions(fn, { mode, std, eps, singleton });
}

/** The PTR options cudaPtrAdvantages passes to the kernel (exported for the option-parity test). */
export function cudaPtrOptions(fn: string, options: CudaPtrOptions | undefined) {
  const { alpha, judgeWeights, reasoningEnabled } = options ?? {};
  return resolvePtrOptions(fn, { alpha, judgeWeights, reasoningEnabled });
}

/** The options cudaTokenLoss passes to the kernels (exported for the option-parity test). */
export function cudaTokenLossOptions(fn: string, options: (CudaLossOptions & { gradOut?: DeviceBuffer }) | undefined, ctx: LossContext) {
  const { gradOut: _g, ...o } = options ?? {};
  return resolveLossOptions(fn, o, ctx);
}

/**
 * The options cudaTokenLoss resolves for a padded layout (`shape`, or one sequence) of `tokens`
 * and advantages of this length, without launching (exported for the option-parity test).
 */
export function resolveCudaTokenLossCall(options: CudaLossOptions | undefined, call: { shape?: readonly [number, number]; tokens: number; advLength: number }) {
  const layout = layoutArg(call.tokens, call.shape);
  return cudaTokenLossOptions('cudaTokenLoss', options, lossContext(layout, undefined, options, call.advLength));
}

/** As resolveCudaTokenLossCall, for cudaLogitsLoss. */
export function resolveCudaLogitsLossCall(options: (CudaLossOptions & { temperature?: number }) | undefined, call: { shape?: readonly [number, number]; tokens: number; advLength: number }) {
  const layout = layoutArg(call.tokens, call.shape);
  return cudaLogitsLossOptions('cudaLogitsLoss', options, lossContext(layout, undefined, options, call.advLength));
}

/** The options cudaLogitsLoss passes to the kernels (exported for the option-parity test). */
export function cudaLogitsLossOptions(fn: string, options: (CudaLossOptions & { temperature?: number; inPlace?: boolean }) | undefined, ctx: LossContext) {
  const { inPlace: _i, ...o } = options ?? {};
  return resolveLogitsOptions(fn, o, ctx);
}

function groupsArg(groups: number | DeviceBuffer, n: number, maxSize?: number): RawDeviceGroups {
  if (typeof groups === 'number') {
    if (!Number.isInteger(groups) || groups < 1) throw invalidArg(`group size must be a positive integer; got ${groups}`);
    if (n % groups !== 0) throw invalidArg(`${n} responses are not a multiple of the group size ${groups}`);
    return { size: groups };
  }
  if (groups instanceof DeviceBuffer && groups.length < 2) throw invalidArg(`group offsets need at least 2 entries (0 and the total); got ${groups.length}`);
  return { offsets: expect(groups, 'uint32', 'groups offsets'), count: groups.length - 1, maxSize: maxSize ?? 0 };
}

// What the loss options derive from the layout. Ragged device offsets are read back (batch + 1
// integers) only when normLen must be derived from the longest sequence.
function lossContext(layout: RawDeviceLayout, offsets: DeviceBuffer | undefined, options: { normLen?: number } | undefined, advLength: number): LossContext {
  let maxLen = layout.length;
  if (offsets && options?.normLen === undefined) {
    const off = offsets.download() as Uint32Array;
    maxLen = 0;
    for (let b = 0; b + 1 < off.length; b++) maxLen = Math.max(maxLen, off[b + 1] - off[b]);
  }
  return { batch: layout.batch, maxLen, advLength };
}

function layoutArg(tokens: number, shape?: readonly [number, number], offsets?: DeviceBuffer): RawDeviceLayout {
  if (offsets) {
    const handle = expect(offsets, 'uint32', 'offsets');
    // (Their values are checked on the device: 0 first, never decreasing, `tokens` last.)
    if (offsets.length < 2) throw invalidArg(`offsets need at least 2 entries (an empty batch has no sequences); got ${offsets.length}`);
    return { offsets: handle, batch: offsets.length - 1, length: 0, tokens };
  }
  if (!shape) return { batch: 1, length: tokens, tokens };
  const [B, L] = shape;
  if (B * L !== tokens) throw invalidArg(`shape [${B}, ${L}] does not match ${tokens} tokens`);
  return { batch: B, length: L, tokens };
}

// ---------------------------------------------------------------------------------------------
// Device-buffer API.

/** Group advantages of float32 rewards on the GPU; groups: a fixed size or uint32 offsets. */
export function cudaGroupAdvantages(rewards: DeviceBuffer, groups: number | DeviceBuffer, options: CudaAdvantageOptions & { maxGroupSize?: number } = {}): DeviceBuffer {
  const r = expect(rewards, 'float32', 'rewards');
  const g = groupsArg(groups, rewards.length, options.maxGroupSize);
  const out = DeviceBuffer.alloc(rewards.length);
  try {
    callNative(() => native.cuda.groupAdvantages(r, rewards.length, g, cudaAdvantageOptions('cudaGroupAdvantages', options), out.handle()));
  } catch (err) {
    out.dispose();
    throw err;
  }
  return out;
}

export interface CudaPtrInputs {
  correct: DeviceBuffer;
  format: DeviceBuffer;
  judgeScores: DeviceBuffer;
  groups: number | DeviceBuffer;
}

export interface CudaPtrOptions extends CudaAdvantageOptions {
  alpha?: { format?: number; outcome?: number; reasoning?: number };
  judgeWeights?: number[];
  reasoningEnabled?: boolean;
  maxGroupSize?: number;
}

/** GRPO-PTR rewards (reasoning reward, trust per group, total) and their advantages, one launch. */
export function cudaPtrAdvantages(inputs: CudaPtrInputs, options: CudaPtrOptions = {}) {
  const fn = 'cudaPtrAdvantages';
  const n = inputs.correct.length;
  const ptr = cudaPtrOptions(fn, options);
  const adv = cudaAdvantageOptions(fn, options);
  const w = ptr.judgeWeights;
  const c = expect(inputs.correct, 'float32', 'correct');
  const f = expect(inputs.format, 'float32', 'format', n);
  const j = expect(inputs.judgeScores, 'float32', 'judgeScores', n * w.length);
  const g = groupsArg(inputs.groups, n, options.maxGroupSize);
  const k = typeof inputs.groups === 'number' ? n / inputs.groups : inputs.groups.length - 1;
  const out = { reasoning: DeviceBuffer.alloc(n), trust: DeviceBuffer.alloc(k), reward: DeviceBuffer.alloc(n), advantages: DeviceBuffer.alloc(n) };
  try {
    callNative(() =>
      native.cuda.ptrAdvantages(c, f, j, n, g, ptr, adv, out.reasoning.handle(), out.trust.handle(), out.reward.handle(), out.advantages.handle()),
    );
  } catch (err) {
    Object.values(out).forEach((b) => b.dispose());
    throw err;
  }
  return out;
}

export interface CudaTokenLossInputs {
  logp: DeviceBuffer;
  oldLogp: DeviceBuffer;
  refLogp?: DeviceBuffer;
  /** One per sequence or one per token. */
  advantages: DeviceBuffer;
  /** Float weights per token (1 = counts). */
  mask?: DeviceBuffer;
  shape?: readonly [number, number];
  offsets?: DeviceBuffer;
}

/** Token loss forward and backward on the GPU: `{ loss, gradLogp, metrics }`. */
export function cudaTokenLoss(inputs: CudaTokenLossInputs, options: CudaLossOptions & { gradOut?: DeviceBuffer } = {}) {
  const T = inputs.logp.length;
  const layout = layoutArg(T, inputs.shape, inputs.offsets);
  const opts = cudaTokenLossOptions('cudaTokenLoss', options, lossContext(layout, inputs.offsets, options, inputs.advantages.length));
  const perToken = opts.advantagesPer === 'token';
  if (inputs.advantages.length !== (perToken ? T : layout.batch)) {
    throw invalidArg(`advantages has ${inputs.advantages.length} entries; expected ${layout.batch} (per sequence) or ${T} (per token)`);
  }
  const grad = options.gradOut ?? DeviceBuffer.alloc(T);
  try {
    const metrics: CudaLossMetrics = callNative(() =>
      native.cuda.tokenLoss(
        expect(inputs.logp, 'float32', 'logp'), expect(inputs.oldLogp, 'float32', 'oldLogp', T),
        inputs.refLogp ? expect(inputs.refLogp, 'float32', 'refLogp', T) : null, expect(inputs.advantages, 'float32', 'advantages'),
        perToken, inputs.mask ? expect(inputs.mask, 'float32', 'mask', T) : null, layout, opts,
        expect(grad, 'float32', 'gradOut', T),
      ),
    );
    return { loss: metrics.loss, gradLogp: grad, metrics };
  } catch (err) {
    if (!options.gradOut) grad.dispose();
    throw err;
  }
}

export interface CudaLogitsLossInputs {
  /** rows × vocab, float32 or bfloat16. */
  logits: DeviceBuffer;
  vocab: number;
  labels: DeviceBuffer;
  oldLogp: DeviceBuffer;
  refLogp?: DeviceBuffer;
  advantages: DeviceBuffer;
  mask?: DeviceBuffer;
  shape?: readonly [number, number];
  offsets?: DeviceBuffer;
}

/**
 * Fused logits loss on the GPU: log-softmax, entropy, token loss and ∂loss/∂logits, reading the
 * logits once. `inPlace` writes the gradient over the logits (no extra rows×vocab memory).
 */
export function cudaLogitsLoss(inputs: CudaLogitsLossInputs, options: CudaLossOptions & { temperature?: number; inPlace?: boolean } = {}) {
  const { vocab } = inputs;
  if (!Number.isInteger(vocab) || vocab < 1 || vocab > 262144) throw invalidArg(`vocab must be an integer in 1..262144; got ${vocab}`);
  if (inputs.logits.length % vocab !== 0) throw invalidArg(`logits has ${inputs.logits.length} elements, not a multiple of vocab ${vocab}`);
  const rows = inputs.logits.length / vocab;
  const bf16 = inputs.logits.dtype === 'bfloat16';
  if (!bf16 && inputs.logits.dtype !== 'float32') throw invalidArg(`logits must be float32 or bfloat16; got ${inputs.logits.dtype}`);
  const layout = layoutArg(rows, inputs.shape, inputs.offsets);
  // The kernel takes one advantage per row.
  const opts = cudaLogitsLossOptions('cudaLogitsLoss', options, lossContext(layout, inputs.offsets, options, inputs.advantages.length));
  if (opts.advantagesPer !== 'token' && rows !== layout.batch) {
    throw invalidArg(`advantages must be one per row (${rows}) on the GPU; got advantagesPer '${opts.advantagesPer}' with ${inputs.advantages.length} entries`);
  }
  const logp = DeviceBuffer.alloc(rows);
  const entropy = DeviceBuffer.alloc(rows);
  const grad = options.inPlace ? inputs.logits : DeviceBuffer.alloc(inputs.logits.length, inputs.logits.dtype);
  try {
    const metrics: CudaLossMetrics = callNative(() =>
      native.cuda.logitsLoss(
        inputs.logits.handle('logits'), bf16, rows, vocab, expect(inputs.labels, 'int32', 'labels', rows),
        expect(inputs.oldLogp, 'float32', 'oldLogp', rows), inputs.refLogp ? expect(inputs.refLogp, 'float32', 'refLogp', rows) : null,
        expect(inputs.advantages, 'float32', 'advantages', rows), inputs.mask ? expect(inputs.mask, 'float32', 'mask', rows) : null,
        layout, opts, logp.handle(), entropy.handle(), grad.handle(),
      ),
    );
    return { loss: metrics.loss, logp, entropy, gradLogits: grad, metrics };
  } catch (err) {
    logp.dispose();
    entropy.dispose();
    if (!options.inPlace) grad.dispose();
    throw err;
  }
}

/** Median kernel time in ms for synthetic device data (benchmarks/gpu). */
export function cudaBenchmark(op: 'ptr-advantages' | 'token-loss' | 'logits-bf16' | 'logits-fp32', a: number, b: number, repeats = 20): number {
  const ops = { 'ptr-advantages': 0, 'token-loss': 1, 'logits-bf16': 2, 'logits-fp32': 3 } as const;
  if (!(op in ops)) throw new EmotionThinkerError('ERR_INVALID_ARG', `unknown benchmark op ${op}`);
  return callNative(() => native.cuda.benchmark(ops[op], a, b, repeats));
}

// ---------------------------------------------------------------------------------------------
// Host arrays through the GPU (backend: 'cuda' on the host-array GRPO calls).

function f32(a: ArrayLike<number>): Float32Array {
  return a instanceof Float32Array ? a : Float32Array.from(a);
}

export function hostGroupAdvantagesOnCuda(rewards: ArrayLike<number>, groups: number | ArrayLike<number>, options: CudaAdvantageOptions): Float32Array {
  return withDeviceBuffers((track) => {
    const r = track(DeviceBuffer.from(f32(rewards)));
    let g: number | DeviceBuffer = groups as number;
    let maxSize: number | undefined;
    if (typeof groups !== 'number') {
      const off = Uint32Array.from(groups);
      maxSize = 0;
      for (let i = 1; i < off.length; i++) maxSize = Math.max(maxSize, off[i] - off[i - 1]);
      g = track(DeviceBuffer.from(off));
    }
    return track(cudaGroupAdvantages(r, g, { ...options, maxGroupSize: maxSize })).download() as Float32Array;
  });
}
