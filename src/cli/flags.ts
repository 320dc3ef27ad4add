// Parsers of numeric command-line flags. They throw commander's InvalidArgumentError, which
// commander prints as "error: option '--rate <hz>' argument '0' is invalid. <why>" before the
// usage exit (2). (A CommanderError thrown from a parser is passed through unprinted: the flag
// errors exited 2 with nothing on stderr.) The range of a flag that sets a library option comes
// from that option's spec, its one owner.
import { InvalidArgumentError } from 'commander';
import type { OptionSpec } from '../option-spec-types.js';

function numberOf(v: string, what: string): number {
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`Expected ${what}.`);
  return n;
}

/** An integer in [min, max]. */
export const intFlag = (min: number, max = Number.MAX_SAFE_INTEGER) => (v: string): number => {
  const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
  const n = numberOf(v, `an integer ${range}`);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`Expected an integer ${range}.`);
  return n;
};

/** Any finite number; with bounds, one in (min, max]. */
export const numberFlag = (min = -Infinity, max = Infinity) => (v: string): number => {
  const what = min === -Infinity && max === Infinity ? 'a number' : `a number > ${min}${max === Infinity ? '' : ` and at most ${max}`}`;
  const n = numberOf(v, what);
  if (!(n > min && n <= max)) throw new InvalidArgumentError(`Expected ${what}.`);
  return n;
};

/** A number within the range of a library option (its spec's bounds and their wording). */
export const specFlag = (spec: OptionSpec) => (v: string): number => {
  const what = `a number in ${spec.range ?? 'range'}`;
  const n = numberOf(v, what);
  const low = spec.min === undefined || (spec.minExclusive ? n > spec.min : n >= spec.min);
  const high = spec.max === undefined || (spec.maxExclusive ? n < spec.max : n <= spec.max);
  if (!low || !high || (spec.type === 'integer' && !Number.isInteger(n))) throw new InvalidArgumentError(`Expected ${what}.`);
  return n;
};
