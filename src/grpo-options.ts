// Resolution and validation of the GRPO option sets, from the one table that defines them
// (native/grpo/options.hpp, read from the addon as `grpoOptionSpecs`). Every entry — the CPU
// calls in grpo/*.ts (whatever their backend) and the device-buffer calls in cuda.ts — resolves its
// options here, so the same call gets the same options on every path. Nothing here restates a
// key, a default or a range: adding an option is a row in options.hpp.
import { native, type RawAdvantageOptions, type RawLossOptions, type RawOptionSpec, type RawPtrOptions } from './native.js';
import { invalidArg } from './errors.js';

export type OptionSet = 'advantages' | 'ptr' | 'loss' | 'logits';

/** The option tables (keys, defaults, ranges, meanings), as the native core defines them. */
export const grpoOptionSpecs = native.grpoOptionSpecs;

// An addon built before the tables existed (a stale prebuild) cannot resolve any GRPO option:
// say so when one is first needed (not at import, so the rest of the package still loads).
function tables(): typeof grpoOptionSpecs {
  if (!grpoOptionSpecs) throw new Error('the loaded native addon has no grpoOptionSpecs: it predates this package version; rebuild it (npm run build)');
  return grpoOptionSpecs;
}

export function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (Array.isArray(v)) {
    if (v.length <= 8 && v.every((x) => typeof x === 'number')) return `[${v.join(', ')}]`;
    return `an array of length ${v.length}`;
  }
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of length ${(v as unknown as ArrayLike<number>).length}`;
  return typeof v;
}

export function fail(fn: string, field: string, value: unknown, expected: string): never {
  throw invalidArg(`${fn}: ${field} must be ${expected}; got ${describe(value)}`);
}

export function spec(set: OptionSet, key: string): RawOptionSpec {
  const s = tables()[set].find((r) => r.key === key);
  if (!s) throw new Error(`no GRPO option ${set}.${key} in native/grpo/options.hpp`);
  return s;
}

function inRange(s: RawOptionSpec, v: number): boolean {
  if (s.kind === 'integer' && !Number.isInteger(v)) return false;
  if (s.minOpen ? !(v > s.min) : !(v >= s.min)) return false;
  return s.maxOpen ? v < s.max : v <= s.max;
}

/**
 * One option's value: its default when undefined (or `derived` for a row whose default depends
 * on the call), 0 for null on a nullable row, else the validated value. `field` names it in errors.
 */
export function optionValue(fn: string, s: RawOptionSpec, value: unknown, derived?: unknown, field = `option ${s.key}`): unknown {
  if (value === undefined) {
    if (s.derived !== undefined) {
      if (derived === undefined) throw new Error(`${fn}: option ${s.key} is derived (${s.derived}) and no value was given`);
      return derived;
    }
    return s.kind === 'weights' ? new Float64Array(s.default as number).fill(1 / (s.default as number)) : s.default;
  }
  if (value === null && s.nullable) return 0;
  switch (s.kind) {
    case 'enum':
      if (typeof value !== 'string' || !s.choices!.includes(value)) fail(fn, field, value, s.expected);
      return value;
    case 'bool':
      if (typeof value !== 'boolean') fail(fn, field, value, s.expected);
      return value;
    case 'weights':
      return weights(fn, s, value, field);
    default:
      if (typeof value !== 'number' || !Number.isFinite(value) || !inRange(s, value)) fail(fn, field, value, s.expected);
      return value;
  }
}

function weights(fn: string, s: RawOptionSpec, value: unknown, field: string): Float64Array {
  let w: Float64Array;
  if (value instanceof Float64Array) w = value;
  else if (Array.isArray(value) || value instanceof Float32Array) {
    w = new Float64Array(value.length);
    for (let i = 0; i < value.length; i++) {
      if (typeof value[i] !== 'number') fail(fn, `${field}[${i}]`, value[i], 'a finite number >= 0');
      w[i] = value[i];
    }
  } else return fail(fn, field, value, s.expected);
  if (!(w.length >= s.min && w.length <= s.max)) fail(fn, field, value, s.expected);
  let sum = 0;
  w.forEach((x, i) => {
    if (!(Number.isFinite(x) && x >= 0)) fail(fn, `${field}[${i}]`, x, 'a finite number >= 0');
    sum += x;
  });
  if (Math.abs(sum - 1) > grpoOptionSpecs.weightSumTolerance) fail(fn, field, value, `weights summing to 1 (they sum to ${sum})`);
  return w;
}

function resolveSet(fn: string, set: OptionSet, o: Record<string, unknown>, derived: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of tables()[set]) out[s.key] = optionValue(fn, s, o[s.key], derived[s.key]);
  return out;
}

function asObject(fn: string, options: unknown): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) fail(fn, 'options', options, 'an object');
  return options as Record<string, unknown>;
}

/** Group-advantage options: mode, std, eps, singleton, threads. */
export function resolveAdvantageOptions(fn: string, options: unknown): RawAdvantageOptions {
  return resolveSet(fn, 'advantages', asObject(fn, options)) as unknown as RawAdvantageOptions;
}

/**
 * PTR options. The public form gives the α weights as `alpha` ({ format, outcome, reasoning } or
 * a [format, outcome, reasoning] tuple); `reasoningEnabled` must already be a boolean (grpo/ptr.ts
 * reads a ProgressiveGate's state first).
 */
export function resolvePtrOptions(fn: string, options: unknown): RawPtrOptions {
  const o = asObject(fn, options);
  const a = o.alpha as unknown;
  const flat: Record<string, unknown> = { judgeWeights: o.judgeWeights, reasoningEnabled: o.reasoningEnabled };
  const keys = ['alphaFormat', 'alphaOutcome', 'alphaReasoning'] as const;
  const names = ['format', 'outcome', 'reasoning'] as const;
  if (Array.isArray(a)) {
    if (a.length !== 3) fail(fn, 'option alpha', a, '[format, outcome, reasoning]');
    keys.forEach((k, i) => (flat[k] = optionValue(fn, spec('ptr', k), a[i], undefined, `option alpha[${i}]`)));
  } else if (typeof a === 'object' && a !== null) {
    const ao = a as Record<string, unknown>;
    keys.forEach((k, i) => (flat[k] = optionValue(fn, spec('ptr', k), ao[names[i]], undefined, `option alpha.${names[i]}`)));
  } else if (a !== undefined) {
    fail(fn, 'option alpha', a, '{ format, outcome, reasoning } or a [format, outcome, reasoning] tuple');
  }
  return resolveSet(fn, 'ptr', flat) as unknown as RawPtrOptions;
}

/** What the loss options derive from the call: the layout and the advantages' length. */
export interface LossContext {
  /** Sequences in the layout. */
  batch: number;
  /** The padded row length, or the longest ragged sequence. */
  maxLen: number;
  /** Length of the advantages array. */
  advLength: number;
}

/** Token-loss options (every row of the loss table; normLen and advantagesPer derived from `ctx`). */
export function resolveLossOptions(fn: string, options: unknown, ctx: LossContext): RawLossOptions & { advantagesPer: 'sequence' | 'token' } {
  const derived = { normLen: Math.max(ctx.maxLen, 1), advantagesPer: ctx.advLength === ctx.batch ? 'sequence' : 'token' };
  return resolveSet(fn, 'loss', asObject(fn, options), derived) as unknown as RawLossOptions & { advantagesPer: 'sequence' | 'token' };
}

/** Logits-loss options: the loss options and temperature. */
export function resolveLogitsOptions(fn: string, options: unknown, ctx: LossContext): RawLossOptions & { advantagesPer: 'sequence' | 'token'; temperature: number } {
  const o = asObject(fn, options);
  return { ...resolveLossOptions(fn, o, ctx), ...(resolveSet(fn, 'logits', o) as { temperature: number }) };
}
