// The CUDA backend of the host-array GRPO calls (`backend: 'cuda'`): the same signatures as the
// native CPU entry points (native.grpo*), so src/grpo/*.ts validate once and then pick one.
// Inputs are uploaded as float32, computed by the CUDA kernels, and the results downloaded into
// the caller's output arrays.
import { native, type RawAdvantageOptions, type RawLogitsLossInputs, type RawLossMetrics, type RawLossOptions, type RawPtrOptions, type RawTokenLossInputs } from '../native.js';
import { callNative } from '../errors.js';
import { DeviceBuffer, withDeviceBuffers } from '../device-buffer.js';
import type { RawDeviceGroups, RawDeviceLayout } from '../native.js';

const f32 = (a: ArrayLike<number>) => (a instanceof Float32Array ? a : Float32Array.from(a));

function groups(track: (b: DeviceBuffer) => DeviceBuffer, offsets: Uint32Array | null, size: number): RawDeviceGroups {
  if (!offsets) return { size };
  let maxSize = 0;
  for (let i = 1; i < offsets.length; i++) maxSize = Math.max(maxSize, offsets[i] - offsets[i - 1]);
  return { offsets: track(DeviceBuffer.from(offsets)).handle(), count: offsets.length - 1, maxSize };
}

function layout(track: (b: DeviceBuffer) => DeviceBuffer, l: { offsets?: Uint32Array | null; batch?: number; length?: number }, tokens: number): RawDeviceLayout {
  if (l.offsets) return { offsets: track(DeviceBuffer.from(l.offsets)).handle(), batch: l.offsets.length - 1, length: 0, tokens };
  return { batch: l.batch ?? 1, length: l.length ?? tokens, tokens };
}

function upload(track: (b: DeviceBuffer) => DeviceBuffer, a: ArrayLike<number> | null | undefined) {
  return a ? track(DeviceBuffer.from(f32(a))).handle() : null;
}

/** The grpo* entry points for host arrays, run on CUDA (the name says: host arrays, CUDA kernels). */
export const cudaHost = {
  grpoAdvantages<T extends Float32Array | Float64Array>(rewards: T, offsets: Uint32Array | null, groupSize: number, out: T, opts: RawAdvantageOptions): void {
    withDeviceBuffers((track) => {
      const res = track(DeviceBuffer.alloc(rewards.length));
      callNative(() => native.cuda.groupAdvantages(upload(track, rewards)!, rewards.length, groups(track, offsets, groupSize), opts, res.handle()));
      out.set(res.download() as Float32Array);
    });
  },

  grpoPtrRewards(
    correct: Float64Array, format: Float64Array, judge: Float64Array, offsets: Uint32Array | null, groupSize: number,
    opts: RawPtrOptions, reasoningOut: Float64Array, trustOut: Float64Array, rewardOut: Float64Array,
  ): void {
    withDeviceBuffers((track) => {
      const n = correct.length;
      const [rs, tr, rw, adv] = [n, trustOut.length, n, n].map((len) => track(DeviceBuffer.alloc(len)));
      callNative(() =>
        native.cuda.ptrAdvantages(
          upload(track, correct)!, upload(track, format)!, upload(track, judge)!, n, groups(track, offsets, groupSize),
          // The advantages computed alongside are not returned: the table's default options.
          opts, {}, rs.handle(), tr.handle(), rw.handle(), adv.handle(),
        ),
      );
      reasoningOut.set(rs.download() as Float32Array);
      trustOut.set(tr.download() as Float32Array);
      rewardOut.set(rw.download() as Float32Array);
    });
  },

  grpoTokenLoss<T extends Float32Array | Float64Array>(inputs: RawTokenLossInputs<T>, opts: RawLossOptions, gradOut: T | null): RawLossMetrics {
    return withDeviceBuffers((track) => {
      const T = inputs.logp.length;
      const grad = track(DeviceBuffer.alloc(T));
      const mask = inputs.mask ? Float32Array.from(inputs.mask as ArrayLike<number>, (v) => (inputs.mask instanceof Uint8Array ? (v ? 1 : 0) : v)) : null;
      const m = callNative(() =>
        native.cuda.tokenLoss(
          upload(track, inputs.logp)!, upload(track, inputs.oldLogp)!, upload(track, inputs.refLogp), upload(track, inputs.advantages as ArrayLike<number>)!,
          inputs.advPerToken, upload(track, mask), layout(track, inputs, T), opts, grad.handle(),
        ),
      );
      if (gradOut) gradOut.set(grad.download() as Float32Array);
      return m;
    });
  },

  grpoLogitsLoss(
    inputs: RawLogitsLossInputs, opts: RawLossOptions, logpOut: Float64Array, entropyOut: Float64Array,
    gradOut: Float32Array | Float64Array | Uint16Array | null,
  ): RawLossMetrics {
    return withDeviceBuffers((track) => {
      const N = inputs.labels.length;
      const bf16 = inputs.logits instanceof Uint16Array;
      const z = track(bf16 ? DeviceBuffer.from(inputs.logits as Uint16Array) : DeviceBuffer.from(f32(inputs.logits)));
      // The kernel takes one advantage per row: spread per-sequence advantages over their rows.
      let adv = inputs.advantages;
      if (!inputs.advPerToken) {
        adv = new Float64Array(N);
        const L = layout(() => undefined as never, { batch: inputs.batch, length: inputs.length }, N);
        for (let b = 0, r = 0; b < inputs.advantages.length; b++) {
          const end = inputs.offsets ? inputs.offsets[b + 1] : (b + 1) * L.length;
          for (; r < end; r++) adv[r] = inputs.advantages[b];
        }
      }
      const [lp, ent] = [track(DeviceBuffer.alloc(N)), track(DeviceBuffer.alloc(N))];
      const m = callNative(() =>
        native.cuda.logitsLoss(
          z.handle(), bf16, N, inputs.vocab, track(DeviceBuffer.from(inputs.labels)).handle(), upload(track, inputs.oldLogp)!,
          upload(track, inputs.refLogp), upload(track, adv)!, upload(track, inputs.mask), layout(track, inputs, N), opts,
          lp.handle(), ent.handle(), gradOut ? z.handle() : null,
        ),
      );
      logpOut.set(lp.download() as Float32Array);
      entropyOut.set(ent.download() as Float32Array);
      if (gradOut) {
        const g = z.download();
        if (gradOut instanceof Uint16Array || gradOut instanceof Float32Array) gradOut.set(g as Uint16Array & Float32Array);
        else gradOut.set(g as Float32Array);
      }
      return m;
    });
  },
};
