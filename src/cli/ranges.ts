// "1-12" or "1,3,5-7" → [1, 2, ..., 12], within [1, max] (RAVDESS has 24 actors).
import { InvalidArgumentError } from 'commander';
import { invalidArg } from '../errors.js';

/** RAVDESS's actors are 01-24. */
export const MAX_ACTOR = 24;

export function parseRange(text: string, flag: string, max = MAX_ACTOR): number[] {
  const out = new Set<number>();
  if (text.trim() === '') return [];
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw invalidArg(`${flag} must look like 1-12 or 1,3,5-7; got '${text}'`);
    const a = Number(m[1]), b = Number(m[2] ?? m[1]);
    if (b < a) throw invalidArg(`${flag}: range ${part} runs backwards`);
    // Bounded before the loop: 1-4000000000 built a four-billion-entry array and crashed V8.
    if (a < 1 || b > max) throw invalidArg(`${flag}: actors are 1 to ${max}; got ${part.trim()}`);
    for (let i = a; i <= b; i++) out.add(i);
  }
  return [...out];
}

/** A commander parser of an actor list: a bad value is a usage error (exit 2) naming the flag. */
export const actorsFlag = (flag: string) => (v: string): number[] => {
  try {
    return parseRange(v, flag);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
};
