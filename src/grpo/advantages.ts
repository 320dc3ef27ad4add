// Group-relative advantages (docs/formulas.md#grpo-and-grpo-ptr) on the CPU core or the GPU.
import { native } from '../native.js';
import { awaitNative, callNative } from '../errors.js';
import { cudaHost } from './cuda-backend.js';
import { fail, resolveAdvantageOptions } from '../grpo-options.js';
import { groupsArg, optionsObject, ownForAsync, pickImpl, runAbortable, toFloat64, type CommonOptions, type FloatArray, type GrpoAsyncOptions, type Groups, type RealArray } from './common.js';

export type AdvantageMode = 'grpo' | 'dr_grpo' | 'rloo';

export interface GroupAdvantagesOptions extends CommonOptions {
  /** 'grpo': (r − mean)/(std + eps); 'dr_grpo': r − mean; 'rloo': r − mean of the others. Defaults and ranges of every GRPO option: grpoOptionSpecs (native/grpo/options.hpp). */
  mode?: AdvantageMode;
  /** Standard deviation of 'grpo': 'unbiased' (n − 1, as verl and TRL) or 'population'. */
  std?: 'unbiased' | 'population';
  /** Added to the std, outside the square root. */
  eps?: number;
  /** A group with one (valid) reward: advantage 0 ('zero') or the reward itself ('raw'). */
  singleton?: 'zero' | 'raw';
  /** Write into this array (same type and length as the rewards) instead of a new one. */
  out?: FloatArray;
}

/** The options groupAdvantages passes to its implementation, CPU or CUDA (exported for the option-parity test). */
export function groupAdvantagesOptions(fn: string, options: GroupAdvantagesOptions | undefined) {
  const { backend: _b, out: _o, ...o } = options ?? {};
  return resolveAdvantageOptions(fn, o);
}

function advArgs(fn: string, rewards: unknown, groups: unknown, options: GroupAdvantagesOptions | undefined) {
  const o = optionsObject(fn, options);
  const impl = pickImpl(o);
  let r: FloatArray;
  if (rewards instanceof Float32Array || rewards instanceof Float64Array) r = rewards;
  else if (Array.isArray(rewards)) r = toFloat64(fn, 'rewards', rewards);
  else fail(fn, 'rewards', rewards, 'a Float32Array, Float64Array or array of numbers');
  if (r.length === 0) fail(fn, 'rewards', rewards, 'non-empty (an empty batch has no groups)');
  const g = groupsArg(fn, groups);
  const raw = groupAdvantagesOptions(fn, o);
  let out: FloatArray;
  if (o.out !== undefined) {
    if (!(o.out instanceof Float32Array || o.out instanceof Float64Array) || o.out.constructor !== r.constructor || o.out.length !== r.length) {
      fail(fn, 'option out', o.out, `a ${r.constructor.name} of length ${r.length} (the rewards' type and length)`);
    }
    out = o.out;
  } else {
    out = r instanceof Float32Array ? new Float32Array(r.length) : new Float64Array(r.length);
  }
  return { r, g, raw, out, impl };
}

/**
 * Group-relative advantages, one per response. `groups` is a fixed group size or ragged offsets.
 * Statistics accumulate in float64. A group whose rewards are all equal gets exactly 0; a NaN
 * reward gets 0 and is left out of its group's statistics; ±Inf rewards are an error. Rewards
 * near ±1e308 are handled (statistics on an exact power-of-two rescaling); an advantage beyond
 * the output type's range (rloo of 1.7e308 and −1.7e308) is ERR_INVALID_ARG naming the reward.
 * Float32Array rewards give a Float32Array, anything else a Float64Array.
 */
export function groupAdvantages(rewards: Float32Array, groups: Groups, options?: GroupAdvantagesOptions): Float32Array;
export function groupAdvantages(rewards: Float64Array | readonly number[], groups: Groups, options?: GroupAdvantagesOptions): Float64Array;
export function groupAdvantages(rewards: RealArray, groups: Groups, options?: GroupAdvantagesOptions): FloatArray;
export function groupAdvantages(rewards: RealArray, groups: Groups, options?: GroupAdvantagesOptions): FloatArray {
  const { r, g, raw, out, impl } = advArgs('groupAdvantages', rewards, groups, options);
  callNative(() => impl.grpoAdvantages(r, g.offsets, g.size, out, raw));
  return out;
}

/** groupAdvantages on the thread pool: the event loop keeps running. */
export function groupAdvantagesAsync(rewards: Float32Array, groups: Groups, options?: GroupAdvantagesOptions & GrpoAsyncOptions): Promise<Float32Array>;
export function groupAdvantagesAsync(rewards: Float64Array | readonly number[], groups: Groups, options?: GroupAdvantagesOptions & GrpoAsyncOptions): Promise<Float64Array>;
export function groupAdvantagesAsync(rewards: RealArray, groups: Groups, options?: GroupAdvantagesOptions & GrpoAsyncOptions): Promise<FloatArray>;
export async function groupAdvantagesAsync(rewards: RealArray, groups: Groups, options?: GroupAdvantagesOptions & GrpoAsyncOptions): Promise<FloatArray> {
  const fn = 'groupAdvantagesAsync';
  return runAbortable(fn, options, async () => {
    const { r, g, raw, out, impl } = advArgs(fn, rewards, groups, options);
    // The GPU path is a few short kernels between copies: it runs in place of the thread pool.
    if (impl === cudaHost) callNative(() => impl.grpoAdvantages(r, g.offsets, g.size, out, raw));
    else {
      const v = { rewards: r, offsets: g.offsets, out };
      const pending = ownForAsync(fn, v, [rewards, groups, options?.out], [options?.out], options?.signal);
      const owned = pending instanceof Promise ? await pending : pending;
      await awaitNative(() => native.grpoAdvantagesAsync(v.rewards, v.offsets, g.size, out, raw, owned));
    }
    return out;
  });
}
