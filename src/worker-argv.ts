// Every worker thread of the package starts through here. An eval worker inherits the parent's
// execArgv by default, so a parent started with `node --input-type=module` would make the
// worker parse its (CommonJS) source as an ES module ("require is not defined in ES module
// scope"); --eval, --print, --require and loader flags would leak in the same way. The workers
// need none of the parent's flags, so they start with none.
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { permissionDenied } from './platform.js';

/** Starts an eval worker running `source`, with no inherited Node flags. */
export function startEvalWorker(source: string, options: Omit<WorkerOptions, 'eval' | 'execArgv'> = {}): Worker {
  try {
    return new Worker(source, { ...options, eval: true, execArgv: [] });
  } catch (err) {
    throw permissionDenied(err, 'worker') ?? err;
  }
}
