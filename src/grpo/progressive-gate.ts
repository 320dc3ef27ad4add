// The progressive schedule of GRPO-PTR (when the reasoning reward switches on) and its
// checkpoint form. Its options are owned here: the gate is TypeScript only.
import { invalidArg } from '../errors.js';
import { fail } from '../grpo-options.js';
import { optNumber, optionsObject } from './common.js';

export interface ProgressiveGateOptions {
  /** Moving-mean batch accuracy at which the reasoning reward switches on (default 0.5). */
  threshold?: number;
  /** Number of most recent steps in the moving mean (default 20). */
  window?: number;
  /** Steps recorded before the moving mean may open the gate (default: `window`). */
  minSteps?: number;
  /** Open at this step whatever the accuracy (default: never). */
  openAtStep?: number | null;
}

/** The serialised form of a ProgressiveGate, for checkpoints. */
export interface ProgressiveGateState {
  version: 1;
  threshold: number;
  window: number;
  minSteps: number;
  openAtStep: number | null;
  step: number;
  open: boolean;
  openedAtStep: number | null;
  /** The last `window` batch accuracies, oldest first. */
  history: number[];
}

/**
 * The progressive schedule of GRPO-PTR: the reasoning reward stays off until the moving mean of
 * batch accuracy over the last `window` steps reaches `threshold` (after at least `minSteps`
 * steps) or step `openAtStep` is reached; once open it stays open. Call `update(accuracy)` once
 * per training step; `step` counts the calls.
 */
export class ProgressiveGate {
  readonly threshold: number;
  readonly window: number;
  readonly minSteps: number;
  readonly openAtStep: number | null;
  #step = 0;
  #open = false;
  #openedAtStep: number | null = null;
  #history: number[] = [];

  constructor(options: ProgressiveGateOptions = {}) {
    const fn = 'ProgressiveGate';
    const o = optionsObject(fn, options);
    this.threshold = optNumber(fn, 'option threshold', o.threshold, 0.5, (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
    this.window = optNumber(fn, 'option window', o.window, 20, (v) => Number.isInteger(v) && v >= 1, 'a positive integer');
    this.minSteps = optNumber(fn, 'option minSteps', o.minSteps, this.window, (v) => Number.isInteger(v) && v >= 1, 'a positive integer');
    if (o.openAtStep === undefined || o.openAtStep === null) this.openAtStep = null;
    else this.openAtStep = optNumber(fn, 'option openAtStep', o.openAtStep, 0, (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer or null');
    if (this.openAtStep === 0) this.#openNow();
  }

  /** Whether the reasoning reward is on. */
  get open(): boolean {
    return this.#open;
  }

  /** Steps recorded so far. */
  get step(): number {
    return this.#step;
  }

  /** The step at which the gate opened, or null. */
  get openedAtStep(): number | null {
    return this.#openedAtStep;
  }

  /** Moving mean of the recorded accuracies (null before the first step). */
  get movingAccuracy(): number | null {
    if (this.#history.length === 0) return null;
    let s = 0;
    for (const a of this.#history) s += a;
    return s / this.#history.length;
  }

  /** Records one step's batch accuracy (in [0, 1]) and returns whether the gate is open. */
  update(batchAccuracy: number): boolean {
    if (typeof batchAccuracy !== 'number' || !(batchAccuracy >= 0 && batchAccuracy <= 1)) {
      fail('ProgressiveGate.update', 'batchAccuracy', batchAccuracy, 'a number in [0, 1]');
    }
    this.#step += 1;
    this.#history.push(batchAccuracy);
    if (this.#history.length > this.window) this.#history.shift();
    if (!this.#open) {
      if (this.openAtStep !== null && this.#step >= this.openAtStep) this.#openNow();
      else if (this.#step >= this.minSteps && (this.movingAccuracy ?? 0) >= this.threshold) this.#openNow();
    }
    return this.#open;
  }

  #openNow(): void {
    this.#open = true;
    this.#openedAtStep = this.#step;
  }

  toJSON(): ProgressiveGateState {
    return {
      version: 1,
      threshold: this.threshold,
      window: this.window,
      minSteps: this.minSteps,
      openAtStep: this.openAtStep,
      step: this.#step,
      open: this.#open,
      openedAtStep: this.#openedAtStep,
      history: [...this.#history],
    };
  }

  /** Restores a gate saved with toJSON() (or JSON.parse of its JSON.stringify). */
  static fromJSON(state: ProgressiveGateState | string): ProgressiveGate {
    const fn = 'ProgressiveGate.fromJSON';
    let s: unknown = state;
    if (typeof s === 'string') {
      try {
        s = JSON.parse(s);
      } catch (err) {
        throw invalidArg(`${fn}: state is not valid JSON (${(err as Error).message})`);
      }
    }
    if (typeof s !== 'object' || s === null) fail(fn, 'state', s, 'an object from ProgressiveGate.toJSON()');
    const st = s as Partial<ProgressiveGateState>;
    if (st.version !== 1) fail(fn, 'state.version', st.version, '1');
    const gate = new ProgressiveGate({ threshold: st.threshold, window: st.window, minSteps: st.minSteps, openAtStep: st.openAtStep ?? null });
    const step = st.step;
    if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) fail(fn, 'state.step', step, 'a non-negative integer');
    if (typeof st.open !== 'boolean') fail(fn, 'state.open', st.open, 'a boolean');
    const history = st.history;
    if (!Array.isArray(history) || history.length > gate.window || history.some((a) => typeof a !== 'number' || !(a >= 0 && a <= 1))) {
      fail(fn, 'state.history', history, `an array of at most ${gate.window} accuracies in [0, 1]`);
    }
    const opened = st.openedAtStep ?? null;
    if (opened !== null && (typeof opened !== 'number' || !Number.isInteger(opened) || opened < 0 || opened > step)) {
      fail(fn, 'state.openedAtStep', opened, `null or an integer in [0, ${step}]`);
    }
    gate.#step = step;
    gate.#history = [...history];
    gate.#open = st.open;
    gate.#openedAtStep = st.open ? opened ?? step : null;
    return gate;
  }
}
