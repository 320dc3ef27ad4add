// Private copies of large caller arrays, made in slices between turns of the event loop.
//
// An async binding must not read a caller's array from a worker thread (the caller can detach or
// shrink its buffer meanwhile, bindings/input_copies.hpp), so it copies the array before queueing the
// work. That copy runs on the main thread in one piece: for a 10-minute 48 kHz stereo input
// (230 MB of samples) it held the loop for ~50 ms here and ~480 ms on a loaded CI machine, where
// the page faults of the fresh memory dominate. Large arrays are copied here instead, a slice
// per turn of the loop, and the binding is told the copy is private (no second copy).
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { throwIfAborted } from './abort.js';
import { invalidArg } from './errors.js';

/** Bytes copied per turn of the event loop (about a millisecond of memcpy plus page faults). */
export const COPY_SLICE_BYTES = 4 << 20;

type Copyable = Uint8Array | Float32Array | Float64Array | Uint16Array | Int32Array | Uint32Array;

/** A zeroed array of `view`'s plain type (never a subclass: a Buffer's constructor takes other arguments). */
function plainLike<T extends Copyable>(view: T, n: number): T {
  if (view instanceof Float32Array) return new Float32Array(n) as T;
  if (view instanceof Float64Array) return new Float64Array(n) as T;
  if (view instanceof Uint16Array) return new Uint16Array(n) as T;
  if (view instanceof Int32Array) return new Int32Array(n) as T;
  if (view instanceof Uint32Array) return new Uint32Array(n) as T;
  return new Uint8Array(n) as T;
}

/**
 * `view` itself when the binding's one-piece copy is short (at most one slice) or not needed (a
 * SharedArrayBuffer, which the binding reads in place); otherwise a promise of a private copy
 * made over several turns of the loop. `private` says which, for the binding's inputsPrivate
 * argument. Callers await only a promise: a short input must reach the binding in the same
 * synchronous call (before the caller's next statement can detach it), as it did before.
 * A caller that detaches or resizes the buffer during the copy gets ERR_INVALID_ARG naming `what`.
 */
export function ownInput<T extends Copyable>(view: T, what: string, signal?: AbortSignal): Owned<T> | Promise<Owned<T>> {
  if (view.byteLength <= COPY_SLICE_BYTES || view.buffer instanceof SharedArrayBuffer) return { data: view, private: false };
  return copyInSlices(view, what, signal);
}

/** A private copy of `view`, made now (for short arrays). */
export function copyNow<T extends Copyable>(view: T): T {
  const copy = plainLike(view, view.length);
  // A detached view has length 0, and set() from it throws: its copy is the empty array.
  if (view.length > 0) copy.set(view);
  return copy;
}

/**
 * A caller's array of at most one slice, copied now: an async call takes it before its first
 * await, so the caller may reuse, transfer or shrink the array as soon as the call returns (the
 * README's promise; extractProsody, extractF0 and detectSpeech read a bare Float32Array only after
 * an await, and saw what the caller wrote there next). Larger arrays and SharedArrayBuffer views
 * come back as they are: those must not change until the promise settles.
 */
export function snapshotIfSmall<T extends Copyable>(view: T): T {
  return view.byteLength <= COPY_SLICE_BYTES && !(view.buffer instanceof SharedArrayBuffer) ? copyNow(view) : view;
}

/**
 * snapshotIfSmall of an audio input's samples: a bare Float32Array or the samples of
 * {samples, sampleRate, ...}; paths and file bytes come back as they are (their readers copy).
 */
export function snapshotAudio<T>(audio: T): T {
  if (audio instanceof Float32Array) return snapshotIfSmall(audio) as T;
  const o = audio as { samples?: unknown } | null;
  if (o && typeof o === 'object' && !(o instanceof Uint8Array) && o.samples instanceof Float32Array) return { ...o, samples: snapshotIfSmall(o.samples) } as T;
  return audio;
}

export interface Owned<T> {
  data: T;
  private: boolean;
}

async function copyInSlices<T extends Copyable>(view: T, what: string, signal: AbortSignal | undefined): Promise<Owned<T>> {
  const n = view.length;
  const copy = plainLike(view, n);
  const step = COPY_SLICE_BYTES / view.BYTES_PER_ELEMENT;
  for (let start = 0; start < n; start += step) {
    if (start > 0) {
      await yieldToLoop();
      throwIfAborted(signal);
    }
    if (view.length !== n) {
      throw invalidArg(`${what} was detached or resized while it was being copied (length ${n}, now ${view.length}); keep it unchanged until the call settles`);
    }
    copy.set(view.subarray(start, Math.min(n, start + step)), start);
  }
  return { data: copy, private: true };
}
