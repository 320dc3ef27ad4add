// Cancellation shared by every long public async call. The convention follows Node's own APIs
// (fs.readFile, timers/promises): an aborted call rejects with an Error whose `name` is
// 'AbortError' and `code` is 'ABORT_ERR', with the signal's reason as `cause`, so callers can
// tell "I cancelled this" from a failure without importing anything from this package.
import { setMaxListeners } from 'node:events';
import { invalidArg } from './errors.js';

export class AbortError extends Error {
  readonly code = 'ABORT_ERR';
  constructor(message = 'The operation was aborted', options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'AbortError';
  }
}

/** Checks that an option is an AbortSignal (or absent); `where` names the call for the message. */
export function checkSignal(signal: unknown, where: string): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) {
    throw invalidArg(`${where}: options.signal must be an AbortSignal, got ${signal === null ? 'null' : typeof signal}`);
  }
  return signal;
}

/** Throws an AbortError when the signal has already been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
}

/**
 * Settles with `work`, or rejects with an AbortError as soon as `signal` aborts, whichever comes
 * first. `onAbort` runs once on abort (stop native work, terminate a worker); the work's own
 * later settlement is then ignored (its rejection is swallowed so it is never unhandled).
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined, onAbort?: () => void): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => {});
    onAbort?.();
    return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      work.catch(() => {});
      try {
        onAbort?.();
      } finally {
        reject(new AbortError(undefined, { cause: signal.reason }));
      }
    };
    signal.addEventListener('abort', abort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', abort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', abort);
        reject(e);
      },
    );
  });
}

/**
 * A signal of our own that follows `signal`, for fanning one caller's signal out to many calls
 * in flight (a batch): each call adds its abort listener here, not to the caller's signal, where
 * more than ten would trip Node's MaxListenersExceededWarning. Call done() when the fan-out ends.
 */
export function fanOutSignal(signal: AbortSignal | undefined): { signal: AbortSignal | undefined; done(): void } {
  if (!signal) return { signal: undefined, done() {} };
  const own = new AbortController();
  setMaxListeners(0, own.signal);
  const follow = () => own.abort(signal.reason);
  if (signal.aborted) follow();
  else signal.addEventListener('abort', follow, { once: true });
  return { signal: own.signal, done: () => signal.removeEventListener('abort', follow) };
}
