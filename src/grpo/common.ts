// What the GRPO calls share: the array and group types, the async options, the choice of CPU or
// CUDA implementation and the conversions of caller arrays, each failing with a message that
// names the call, the field, the value and what was expected (ERR_INVALID_ARG).
import { native } from '../native.js';
import { resolveBackend, type Backend } from '../backend.js';
import { cudaHost } from './cuda-backend.js';
import { abortable, checkSignal, throwIfAborted } from '../abort.js';
import { fail } from '../grpo-options.js';
import { invalidArg } from '../errors.js';
import { COPY_SLICE_BYTES, copyNow, ownInput } from '../copy-off-loop.js';

/** A fixed group size, or ragged group offsets (K+1 entries: group k is offsets[k]..offsets[k+1]). */
export type Groups = number | Uint32Array | Int32Array | readonly number[];
export type RealArray = Float32Array | Float64Array | readonly number[];
export type FloatArray = Float32Array | Float64Array;

export interface CommonOptions {
  /** 'cuda' runs the call on the GPU (upload, compute, download); 'auto' and 'cpu' use the CPU. */
  backend?: Backend;
  /** Worker threads for large inputs (default: all cores). */
  threads?: number;
}

/** Options of the *Async calls. */
export interface GrpoAsyncOptions {
  /**
   * Cancels the call: an aborted signal rejects the promise with an AbortError (name
   * 'AbortError', code 'ABORT_ERR') at once. Native work already started finishes in the
   * background and its result is discarded; output arrays (out, gradOut, inPlace logits) may
   * still be written by it.
   */
  signal?: AbortSignal;
}

/**
 * Runs an async native call under an optional AbortSignal: rejects at once when the signal is
 * already aborted (before any work starts), and as soon as it aborts while the call runs.
 */
export async function runAbortable<T>(fn: string, options: unknown, work: () => Promise<T>): Promise<T> {
  const signal = checkSignal(typeof options === 'object' && options !== null ? (options as GrpoAsyncOptions).signal : undefined, fn);
  throwIfAborted(signal);
  return abortable(work(), signal);
}

type Owned = Float32Array | Float64Array | Uint16Array | Uint8Array | Int32Array | Uint32Array;

/**
 * Before an async native call: which of the arrays handed to the binding the package owns, so
 * the binding uses them in place instead of copying each on the main thread in one piece (it
 * copies every caller array, and copies outputs back, because the caller could detach or resize
 * them while the worker runs). Owned are the arrays made here (conversions, outputs allocated
 * here) and, when a caller input is larger than one copy slice, private copies of the caller's
 * inputs: the large ones taken a slice per turn of the event loop (copy-off-loop.ts; a 1 GB
 * logits array held the loop ~0.5 s as one copy), the small ones at once, in the call, so that
 * nothing the caller does during those turns reaches them. Without a large input the answer is
 * synchronous: the call reaches the binding in the caller's own turn, as before.
 * `views` maps the binding's names to the arrays; copied inputs replace their entries. Caller
 * arrays in `keep` (outputs, inPlace logits) are never replaced: the binding copies and writes
 * them back as before. Arrays on a SharedArrayBuffer are read in place by the binding anyway.
 */
export function ownForAsync(
  fn: string,
  views: Record<string, Owned | null | undefined>,
  callerArrays: readonly unknown[],
  keep: readonly unknown[],
  signal: AbortSignal | undefined,
): string[] | Promise<string[]> {
  const owned: string[] = [];
  const callers: [string, Owned][] = [];
  for (const [name, v] of Object.entries(views)) {
    if (!v || v.buffer instanceof SharedArrayBuffer) continue;
    if (!callerArrays.includes(v)) owned.push(name);
    else if (!keep.includes(v)) callers.push([name, v]);
  }
  if (!callers.some(([, v]) => v.byteLength > COPY_SLICE_BYTES)) return owned;
  const large: [string, Owned, number][] = [];
  for (const [name, v] of callers) {
    if (v.byteLength > COPY_SLICE_BYTES) large.push([name, v, v.length]);
    else {
      views[name] = copyNow(v);
      owned.push(name);
    }
  }
  return (async () => {
    for (const [name, v, n] of large) {
      // Detached or resized during an earlier copy's turns: ownInput would see an empty array.
      if (v.length !== n) {
        throw invalidArg(`${fn}: ${name} was detached or resized while the inputs were being copied (length ${n}, now ${v.length}); keep it unchanged until the call settles`);
      }
      const r = ownInput(v, `${fn}: ${name}`, signal);
      views[name] = (r instanceof Promise ? await r : r).data;
      owned.push(name);
    }
    return owned;
  })();
}

export function optNumber(fn: string, field: string, value: unknown, dflt: number, check: (v: number) => boolean, expected: string): number {
  if (value === undefined) return dflt;
  if (typeof value !== 'number' || !Number.isFinite(value) || !check(value)) fail(fn, field, value, expected);
  return value;
}

export function optionsObject<T extends object>(fn: string, options: T | undefined): Partial<T> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) fail(fn, 'options', options, 'an object');
  return options;
}

/**
 * The implementation for a call: the CPU core, or with `backend: 'cuda'` the GPU (host arrays are
 * uploaded, computed and downloaded; ERR_BACKEND_UNAVAILABLE when there is no GPU). 'auto' keeps
 * host arrays on the CPU: for them the transfers cost more than the kernels save, and the CPU
 * path computes in float64 where its inputs are float64. DeviceBuffers use the cuda* functions.
 */
export function pickImpl(options: CommonOptions): Pick<typeof native, 'grpoAdvantages' | 'grpoPtrRewards' | 'grpoTokenLoss' | 'grpoLogitsLoss'> {
  return options.backend === 'cuda' && resolveBackend('cuda', true) === 'cuda' ? cudaHost : (resolveBackend(options.backend, false), native);
}

/**
 * A new typed array for a copy of `value`. A sparse array can claim a length (up to 2^32 − 1) that
 * cannot be allocated: that is a bad argument, not a RangeError from the engine.
 */
export function allocFor<A>(fn: string, field: string, value: readonly unknown[], Ctor: new (n: number) => A): A {
  try {
    return new Ctor(value.length);
  } catch (err) {
    if (err instanceof RangeError) fail(fn, field, value, 'an array that fits in memory as a typed array');
    throw err;
  }
}

export function toFloat64(fn: string, field: string, value: unknown): Float64Array {
  if (value instanceof Float64Array) return value;
  if (value instanceof Float32Array) return new Float64Array(value);
  if (Array.isArray(value)) {
    const out = allocFor(fn, field, value, Float64Array);
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (typeof v === 'number') out[i] = v;
      else if (typeof v === 'boolean') out[i] = v ? 1 : 0;
      else fail(fn, `${field}[${i}]`, v, 'a number');
    }
    return out;
  }
  if (value instanceof Uint8Array || value instanceof Int32Array || value instanceof Uint32Array) return Float64Array.from(value);
  return fail(fn, field, value, 'a Float64Array, Float32Array or array of numbers');
}

export function toUint32(fn: string, field: string, value: unknown): Uint32Array {
  if (value instanceof Uint32Array) return value;
  if (value instanceof Int32Array || Array.isArray(value)) {
    const out = Array.isArray(value) ? allocFor(fn, field, value, Uint32Array) : new Uint32Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const v = value[i] as unknown;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
        fail(fn, `${field}[${i}]`, v, 'a non-negative integer offset');
      }
      out[i] = v;
    }
    return out;
  }
  return fail(fn, field, value, 'a Uint32Array, Int32Array or array of integers');
}

export function groupsArg(fn: string, groups: unknown): { offsets: Uint32Array | null; size: number } {
  if (typeof groups === 'number') {
    if (!Number.isInteger(groups) || groups < 1) fail(fn, 'groups', groups, 'a positive integer group size or an offsets array');
    return { offsets: null, size: groups };
  }
  if (groups instanceof Uint32Array || groups instanceof Int32Array || Array.isArray(groups)) {
    const offsets = toUint32(fn, 'groups', groups);
    if (offsets.length < 2) fail(fn, 'groups', groups, 'offsets with at least 2 entries (0 and the total)');
    return { offsets, size: 0 };
  }
  return fail(fn, 'groups', groups, 'a positive integer group size or an offsets array (Uint32Array, Int32Array or number[])');
}
