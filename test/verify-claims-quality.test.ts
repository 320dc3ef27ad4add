// Claim extraction quality on every hand-written explanation set together (issue #17 §1: precision
// and recall ≥ 0.95): the tuned fixture set plus all held-out batches in holdout/. Each file's own
// figures are printed so the first measurement of a new batch can be read off this test's output.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { extractClaims, mapAnswer, parseReasoningText } from '../src/index.js';
import { claimKeys, FIXTURE_DIR, loadExplanations, type ExplanationItem } from './helpers/explanations.js';

interface Tally { items: number; tp: number; fp: number; fn: number; labels: number; misses: string[] }

function tally(items: ExplanationItem[]): Tally {
  const t: Tally = { items: items.length, tp: 0, fp: 0, fn: 0, labels: 0, misses: [] };
  for (const it of items) {
    const p = parseReasoningText(it.text);
    if (mapAnswer(p.answer) === it.label) t.labels++;
    else t.misses.push(`${it.file}:${it.line} label ${mapAnswer(p.answer)} ≠ ${it.label}`);
    const got = claimKeys(extractClaims(it.text, p.thinkStart, p.thinkStart + p.think.length)).known;
    const want = new Set(it.claims);
    for (const k of want) got.has(k) ? t.tp++ : (t.fn++, t.misses.push(`${it.file}:${it.line} missed ${k}`));
    for (const k of got) if (!want.has(k)) (t.fp++, t.misses.push(`${it.file}:${it.line} extra ${k}`));
  }
  return t;
}

const p = (t: Tally) => t.tp / Math.max(1, t.tp + t.fp);
const r = (t: Tally) => t.tp / Math.max(1, t.tp + t.fn);

describe('claim extraction on all explanation sets together', () => {
  it('precision and recall ≥ 0.95 over the fixture set and every held-out batch', () => {
    const items = [...loadExplanations(FIXTURE_DIR), ...loadExplanations(path.join(FIXTURE_DIR, 'holdout'))];
    const byFile = new Map<string, ExplanationItem[]>();
    for (const it of items) byFile.set(it.file, [...(byFile.get(it.file) ?? []), it]);
    for (const [f, list] of byFile) {
      const t = tally(list);
      console.log(`${f}: ${t.items} items, ${t.tp + t.fn} claims, P ${p(t).toFixed(3)} R ${r(t).toFixed(3)} answers ${(t.labels / t.items).toFixed(3)}`);
    }
    const all = tally(items);
    console.log(`all: ${all.items} items, ${all.tp + all.fn} claims, P ${p(all).toFixed(3)} R ${r(all).toFixed(3)}\n${all.misses.join('\n')}`);
    // The four held-out batches written in earlier sessions and this one, plus the fixture set.
    expect(byFile.size).toBeGreaterThanOrEqual(8);
    expect(all.tp + all.fn).toBeGreaterThanOrEqual(600);
    expect(p(all), all.misses.join('\n')).toBeGreaterThanOrEqual(0.95);
    expect(r(all), all.misses.join('\n')).toBeGreaterThanOrEqual(0.95);
    expect(all.labels / all.items, all.misses.join('\n')).toBeGreaterThanOrEqual(0.98);
  });
});
