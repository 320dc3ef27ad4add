// Field readers for JSON files the package loads (models, calibrations, checkpoints). Each
// reader checks one value at a JSON path and returns it typed; a failure is an
// ERR_MODEL_FORMAT error naming the file, what kind of file it should be, the path (such as
// `standardizer.std[3]`), the value found and what was expected. Loading a tampered file must
// stop here rather than produce numbers from NaN, a wrong length or a prototype key.
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { EmotionThinkerError } from './errors.js';

/**
 * The text of a JSON file the package loads (`what`: "model", "calibration", "checkpoint"). Only
 * a regular file: a device or pipe (/dev/zero as --resume) was read until memory ran out. Errors
 * are ERR_FILE "cannot read <what> (<code>)" naming the file.
 */
export function readJsonFileText(file: string, what: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new EmotionThinkerError('ERR_FILE', `cannot read ${what} (${(err as NodeJS.ErrnoException).code ?? err})`, { input: file, cause: err });
  }
  try {
    if (!fstatSync(fd).isFile()) throw new EmotionThinkerError('ERR_FILE', `cannot read ${what}: not a regular file (a directory, device or pipe)`, { input: file });
    return readFileSync(fd, 'utf8');
  } catch (err) {
    if (err instanceof EmotionThinkerError) throw err;
    throw new EmotionThinkerError('ERR_FILE', `cannot read ${what} (${(err as NodeJS.ErrnoException).code ?? err})`, { input: file, cause: err });
  } finally {
    closeSync(fd);
  }
}

/** Where a value sits: the file, the kind of file, and the JSON path inside it. */
export interface JsonAt {
  readonly file: string;
  /** E.g. "emotion model"; the message reads "not a usable <what>: ...". */
  readonly what: string;
  readonly path: string;
}

/** Keys that would reach Object.prototype (or shadow it) when a parsed object is used as a map; calibrate refuses them as corpus names too. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export function jsonRoot(file: string, what: string): JsonAt {
  return { file, what, path: '' };
}

/** The path of a child: `a.b`, `a[3]`, or `a["odd key"]`. */
export function at(parent: JsonAt, key: string | number): JsonAt {
  let path: string;
  if (typeof key === 'number') path = `${parent.path}[${key}]`;
  else if (/^[A-Za-z_$][\w$-]*$/.test(key)) path = parent.path ? `${parent.path}.${key}` : key;
  else path = `${parent.path}[${JSON.stringify(key)}]`;
  return { ...parent, path };
}

/** A short rendering of a bad value for a message (NaN and Infinity as themselves). */
export function show(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (v === undefined) return 'missing';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export function jsonError(a: JsonAt, message: string, cause?: unknown): EmotionThinkerError {
  const where = a.path ? `${a.path} ` : '';
  return new EmotionThinkerError('ERR_MODEL_FORMAT', `not a usable ${a.what}: ${where}${message}`, { input: a.file, cause });
}

/** Throws "<path> is <value>; expected <expected>". */
export function bad(a: JsonAt, v: unknown, expected: string): never {
  throw jsonError(a, `is ${show(v)}; expected ${expected}`);
}

/** Parses file text; a syntax error names the file ("<file>: <what> is not valid JSON (...)"). */
export function parseJsonText(text: string, file: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new EmotionThinkerError('ERR_MODEL_FORMAT', `${what} is not valid JSON (${(err as Error).message})`, { input: file, cause: err });
  }
}

function checkKey(a: JsonAt, key: string): void {
  if (FORBIDDEN_KEYS.has(key)) throw jsonError(at(a, key), 'is a forbidden key (it would reach Object.prototype)');
}

/**
 * A plain object. With `keys`, every own key must be one of them (unknown keys are a tampered
 * or foreign file); either way prototype keys are refused.
 */
export function obj(a: JsonAt, v: unknown, keys?: readonly string[]): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(a, v, 'an object');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    checkKey(a, k);
    if (keys && !keys.includes(k)) throw jsonError(at(a, k), `is not a known field (expected only ${keys.join(', ')})`);
  }
  return o;
}

/** A flat provenance record: an object whose values are numbers or strings. */
export function scalarRecord(a: JsonAt, v: unknown): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const [k, x] of Object.entries(obj(a, v))) {
    if (typeof x !== 'number' && typeof x !== 'string') bad(at(a, k), x, 'a number or a string');
    out[k] = x;
  }
  return out;
}

/** Refuses prototype keys anywhere below v (for free-form parts such as provenance). */
export function noPrototypeKeys(a: JsonAt, v: unknown): void {
  if (Array.isArray(v)) v.forEach((x, i) => noPrototypeKeys(at(a, i), x));
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      checkKey(a, k);
      noPrototypeKeys(at(a, k), x);
    }
  }
}

/** A field of an object that must be present (own property; undefined counts as missing). */
export function field(a: JsonAt, o: Record<string, unknown>, key: string): [JsonAt, unknown] {
  const child = at(a, key);
  if (!Object.prototype.hasOwnProperty.call(o, key)) throw jsonError(child, 'is missing');
  return [child, o[key]];
}

export interface NumberRange {
  min?: number;
  max?: number;
  /** Exclusive lower bound. */
  above?: number;
  integer?: boolean;
}

function describe(r: NumberRange): string {
  const kind = r.integer ? 'an integer' : 'a finite number';
  const parts: string[] = [];
  if (r.above !== undefined) parts.push(`> ${r.above}`);
  if (r.min !== undefined && r.max !== undefined) return `${kind} in [${r.min}, ${r.max}]${parts.length ? ` and ${parts[0]}` : ''}`;
  if (r.min !== undefined) parts.push(`>= ${r.min}`);
  if (r.max !== undefined) parts.push(`<= ${r.max}`);
  return parts.length ? `${kind} ${parts.join(' and ')}` : kind;
}

export function num(a: JsonAt, v: unknown, r: NumberRange = {}): number {
  if (!inRange(v, r)) bad(a, v, describe(r));
  return v as number;
}

function inRange(v: unknown, r: NumberRange): v is number {
  return (
    typeof v === 'number' &&
    Number.isFinite(v) &&
    (!r.integer || Number.isInteger(v)) &&
    (r.min === undefined || v >= r.min) &&
    (r.max === undefined || v <= r.max) &&
    (r.above === undefined || v > r.above)
  );
}

export function str(a: JsonAt, v: unknown, oneOf?: readonly string[]): string {
  if (typeof v !== 'string') bad(a, v, oneOf ? `one of ${oneOf.map((s) => JSON.stringify(s)).join(', ')}` : 'a string');
  if (oneOf && !oneOf.includes(v)) bad(a, v, `one of ${oneOf.map((s) => JSON.stringify(s)).join(', ')}`);
  return v;
}

/** An array, of exactly `length` items when given. */
export function arr(a: JsonAt, v: unknown, length?: number): unknown[] {
  if (!Array.isArray(v)) bad(a, v, length === undefined ? 'an array' : `an array of ${length} items`);
  if (length !== undefined && v.length !== length) throw jsonError(a, `has ${v.length} items; expected ${length}`);
  return v;
}

/** An array of numbers each within `r` (lengths checked as arr). */
export function numArray(a: JsonAt, v: unknown, length: number | undefined, r: NumberRange = {}): number[] {
  const xs = arr(a, v, length);
  // Paths are built only for the failing item: parameter vectors have tens of thousands.
  for (let i = 0; i < xs.length; i++) if (!inRange(xs[i], r)) bad(at(a, i), xs[i], describe(r));
  return xs as number[];
}
