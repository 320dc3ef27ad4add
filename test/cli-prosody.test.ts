import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

  it('bad input and usage errors', () => {
    const r = run(['prosody', '--json', clip, '/no/such.wav']);
    expect(r.status).toBe(1);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/\/no\/such\.wav: cannot read audio file \(ENOENT\) \[ERR_FILE\]/);
    expect(run(['prosody', '--json', '--csv', clip]).status).toBe(2);
    expect(run(['prosody']).status).toBe(2);
  });
});
