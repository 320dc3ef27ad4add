// Outputs under failure, through the real CLI (dist/cli.js): a full disk (a child process under
// `ulimit -f`: Node ignores SIGXFSZ, so writes past the limit fail with EFBIG, as on a full
// disk), a read-only directory, an existing file that is not ours. The old file must survive
// every failure, and output problems must be ERR_FILE naming the output, found before the work.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const RAVDESS = path.resolve(root, '../shared/data/ravdess');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-data-loss-'));
// Readable by the unprivileged user the read-only tests run as (see asUser below).
chmodSync(tmp, 0o755);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const clip = (n: number) => path.join(RAVDESS, readdirSync(RAVDESS).sort()[n]);

interface RunOptions {
  /** File size limit in KiB (bash `ulimit -f`): writes past it fail with EFBIG. */
  limitKb?: number;
  /** Run as this uid/gid (setpriv), so permissions apply even when the tests run as root. */
  uid?: number;
}

function run(args: string[], o: RunOptions = {}): SpawnSyncReturns<string> {
  let cmd = [process.execPath, cli, ...args];
  if (o.uid !== undefined) cmd = ['setpriv', `--reuid=${o.uid}`, `--regid=${o.uid}`, '--clear-groups', ...cmd];
  if (o.limitKb !== undefined) cmd = ['bash', '-c', `ulimit -f ${o.limitKb}; exec "$@"`, 'bash', ...cmd];
  return spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' });
}

/** Whole-file outputs leave no temporary files behind, whatever happened. */
const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

function dir(name: string): string {
  const d = path.join(tmp, name);
  mkdirSync(d, { recursive: true });
  chmodSync(d, 0o755);
  return d;
}

/**
 * A read-only directory that binds the process writing into it. Permission bits do not bind
 * root, so as root the CLI runs as `nobody` through setpriv; null (with the reason) where no
 * real mechanism is available.
 */
function readOnlyDir(name: string): { dir: string; uid?: number } | string {
  const d = dir(name);
  chmodSync(d, 0o555);
  if (process.getuid?.() !== 0) return { dir: d };
  const probe = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(path.join(d, 'probe'))}, 'x')`]);
  if (probe.error) return 'running as root and setpriv is not available to drop privileges';
  if (probe.status === 0) return 'running as root and the unprivileged user could still write into a mode 555 directory';
  return { dir: d, uid: 65534 };
}

describe('annotate never touches an existing file that is not its output', () => {
  it('refuses a text file and a one-line JSON file without a final newline, byte for byte unchanged', () => {
    const d = dir('foreign');
    const notes = path.join(d, 'notes.txt');
    const text = 'shopping: eggs, milk, bread; call the plumber before 5 pm today\n';
    writeFileSync(notes, text);
    const r = run(['annotate', clip(0), clip(1), '--out', notes, '--quiet']);
    expect(r.status).toBe(2); // refused like an output that exists without --force
    expect(r.stderr).toMatch(/notes\.txt: line 1 is not a JSON record.*--force/);
    expect(readFileSync(notes, 'utf8')).toBe(text);

    const json = path.join(d, 'settings.json');
    writeFileSync(json, '{"theme":"dark","fontSize":14}');
    const j = run(['annotate', clip(0), '--out', json, '--quiet']);
    expect(j.status).toBe(2);
    expect(j.stderr).toMatch(/settings\.json: line 1 is not an annotate record \(audio_path and functionals\).*--force/);
    expect(readFileSync(json, 'utf8')).toBe('{"theme":"dark","fontSize":14}');
    // Another tool's JSONL that happens to name audio is not ours either.
    const other = path.join(d, 'dataset.jsonl');
    const rows = '{"audio_path":"a.wav","emotion":"happy"}\n{"audio_path":"b.wav","emotion":"sad"}\n';
    writeFileSync(other, rows);
    const o = run(['annotate', clip(0), '--out', other, '--quiet']);
    expect(o.status).toBe(2);
    expect(o.stderr).toMatch(/dataset\.jsonl: line 1 is not an annotate record/);
    expect(readFileSync(other, 'utf8')).toBe(rows);

    // A foreign line after valid records is refused too (the whole file is checked first).
    const mixed = path.join(d, 'mixed.jsonl');
    expect(run(['annotate', clip(0), '--out', mixed, '--quiet']).status).toBe(0);
    const before = readFileSync(mixed, 'utf8') + 'not a record\n';
    writeFileSync(mixed, before);
    const m = run(['annotate', clip(0), clip(1), '--out', mixed, '--quiet']);
    expect(m.status).toBe(2);
    expect(m.stderr).toMatch(/line 2 is not a JSON record/);
    expect(readFileSync(mixed, 'utf8')).toBe(before);

    // --force does start it again.
    expect(run(['annotate', clip(0), '--out', notes, '--force', '--quiet']).status).toBe(0);
    expect(JSON.parse(readFileSync(notes, 'utf8')).audio_path).toBe(clip(0));
  });

  it('keeps a whole last record that lost its final newline, and resumes after it', () => {
    const out = path.join(dir('nonl'), 'a.jsonl');
    expect(run(['annotate', clip(0), '--out', out, '--quiet']).status).toBe(0);
    writeFileSync(out, readFileSync(out, 'utf8').trimEnd());
    const r = run(['annotate', clip(0), clip(1), '--out', out, '--quiet']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/1 written, 1 already/);
    const lines = readFileSync(out, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l).audio_path)).toEqual([clip(0), clip(1)]);
  });
});

describe('a full disk never leaves a truncated output or destroys the old one', () => {
  it('report --force over a good report keeps it; a failed first write leaves no file and a rerun is not refused', () => {
    const d = dir('report');
    const html = path.join(d, 'r.html');
    expect(run(['report', clip(0), '--out', html]).status).toBe(0);
    const good = readFileSync(html);
    expect(good.length).toBeGreaterThan(40 * 1024);
    chmodSync(html, 0o640);
    const r = run(['report', clip(1), '--out', html, '--force'], { limitKb: 20 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${html}: cannot write the output (EFBIG)`);
    expect(r.stderr).toContain('[ERR_FILE]');
    expect(readFileSync(html).equals(good)).toBe(true);
    expect(leftovers(d)).toEqual([]);

    const fresh = path.join(d, 'fresh.html');
    expect(run(['report', clip(1), '--out', fresh], { limitKb: 20 }).status).toBe(1);
    expect(existsSync(fresh)).toBe(false);
    expect(leftovers(d)).toEqual([]);
    const again = run(['report', clip(1), '--out', fresh]);
    expect(again.status).toBe(0);
    expect(readFileSync(fresh, 'utf8')).toMatch(/<\/html>$/);

    // A successful --force replaces the content but keeps the file's mode.
    expect(run(['report', clip(1), '--out', html, '--force']).status).toBe(0);
    expect(readFileSync(html).equals(good)).toBe(false);
    expect(statSync(html).mode & 0o777).toBe(0o640);
  });

  it('calibrate and export-onnx leave no 0-byte or partial file, and keep an old one', () => {
    const d = dir('calibrate');
    const records = path.join(d, 'records.jsonl');
    expect(run(['annotate', clip(0), clip(1), clip(2), clip(3), '--out', records, '--quiet']).status).toBe(0);
    const cal = path.join(d, 'cal.json');
    const r = run(['calibrate', records, '--out', cal], { limitKb: 1 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cal\.json: cannot write the output \(EFBIG\).*\[ERR_FILE\]/);
    expect(existsSync(cal)).toBe(false);
    expect(run(['calibrate', records, '--out', cal]).status).toBe(0);
    const good = readFileSync(cal, 'utf8');
    expect(JSON.parse(good).version).toBe(1);
    expect(run(['calibrate', records, '--out', cal, '--force', '--min-group', '2'], { limitKb: 1 }).status).toBe(1);
    expect(readFileSync(cal, 'utf8')).toBe(good);

    const onnx = path.join(d, 'policy.onnx');
    expect(run(['export-onnx', '--out', onnx]).status).toBe(0);
    const model = readFileSync(onnx);
    expect(model.length).toBeGreaterThan(20 * 1024);
    const e = run(['export-onnx', '--out', onnx, '--force', '--input', 'standardized'], { limitKb: 8 });
    expect(e.status).toBe(1);
    expect(e.stderr).toMatch(/policy\.onnx: cannot write the output \(EFBIG\).*\[ERR_FILE\]/);
    expect(readFileSync(onnx).equals(model)).toBe(true);
    expect(leftovers(d)).toEqual([]);
  });

  it('annotate stops at the first failed write with one ERR_FILE, keeps whole records, and a rerun completes', () => {
    const d = dir('annotate-full');
    const out = path.join(d, 'a.jsonl');
    const clips = Array.from({ length: 16 }, (_, i) => clip(i));
    const r = run(['annotate', ...clips, '--out', out, '--quiet', '--concurrency', '2'], { limitKb: 6 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/a\.jsonl: cannot write the output \(EFBIG\) after \d+ new records.*\[ERR_FILE\]/);
    expect(r.stderr).not.toMatch(/failed:/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const text = readFileSync(out, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const partial = text.trim().split('\n').map((l) => JSON.parse(l).audio_path);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(clips.length);
    const again = run(['annotate', ...clips, '--out', out, '--quiet']);
    expect(again.status).toBe(0);
    const all = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l).audio_path);
    expect(all.slice(0, partial.length)).toEqual(partial);
    expect(new Set(all)).toEqual(new Set(clips));
    expect(all).toHaveLength(clips.length);
  });
});

describe('output problems are ERR_FILE naming the output, found before the work', () => {
  const ro = readOnlyDir('readonly');
  const skip = typeof ro === 'string' ? ro : '';
  it.skipIf(!!skip)(`a read-only output directory fails once, up front${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const { dir: d, uid } = ro as { dir: string; uid?: number };
    const clips = Array.from({ length: 12 }, (_, i) => clip(i));
    const out = path.join(d, 'a.jsonl');
    const a = run(['annotate', ...clips, '--out', out], { uid });
    expect(a.status).toBe(1);
    expect(a.stderr.trim()).toBe(`emotionthinker annotate: ${out}: the output directory ${d} is not writable (EACCES) [ERR_FILE]`);
    for (const [cmd, args] of [
      ['report', [clip(0)]],
      ['calibrate', [path.join(root, 'package.json')]],
      ['export-onnx', []],
    ] as const) {
      const o = path.join(d, `${cmd}.out`);
      const r = run([cmd, ...args, '--out', o], { uid });
      expect(r.status, cmd).toBe(1);
      expect(r.stderr, cmd).toContain(`emotionthinker ${cmd}: ${o}: the output directory ${d} is not writable (EACCES) [ERR_FILE]`);
    }
    expect(readdirSync(d)).toEqual([]);
  });

  it('refuses a directory, a missing directory and a FIFO as the output', () => {
    const d = dir('shapes');
    mkdirSync(path.join(d, 'sub'));
    const r = run(['report', clip(0), '--out', path.join(d, 'sub'), '--force']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${path.join(d, 'sub')}: the output is a directory; expected a file path [ERR_FILE]`);
    const missing = path.join(d, 'nowhere', 'r.html');
    const m = run(['annotate', clip(0), '--out', missing]);
    expect(m.status).toBe(1);
    expect(m.stderr).toContain(`${missing}: the output directory ${path.dirname(missing)} does not exist (ENOENT) [ERR_FILE]`);
    const fifo = path.join(d, 'pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const f = run(['calibrate', path.join(root, 'package.json'), '--out', fifo, '--force']);
    expect(f.status).toBe(1);
    expect(f.stderr).toContain(`${fifo}: the output is not a regular file`);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('a directory or device as the output is ERR_FILE without --force too (it was "exists; pass --force")', () => {
    const d = dir('shapes-noforce');
    mkdirSync(path.join(d, 'sub'));
    const r = run(['report', clip(0), '--out', path.join(d, 'sub')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the output is a directory; expected a file path [ERR_FILE]');
    const dev = run(['calibrate', path.join(root, 'package.json'), '--out', '/dev/null']);
    expect(dev.status).toBe(1);
    expect(dev.stderr).toContain('/dev/null: the output is not a regular file');
    const empty = run(['report', clip(0), '--out', '']);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('the output path is empty');
  });

  it('refuses, even with --force, an output that is one of the inputs (by path, hard link or symlink), byte for byte unchanged', () => {
    const d = dir('same-file');
    const wav = path.join(d, 'in.wav');
    copyFileSync(clip(0), wav);
    const before = readFileSync(wav);
    symlinkSync(wav, path.join(d, 'link.wav'));
    const cases = [
      ['annotate', wav, '--out', wav, '--force', '--quiet'],
      ['report', wav, '--out', wav, '--force'],
      ['report', path.join(d, 'link.wav'), '--out', wav, '--force'],
    ];
    for (const args of cases) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/the output is .*\.wav, which this command also reads or writes; writing it would destroy that file.*\[ERR_INVALID_ARG\]/);
      expect(readFileSync(wav).equals(before)).toBe(true);
    }
    // audit: --html on --out, and --out on the responses.
    const responses = path.join(d, 'r.jsonl');
    writeFileSync(responses, JSON.stringify({ audio: wav, response: '<answer>happy</answer>' }) + '\n');
    const both = run(['audit', responses, '--out', path.join(d, 'a.jsonl'), '--html', path.join(d, 'a.jsonl')]);
    expect(both.status).toBe(2);
    expect(existsSync(path.join(d, 'a.jsonl'))).toBe(false);
    const over = run(['audit', responses, '--out', responses, '--force']);
    expect(over.status).toBe(2);
    expect(readFileSync(responses, 'utf8')).toContain('<answer>happy</answer>');
  });

  it('writes through a symlink: the link stays, its target gets the new content', () => {
    const d = dir('symlink');
    mkdirSync(path.join(d, 'real'));
    const target = path.join(d, 'real', 'r.html');
    writeFileSync(target, 'old');
    const link = path.join(d, 'link.html');
    symlinkSync(path.join('real', 'r.html'), link);
    expect(run(['report', clip(0), '--out', link, '--force']).status).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(path.join('real', 'r.html'));
    expect(readFileSync(target, 'utf8')).toMatch(/^<!doctype html>/);
    expect(leftovers(d)).toEqual([]);
    expect(leftovers(path.join(d, 'real'))).toEqual([]);
  });
});

describe('text output escapes terminal control characters in file names', () => {
  it('analyze and prosody print \\u001b instead of ESC; --json keeps the exact name', () => {
    const d = dir('names');
    const evil = path.join(d, 'clip\x1b]0;pwned\x07\x9b2J\x7f.wav');
    copyFileSync(clip(0), evil);
    for (const cmd of ['analyze', 'prosody', 'info']) {
      const r = run([cmd, evil]);
      expect(r.status, cmd).toBe(0);
      expect(r.stdout, cmd).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
      expect(r.stdout, cmd).toContain('clip\\u001b]0;pwned\\u0007\\u009b2J\\u007f.wav: ');
    }
    const missing = run(['analyze', path.join(d, 'gone\x1b[2J.wav')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).not.toContain('\x1b');
    expect(missing.stderr).toContain('gone\\u001b[2J.wav');
    const j = run(['analyze', '--json', evil]);
    expect(j.status).toBe(0);
    expect(JSON.parse(j.stdout).file).toBe(evil);
  });
});
