import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const clip = path.resolve(root, '../shared/data/ravdess/03-01-04-01-02-01-14.wav');
const run = (args: string[], input?: Buffer) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', input });

describe('emotionthinker prosody', () => {
  it('--json gives functionals, levels, intonation and caption; --frames adds the tracks; - reads stdin', () => {
    const a = run(['prosody', '--json', clip]);
    expect(a.status).toBe(0);
    const r = JSON.parse(a.stdout);
    expect(r.file).toBe(clip);
    expect(r.functionals.f0MedianHz).toBeGreaterThan(150);
    expect(['low', 'normal', 'high']).toContain(r.levels.pitch_level);
    expect(typeof r.caption).toBe('string');
    expect(r.frames).toBeUndefined();
    const b = run(['prosody', '--json', '--frames', '-'], readFileSync(clip));
    const s = JSON.parse(b.stdout);
    expect(s.file).toBe('-');
    expect(s.functionals).toEqual(r.functionals);
    expect(s.frames.f0.length).toBe(s.frames.time.length);
    expect(s.frames.f0.some((v: number | null) => v === null)).toBe(true); // unvoiced frames are null in JSON
  });

  it("a RAVDESS file name is metadata (as annotate reads it): the actor's gender, not the F0 estimate", () => {
    const angryMan = path.resolve(root, '../shared/data/ravdess/03-01-05-02-01-01-01.wav'); // actor 01, 337 Hz
    const named = JSON.parse(run(['prosody', '--json', angryMan]).stdout);
    expect(named.gender).toEqual({ value: 'male', source: 'metadata' });
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-prosody-name-'));
    try {
      const copy = path.join(tmp, 'clip.wav');
      writeFileSync(copy, readFileSync(angryMan));
      const unnamed = JSON.parse(run(['prosody', '--json', copy]).stdout);
      expect(unnamed.gender).toEqual({ value: 'female', source: 'estimate' }); // the F0 rule at 337 Hz
      expect(JSON.parse(run(['prosody', '--json', '--gender', 'female', angryMan]).stdout).gender).toEqual({ value: 'female', source: 'metadata' });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('--csv prints one header and one row per file with the same columns', () => {
    const r = run(['prosody', '--csv', clip, clip]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    const header = lines[0].split(',');
    expect(header[0]).toBe('file');
    expect(header).toContain('f0MedianHz');
    expect(lines[1].split(',').length).toBe(header.length);
    expect(lines[2]).toBe(lines[1]);
  });

  it("--gender-model judges gender by the model's classifier: a fearful man at 225 Hz is male, and his pitch high", () => {
    // RAVDESS actor 03 (a man), fearful, strong: the F0 rule (median < 160 Hz: male) says female,
    // and by the female cut points his raised voice is "low". Copied under a name that carries no
    // metadata (a RAVDESS name is metadata, like --gender).
    const copyDir = mkdtempSync(path.join(os.tmpdir(), 'et-gm-man-'));
    const man = path.join(copyDir, 'fearful-man.wav');
    writeFileSync(man, readFileSync(path.resolve(root, '../shared/data/ravdess/03-01-06-02-01-01-03.wav')));
    const rule = JSON.parse(run(['prosody', '--json', man]).stdout);
    expect(rule.gender).toEqual({ value: 'female', source: 'estimate' });
    expect(rule.levels.pitch_level).toBe('low');
    const byModel = run(['prosody', '--json', '--gender-model', 'default', man]);
    expect(byModel.status).toBe(0);
    const r = JSON.parse(byModel.stdout);
    expect(r.gender).toEqual({ value: 'male', source: 'estimate' });
    expect(r.levels.pitch_level).toBe('high');
    expect(r.caption.startsWith('A male (estimated) speaker talks with high pitch')).toBe(true);
    expect(r.functionals).toEqual(rule.functionals); // only the gender and what follows from it change
    // Metadata wins; stdin works.
    expect(JSON.parse(run(['prosody', '--json', '--gender', 'female', '--gender-model', 'default', man]).stdout).gender).toEqual({ value: 'female', source: 'metadata' });
    expect(JSON.parse(run(['prosody', '--json', '--gender-model', 'default', '-'], readFileSync(man)).stdout).gender.value).toBe('male');
    // A model without a classifier, or no model at all, is a clear error naming the file.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'et-gm-'));
    try {
      const json = JSON.parse(readFileSync(path.join(root, 'models', 'default.json'), 'utf8'));
      delete json.perception.gender;
      const bare = path.join(dir, 'bare.json');
      writeFileSync(bare, JSON.stringify(json));
      const e = run(['prosody', '--gender-model', bare, man]);
      expect(e.status).toBe(1);
      expect(e.stderr).toContain(`${bare}: this model has no gender classifier (perception.gender)`);
      expect(e.stdout).toBe('');
      const missing = run(['prosody', '--gender-model', path.join(dir, 'none.json'), man]);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/none\.json: cannot read model \(ENOENT\) \[ERR_FILE\]/);
      // Checked even where metadata makes it unused.
      expect(run(['prosody', '--gender', 'male', '--gender-model', bare, man]).stderr).toContain('has no gender classifier');
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(copyDir, { recursive: true, force: true });
    }
  });

  it('bad input and usage errors', () => {
    const r = run(['prosody', '--json', clip, '/no/such.wav']);
    expect(r.status).toBe(1);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/\/no\/such\.wav: cannot read audio file \(ENOENT\) \[ERR_FILE\]/);
    expect(run(['prosody', '--json', '--csv', clip]).status).toBe(2);
    expect(run(['prosody']).status).toBe(2);
  });
});
