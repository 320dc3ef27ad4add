// Cancelling native async calls. Each long binding takes an optional trailing Int32Array on a
// SharedArrayBuffer (bindings/cancel.hpp); the native core polls it at chunk boundaries
// (native/common/cancel.hpp) and unwinds with code ERR_CANCELLED. Here the caller's AbortSignal
// sets that flag, and the call rejects with an AbortError as soon as the signal fires (the
// native work, no longer awaited, stops at its next chunk).
import { abortable, AbortError } from './abort.js';

/** The code a native run rejects with when its cancel flag stopped it (never seen by callers). */
export const NATIVE_CANCELLED = 'ERR_CANCELLED';

let cancelledRuns = 0;
let startedRuns = 0;
let runsInFlight = 0;

/**
 * @internal Native runs that stopped at a cancel check instead of running to the end (for
 * tests: proof that aborting stops the work, not only the promise).
 */
export function nativeCancelledRuns(): number {
  return cancelledRuns;
}

/**
 * @internal Native runs started under a signal, and those not yet settled (for tests: an abort
 * that must land inside a native run waits until one is running).
 */
export function nativeRunsUnderSignal(): { started: number; inFlight: number } {
  return { started: startedRuns, inFlight: runsInFlight };
}

/**
 * Runs `fn(flag)` (a native async call given the flag as its trailing argument) under `signal`.
 * Without a signal the flag is undefined and the call is as before. An already-aborted signal
 * rejects before the native call starts.
 */
export function withCancelFlag<T>(signal: AbortSignal | undefined, fn: (flag: Int32Array | undefined) => Promise<T>): Promise<T> {
  if (!signal) return fn(undefined);
  if (signal.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const work = fn(flag);
  startedRuns++;
  runsInFlight++;
  work.then(
    () => void runsInFlight--,
    (err: unknown) => {
      runsInFlight--;
      if ((err as { code?: unknown })?.code === NATIVE_CANCELLED) cancelledRuns++;
    },
  );
  return abortable(work, signal, () => Atomics.store(flag, 0, 1));
}
