// Ctrl-C for the command line: the first SIGINT aborts one AbortController whose signal every
// long call of the running command gets, so the command stops cleanly (native work stops at its
// next chunk, workers are ended, annotate keeps the whole lines it wrote) and the process exits
// with 130, the shell's code for "ended by SIGINT". A second SIGINT exits at once.
import { setMaxListeners } from 'node:events';
import { AbortError } from '../abort.js';

/** Exit code of a command stopped by SIGINT (128 + signal 2). */
export const EXIT_INTERRUPTED = 130;

export interface Interrupt {
  /** Aborted on the first SIGINT. */
  readonly signal: AbortSignal;
  /** Stops listening (the process then ends as usual on SIGINT). */
  dispose(): void;
}

/** Listens for SIGINT until dispose(). */
export function watchInterrupt(): Interrupt {
  const controller = new AbortController();
  // Every call in flight (annotate runs many at once) listens on this one signal.
  setMaxListeners(0, controller.signal);
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    process.exitCode = EXIT_INTERRUPTED;
    controller.abort(new AbortError('interrupted (SIGINT)'));
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}

/** True for the rejection of a call that the interrupt aborted. */
export function isAbortError(err: unknown): boolean {
  return (err as Error | null)?.name === 'AbortError';
}
