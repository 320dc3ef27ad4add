// Checks a training checkpoint before a run resumes from it. Two stages: the file on its own
// (types, lengths, finiteness: loadCheckpoint, also called by `train --resume` before features
// are computed), then against the run being resumed (checkResumePoint: the step lies within the
// run, the Adam step count and the KL reference match that step). A checkpoint that passes
// both resumes to exactly the state it was written from.
import { ProgressiveGate, type ProgressiveGateState } from '../grpo.js';
import { at, bad, field, jsonError, noPrototypeKeys, num, numArray, obj, parseJsonText, readJsonFileText, str, type JsonAt } from '../json-check.js';
import { checkParams, checkPolicyShape } from '../inference/model-schema.js';
import { policyLayout, type PolicyShape } from '../inference/policy.js';
import { TRAIN_MODES, type TrainMode } from './modes.js';

export interface CheckpointState {
  version: 1;
  mode: TrainMode;
  seed: number;
  step: number;
  shape: PolicyShape;
  params: number[];
  reference: number[] | null;
  adam: { m: number[]; v: number[]; t: number };
  rng: number;
  gate: ProgressiveGateState | null;
}

const KEYS = ['version', 'mode', 'seed', 'step', 'shape', 'params', 'reference', 'adam', 'rng', 'gate'] as const;
const WHAT = 'training checkpoint';
const UINT32_MAX = 0xffffffff;

/** Checks a parsed checkpoint on its own; `file` names it in errors. */
export function checkCheckpoint(file: string, json: unknown): CheckpointState {
  const a: JsonAt = { file, what: WHAT, path: '' };
  const o = obj(a, json, KEYS);
  num(...field(a, o, 'version'), { integer: true, min: 1, max: 1 });
  const mode = str(...field(a, o, 'mode'), TRAIN_MODES) as TrainMode;
  const seed = num(...field(a, o, 'seed'));
  const step = num(...field(a, o, 'step'), { integer: true, min: 0 });
  const shape = checkPolicyShape(...field(a, o, 'shape'));
  const size = policyLayout(shape).size;
  const params = Array.from(checkParams(...field(a, o, 'params'), shape));
  const [ra, rv] = field(a, o, 'reference');
  const reference = rv === null ? null : Array.from(checkParams(ra, rv, shape));

  const aa = at(a, 'adam');
  const ao = obj(aa, field(a, o, 'adam')[1], ['m', 'v', 't']);
  const m = numArray(...field(aa, ao, 'm'), size);
  const v = numArray(...field(aa, ao, 'v'), size, { min: 0 });
  const t = num(...field(aa, ao, 't'), { integer: true, min: 0 });

  const rng = num(...field(a, o, 'rng'), { integer: true, min: 0, max: UINT32_MAX });

  const [ga, gv] = field(a, o, 'gate');
  let gate: ProgressiveGateState | null = null;
  if (gv !== null) {
    obj(ga, gv);
    noPrototypeKeys(ga, gv);
    try {
      gate = ProgressiveGate.fromJSON(gv as ProgressiveGateState).toJSON();
    } catch (err) {
      // fromJSON names the field as "state.<field>"; here it is "gate.<field>".
      throw jsonError(ga, `is not a progressive-gate state: ${(err as Error).message.replace(/^ProgressiveGate\.fromJSON: /, '')}`, err);
    }
  }
  return { version: 1, mode, seed, step, shape, params, reference, adam: { m, v, t }, rng, gate };
}

/** Reads and checks a checkpoint file (ERR_FILE if unreadable, ERR_MODEL_FORMAT if malformed). */
export function loadCheckpoint(file: string): CheckpointState {
  return checkCheckpoint(file, parseJsonText(readJsonFileText(file, 'checkpoint'), file, 'checkpoint'));
}

export interface ResumeContext {
  /** Supervised plus RL steps of the run. */
  total: number;
  sftSteps: number;
  innerEpochs: number;
  /** The mode has an RL phase (every mode but 'supervised'). */
  rl: boolean;
}

/**
 * Checks a checkpoint against the run resuming from it. The trainer takes one Adam step per
 * supervised step, then starts a fresh Adam (and fixes the KL reference) when RL begins and
 * takes `innerEpochs` Adam steps per RL step; a checkpoint saying otherwise was altered.
 */
export function checkResumePoint(file: string, c: CheckpointState, run: ResumeContext): void {
  const a: JsonAt = { file, what: WHAT, path: '' };
  if (c.step > run.total) bad(at(a, 'step'), c.step, `an integer in [0, ${run.total}] (the run's supervised plus RL steps)`);
  const inRl = run.rl && c.step > run.sftSteps;
  const t = inRl ? (c.step - run.sftSteps) * run.innerEpochs : c.step;
  if (c.adam.t !== t) bad(at(at(a, 'adam'), 't'), c.adam.t, `${t}, the optimiser steps taken by step ${c.step}`);
  if (inRl && c.reference === null) bad(at(a, 'reference'), null, `the KL reference parameters: step ${c.step} is in the RL phase`);
  if (!inRl && c.reference !== null) throw jsonError(at(a, 'reference'), `is set, but step ${c.step} is before the RL phase (expected null)`);
}
