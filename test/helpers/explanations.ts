// Reads the hand-written explanation fixtures (test/fixtures/verify/explanations-*.txt) and
// scores claim extraction against them.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface ExplanationItem {
  file: string;
  line: number;
  text: string;
  label: string | null;
  /** "cue=value", "!cue=value" (negated); unknown cues are in `unknown`. */
  claims: string[];
  unknown: string[];
}

export const FIXTURE_DIR = path.resolve(__dirname, '..', 'fixtures', 'verify');

export function loadExplanations(dir = FIXTURE_DIR): ExplanationItem[] {
  const items: ExplanationItem[] = [];
  for (const f of readdirSync(dir).filter((n) => /^explanations-.*\.txt$/.test(n)).sort()) {
    const lines = readFileSync(path.join(dir, f), 'utf8').split('\n');
    let cur: ExplanationItem | null = null;
    const body: string[] = [];
    const flush = () => {
      if (cur) items.push({ ...cur, text: body.join('\n').replace(/\n+$/, '') });
      body.length = 0;
    };
    lines.forEach((l, i) => {
      if (l.startsWith('#') && !cur) return;
      const m = /^>>> (\S+) \| (.*)$/.exec(l);
      if (m) {
        flush();
        const all = m[2].trim() === '-' ? [] : m[2].trim().split(/\s+/);
        cur = { file: f, line: i + 1, text: '', label: m[1] === 'null' ? null : m[1], claims: all.filter((c) => !c.startsWith('?')), unknown: all.filter((c) => c.startsWith('?')).map((c) => c.slice(1)) };
      } else if (cur) body.push(l);
    });
    flush();
  }
  return items;
}

/** The distinct "cue=value" keys of extracted claims ("!" for negated), split into measurable and unknown cues. */
export function claimKeys(claims: { cue: string; value: string; negated: boolean }[]): { known: Set<string>; unknown: Set<string> } {
  const known = new Set<string>();
  const unknown = new Set<string>();
  for (const c of claims) {
    const k = `${c.negated ? '!' : ''}${c.cue}=${c.value}`;
    if (['pitch', 'energy', 'speed', 'intonation'].includes(c.cue)) known.add(k);
    else unknown.add(`${c.cue}=${c.value}`);
  }
  return { known, unknown };
}
