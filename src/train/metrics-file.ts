// The training metrics file (--metrics, TrainOptions.metricsFile): one JSON line per step, in
// step order. A run killed after its last checkpoint has already streamed lines for the steps
// that a resume recomputes, so a resume first cuts the file back to its checkpoint's step;
// appending blindly left several lines per step (462 lines for 250 steps after 6 kills).
import { appendFileSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../atomic-file.js';
import { EmotionThinkerError } from '../errors.js';

const errno = (err: unknown) => (err as NodeJS.ErrnoException).code ?? String(err);

/**
 * Prepares `file` for a run that starts after step `fromStep` (0: a fresh run, which starts the
 * file empty). Lines for steps after `fromStep`, and a line torn by a kill mid-write, are
 * dropped; the file is rewritten atomically. A line that is not a metrics record (other than a
 * torn last one) means the file is not ours: ERR_FILE, the file untouched.
 */
export function startMetricsFile(file: string, fromStep: number): void {
  if (fromStep <= 0) {
    writeFileAtomic(file, '');
    return;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (errno(err) !== 'ENOENT') throw new EmotionThinkerError('ERR_FILE', `cannot read the metrics file (${errno(err)})`, { input: file, cause: err });
    text = '';
  }
  const lines = text.split('\n');
  const kept: string[] = [];
  let lastStep = 0;
  lines.forEach((line, i) => {
    if (!line) return;
    let step: unknown;
    try {
      step = (JSON.parse(line) as { step?: unknown }).step;
    } catch {
      step = undefined;
    }
    if (typeof step !== 'number' || !Number.isInteger(step)) {
      if (i === lines.length - 1) return; // torn by a kill mid-write: no final newline
      throw new EmotionThinkerError('ERR_FILE', `line ${i + 1} is not a training metrics record; not resuming into it`, { input: file });
    }
    // Steps after the checkpoint are recomputed; a repeat of an earlier step is a duplicate.
    if (step > fromStep || step <= lastStep) return;
    kept.push(line);
    lastStep = step;
  });
  const next = kept.map((l) => l + '\n').join('');
  if (next !== text) writeFileAtomic(file, next);
}

/** Appends one step's metrics as a whole line. */
export function appendMetricsLine(file: string, metrics: object): void {
  try {
    appendFileSync(file, JSON.stringify(metrics) + '\n');
  } catch (err) {
    throw new EmotionThinkerError('ERR_FILE', `cannot append to the metrics file (${errno(err)})`, { input: file, cause: err });
  }
}
