// Per-run progressive-gate state that survives a restart. The store is one JSON file written
// through src/atomic-file.ts (temporary file + fsync + rename): it needs nothing installed or
// downloaded, one server process is its only writer, and a kill mid-write leaves the previous
// state whole. Writes are coalesced (at most one per SERVE_DEFAULTS.stateFlushMs) and flushed at
// shutdown, so a hard kill loses at most the last interval's updates, never the file.
import { readFileSync } from 'node:fs';
import { checkOutputWritable, writeFileAtomic } from '../atomic-file.js';
import { EmotionThinkerError } from '../errors.js';
import { ProgressiveGate, type ProgressiveGateState } from '../grpo.js';
import { SERVE_DEFAULTS } from './options.js';

/** One run's gate plus the training step it is collecting accuracies for. */
export interface RunState {
  gate: ProgressiveGate;
  /** The step whose groups are being collected (null: every request is a step of its own). */
  step: number | null;
  correct: number;
  total: number;
}

interface FileShape {
  format: 'emotionthinker-gates';
  version: 1;
  runs: Record<string, { gate: ProgressiveGateState; step: number | null; correct: number; total: number }>;
}

export class GateStore {
  readonly file: string | undefined;
  readonly #gateOptions: { threshold?: number; window?: number; openAtStep?: number | null };
  readonly #runs = new Map<string, RunState>();
  #timer: NodeJS.Timeout | null = null;
  #dirty = false;

  constructor(file: string | undefined, gateOptions: { threshold?: number; window?: number; openAtStep?: number | null } = {}) {
    this.file = file;
    this.#gateOptions = gateOptions;
    // Validates the options now, not at the first request.
    new ProgressiveGate(gateOptions);
    if (file) {
      this.#load(file);
      // A state file that cannot be written (missing or read-only directory) fails the start,
      // not the first gate write (which was uncaught and ended the server).
      checkOutputWritable(file);
    }
  }

  #load(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new EmotionThinkerError('ERR_FILE', `cannot read the gate state (${(err as NodeJS.ErrnoException).code})`, { input: file, cause: err });
    }
    let data: FileShape;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new EmotionThinkerError('ERR_MODEL_FORMAT', `the gate state is not JSON (${(err as Error).message})`, { input: file, cause: err });
    }
    if (data?.format !== 'emotionthinker-gates' || data.version !== 1 || typeof data.runs !== 'object' || data.runs === null) {
      throw new EmotionThinkerError('ERR_MODEL_FORMAT', 'not an emotionthinker gate state file (format "emotionthinker-gates", version 1)', { input: file });
    }
    for (const [run, r] of Object.entries(data.runs)) {
      try {
        const ok = (r.step === null || Number.isInteger(r.step)) && Number.isInteger(r.correct) && Number.isInteger(r.total) && r.correct >= 0 && r.correct <= r.total;
        if (!ok) throw new Error('step, correct and total must be integers with 0 <= correct <= total');
        this.#runs.set(run, { gate: ProgressiveGate.fromJSON(r.gate), step: r.step, correct: r.correct, total: r.total });
      } catch (err) {
        throw new EmotionThinkerError('ERR_MODEL_FORMAT', `run "${run}": ${(err as Error).message}`, { input: file, cause: err });
      }
    }
  }

  get runs(): number {
    return this.#runs.size;
  }

  run(name: string): RunState {
    let r = this.#runs.get(name);
    if (!r) {
      r = { gate: new ProgressiveGate(this.#gateOptions), step: null, correct: 0, total: 0 };
      this.#runs.set(name, r);
    }
    return r;
  }

  /**
   * Records one group's outcomes. With `step`, groups of the same step are pooled and the gate
   * advances when a later step arrives; without, each group is a step. Returns whether the
   * reasoning term is on for this group (the gate as it stood before this group's own step).
   */
  record(name: string, step: number | null, correct: number, total: number): boolean {
    const r = this.run(name);
    let open = r.gate.open;
    if (step === null) {
      if (total > 0) r.gate.update(correct / total);
    } else {
      // A later step closes the one collected so far: its pooled accuracy advances the gate first.
      if (r.step !== null && step > r.step && r.total > 0) {
        r.gate.update(r.correct / r.total);
        r.correct = 0;
        r.total = 0;
        open = r.gate.open;
      }
      if (r.step === null || step >= r.step) r.step = step;
      r.correct += correct;
      r.total += total;
    }
    this.#touch();
    return open;
  }

  #touch(): void {
    if (!this.file) return;
    this.#dirty = true;
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      try {
        this.flush();
      } catch (err) {
        // A full disk or a directory gone read-only: the gates live on in memory, the write is
        // retried at the next change and at shutdown, and the server keeps answering.
        this.#dirty = true;
        process.emitWarning(`gate state not saved: ${(err as Error).message}; retrying at the next change`, { code: 'EMOTIONTHINKER_STATE_WRITE' });
      }
    }, SERVE_DEFAULTS.stateFlushMs);
  }

  /** Writes the state now if anything changed. */
  flush(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (!this.file || !this.#dirty) return;
    this.#dirty = false;
    // No prototype: a run named "__proto__" is a key like any other (on {} it set the prototype
    // and the run was never written).
    const runs: FileShape['runs'] = Object.create(null);
    for (const [k, r] of this.#runs) runs[k] = { gate: r.gate.toJSON(), step: r.step, correct: r.correct, total: r.total };
    writeFileAtomic(this.file, JSON.stringify({ format: 'emotionthinker-gates', version: 1, runs } satisfies FileShape));
  }
}
