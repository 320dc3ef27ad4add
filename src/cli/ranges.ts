// "1-12" or "1,3,5-7" → [1, 2, ..., 12].
import { invalidArg } from '../errors.js';

export function parseRange(text: string, flag: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw invalidArg(`${flag} must look like 1-12 or 1,3,5-7; got '${text}'`);
    const a = Number(m[1]), b = Number(m[2] ?? m[1]);
    if (b < a) throw invalidArg(`${flag}: range ${part} runs backwards`);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}
