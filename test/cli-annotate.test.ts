import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const RAVDESS = path.resolve(root, '../shared/data/ravdess');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-annotate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const run = (args: string[], input?: string) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', input });
const records = (file: string) => readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const SPEC_FIELDS = ['audio_path', 'transcription', 'emotion', 'pitch_level', 'energy_level', 'speed_level', 'intonation', 'gender', 'stressed_words', 'functionals', 'caption'];

function corpus(n: number, name: string): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(RAVDESS).sort().slice(0, n)) copyFileSync(path.join(RAVDESS, f), path.join(dir, f));
  return dir;
}

describe('emotionthinker annotate', () => {
  it('writes one valid record per clip, names unreadable files, and a rerun does no work', () => {
    const dir = corpus(24, 'small');
    writeFileSync(path.join(dir, 'notes.wav'), 'this is not audio');
    const out = path.join(tmp, 'small.jsonl');
    const r = run(['annotate', dir, '--out', out, '--quiet']);
    expect(r.status).toBe(1); // one file failed
    expect(r.stderr).toMatch(/failed: \/.*\/notes\.wav: unrecognised audio container .*\[ERR_AUDIO_UNSUPPORTED\]/);
    expect(r.stderr).toMatch(/annotate: 24 written, 0 already .*, 1 failed, of 25 clips/);
    const recs = records(out);
    expect(recs).toHaveLength(24);
    for (const rec of recs) {
      for (const k of SPEC_FIELDS) expect(rec, k).toHaveProperty(k);
      expect(['low', 'normal', 'high', null]).toContain(rec.pitch_level);
      expect(typeof rec.caption).toBe('string');
      expect(rec.transcription).toMatch(/by the door$/);
    }
    const again = run(['annotate', dir, '--out', out, '--quiet']);
    expect(again.stderr).toMatch(/annotate: 0 written, 24 already/);
    expect(records(out)).toHaveLength(24);
  });

  it('a run killed midway, even mid-line, completes on rerun with no duplicates', async () => {
    const dir = corpus(120, 'big');
    const out = path.join(tmp, 'big.jsonl');
    const child = spawn(process.execPath, [cli, 'annotate', dir, '--out', out, '--concurrency', '1', '--quiet']);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    // Kill it hard once a dozen records are on disk.
    while (!(existsSync(out) && readFileSync(out, 'utf8').split('\n').length > 12) && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGKILL');
    await exited;
    const partial = records(out).length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(120);
    appendFileSync(out, '{"audio_path": "/torn/wri'); // what a hard kill in the middle of a write leaves
    const r = run(['annotate', dir, '--out', out, '--quiet']);
    expect(r.status).toBe(0);
    const recs = records(out);
    expect(recs).toHaveLength(120);
    expect(new Set(recs.map((x) => x.audio_path)).size).toBe(120);
  });

  it('reads list files and stdin lists; --force starts again; calibrate refuses to overwrite', () => {
    const dir = corpus(6, 'list');
    const files = readdirSync(dir).map((f) => path.join(dir, f));
    writeFileSync(path.join(tmp, 'clips.txt'), files.slice(0, 3).join('\n') + '\n');
    const out = path.join(tmp, 'list.jsonl');
    expect(run(['annotate', path.join(tmp, 'clips.txt'), '--out', out, '--quiet']).status).toBe(0);
    expect(records(out)).toHaveLength(3);
    expect(run(['annotate', '-', '--out', out, '--quiet'], files.join('\n')).status).toBe(0);
    expect(records(out)).toHaveLength(6);
    expect(run(['annotate', path.join(tmp, 'clips.txt'), '--out', out, '--force', '--quiet']).status).toBe(0);
    expect(records(out)).toHaveLength(3);

    const cal = path.join(tmp, 'cal.json');
    const big = path.join(tmp, 'small.jsonl');
    expect(run(['calibrate', big, '--out', cal]).status).toBe(0);
    const c = JSON.parse(readFileSync(cal, 'utf8'));
    expect(c.pooled.pitch[0]).toBeLessThan(c.pooled.pitch[1]);
    expect(c.pooled.n).toBe(24);
    const again = run(['calibrate', big, '--out', cal]);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/cal\.json exists; pass --force/);
  });

  it('--gender-model: clips without metadata get the classifier\'s gender, and their levels and caption follow it', () => {
    // Aroused men (RAVDESS actors 01, 03, 05, 07: angry and fearful, strong) under names that carry
    // no metadata: the F0 rule calls most of them female, so their pitch is judged by the female
    // cut points. A RAVDESS-named clip keeps its metadata gender either way.
    const dir = path.join(tmp, 'men');
    mkdirSync(dir, { recursive: true });
    for (const a of ['01', '03', '05', '07']) for (const e of ['05', '06']) copyFileSync(path.join(RAVDESS, `03-01-${e}-02-01-01-${a}.wav`), path.join(dir, `man-${a}-${e}.wav`));
    const named = '03-01-05-02-01-01-09.wav';
    copyFileSync(path.join(RAVDESS, named), path.join(dir, named));
    const byRule = path.join(tmp, 'men-rule.jsonl'), byModel = path.join(tmp, 'men-model.jsonl');
    expect(run(['annotate', dir, '--out', byRule, '--quiet']).status).toBe(0);
    const r = run(['annotate', dir, '--out', byModel, '--quiet', '--gender-model', 'default']);
    expect(r.status).toBe(0);
    const rule = new Map(records(byRule).map((x) => [path.basename(x.audio_path), x]));
    const model = new Map(records(byModel).map((x) => [path.basename(x.audio_path), x]));
    expect(model.size).toBe(9);
    const unnamed = [...model.keys()].filter((f) => f.startsWith('man-'));
    expect(unnamed.filter((f) => rule.get(f).gender === 'female').length).toBeGreaterThanOrEqual(6); // 8 of 8 today
    expect(unnamed.filter((f) => model.get(f).gender === 'male').length).toBeGreaterThanOrEqual(7);
    let restated = 0;
    for (const f of unnamed) {
      const m = model.get(f), o = rule.get(f);
      expect(m.gender_source).toBe('estimate');
      expect(m.functionals).toEqual(o.functionals);
      expect(m.caption.startsWith(`A ${m.gender} (estimated) speaker`)).toBe(true);
      if (m.gender !== o.gender && m.pitch_level !== o.pitch_level) restated++;
    }
    expect(restated).toBeGreaterThanOrEqual(2); // a man's raised voice "low" by female cut points, "high" by male ones (4 today)
    expect(model.get(named)).toEqual(rule.get(named));
    expect(model.get(named).gender_source).toBe('metadata');
    expect(model.get(named).gender_estimator).toBeUndefined();
    // Each estimated record says what estimated it; a resumed file keeps one estimator.
    expect(rule.get('man-01-05.wav').gender_estimator).toBe('f0-rule');
    expect(model.get('man-01-05.wav').gender_estimator).toMatch(/^classifier:[0-9a-f]{12}$/);
    const partial = path.join(tmp, 'men-partial.jsonl');
    // Three records by the F0 rule and a record torn by a hard kill: refused before anything is cut.
    writeFileSync(partial, readFileSync(byRule, 'utf8').split('\n').slice(0, 3).join('\n') + '\n{"audio_path": "/torn/wri');
    const before = readFileSync(partial, 'utf8');
    const mixed = run(['annotate', dir, '--out', partial, '--quiet', '--gender-model', 'default']);
    expect(mixed.status).toBe(2);
    expect(mixed.stderr).toMatch(/line \d estimated its gender by f0-rule, this run by classifier:[0-9a-f]{12}; resume with the same --gender-model \(none\), or pass --force/);
    expect(readFileSync(partial, 'utf8')).toBe(before); // untouched
    expect(run(['annotate', dir, '--out', partial, '--quiet']).status).toBe(0); // the same rule resumes
    expect(records(partial)).toHaveLength(9);
    const bad = run(['annotate', dir, '--out', path.join(tmp, 'never.jsonl'), '--quiet', '--gender-model', path.join(tmp, 'none.json')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/none\.json: cannot read model \(ENOENT\) \[ERR_FILE\]/);
    expect(existsSync(path.join(tmp, 'never.jsonl'))).toBe(false);
  });

  it('usage errors: unknown flags, missing arguments, bad values exit 2', () => {
    expect(run(['annotate', '--out', 'x.jsonl']).status).toBe(2);
    expect(run(['annotate', 'dir']).status).toBe(2);
    expect(run(['annotate', 'dir', '--out', 'x.jsonl', '--concurrency', '0']).status).toBe(2);
    const unknown = run(['annotate', 'dir', '--out', 'x.jsonl', '--frobnicate']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--frobnicate'[\s\S]*Usage: emotionthinker annotate/);
    expect(run(['bench', 'nope']).status).toBe(2);
    expect(run(['train', '--data', 'd', '--out', path.join(tmp, 'm.json'), '--mode', 'dpo']).status).toBe(2);
  });
});

describe('emotionthinker calibrate: malformed records', () => {
  it('a record whose measures, gender or corpus are not what annotate writes is refused, naming the line and value (they made null or impossible cut points, exit 0)', () => {
    const good = { audio_path: 'a.wav', gender: 'male', corpus: 'c', functionals: { f0MedianHz: 120, rmsMeanDbfs: -30, articulationRate: 4 } };
    const cases: [unknown, RegExp][] = [
      [{ ...good, functionals: [1, 2] }, /line 2: has no functionals object/],
      [{ ...good, functionals: { ...good.functionals, f0MedianHz: 'abc' } }, /line 2: functionals\.f0MedianHz is "abc"; expected a number in \[20, 2000\] or null/],
      [{ ...good, functionals: { ...good.functionals, f0MedianHz: -100 } }, /functionals\.f0MedianHz is -100/],
      [{ ...good, gender: 'robot' }, /line 2: gender is "robot"; expected "male", "female" or null/],
      [{ ...good, corpus: { x: 1 } }, /line 2: corpus is \{"x":1\}; expected a non-empty string/],
      [{ ...good, corpus: '__proto__' }, /line 2: corpus is "__proto__"/],
      [[1, 2], /line 2: not a JSON object/],
    ];
    const out = path.join(tmp, 'cal-refused.json');
    for (const [second, message] of cases) {
      const file = path.join(tmp, 'cal-in.jsonl');
      writeFileSync(file, JSON.stringify(good) + '\n' + JSON.stringify(second) + '\n');
      const r = run(['calibrate', file, '--out', out, '--min-group', '1']);
      expect(r.status, JSON.stringify(second)).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    }
    // Records that measured nothing (silence) cannot give cut points.
    const silent = path.join(tmp, 'cal-silent.jsonl');
    writeFileSync(silent, JSON.stringify({ ...good, functionals: {} }) + '\n');
    expect(run(['calibrate', silent, '--out', out]).stderr).toMatch(/no record has functionals\.f0MedianHz/);
    // Good records still calibrate.
    const file = path.join(tmp, 'cal-good.jsonl');
    writeFileSync(file, [100, 120, 140, 160].map((f) => JSON.stringify({ ...good, functionals: { ...good.functionals, f0MedianHz: f } })).join('\n') + '\n');
    expect(run(['calibrate', file, '--out', out, '--min-group', '1']).status).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).pooled.pitch).toHaveLength(2);
  });
});
