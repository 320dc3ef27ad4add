// A bad flag value is a usage error (exit 2) that names the flag and the value. Before, the
// numeric flags' parsers threw errors commander passes through unprinted (exit 2, nothing on
// stderr), a library option's range was checked per file (exit 1, named by its API key), and
// --concurrency had no upper bound (a billion workers exhausted the heap).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const clip = path.resolve(root, '../shared/data/ravdess/03-01-04-01-02-01-14.wav');
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });

describe('command-line flag values', () => {
  const cases: [string[], RegExp][] = [
    [['info', clip, '--rate', '0'], /option '--rate <hz>' argument '0' is invalid\. Expected an integer in \[1000, 768000\]/],
    [['info', clip, '--rate', '999999999'], /argument '999999999' is invalid/],
    [['info', clip, '--rate', 'abc'], /argument 'abc' is invalid/],
    [['f0', clip, '--hop', '0'], /option '--hop <seconds>' argument '0' is invalid\. Expected a number in \[0\.001, 0\.1\] s/],
    [['f0', clip, '--hop', ''], /option '--hop <seconds>' argument '' is invalid/],
    [['f0', clip, '--min', '-5'], /option '--min <hz>' argument '-5' is invalid/],
    [['annotate', clip, '--out', '-', '--concurrency', '1000000000'], /option '--concurrency <n>' argument '1000000000' is invalid\. Expected an integer in \[1, 1024\]/],
    [['annotate', clip, '--out', '-', '--concurrency', '1.5'], /argument '1\.5' is invalid/],
    [['calibrate', 'x.jsonl', '--out', 'y.json', '--min-group', '-1'], /option '--min-group <n>' argument '-1' is invalid/],
    [['serve', '--port', 'abc'], /option '--port <n>' argument 'abc' is invalid/],
    [['serve', '--port', '70000'], /argument '70000' is invalid\. Expected an integer in \[0, 65535\]/],
    [['verify', clip, '--text', '-', '--emotion', 'robot'], /option '--emotion <label>' argument 'robot' is invalid\. the reference emotion "robot" is not one of the labels/],
    [['verify', clip, '--text', '-', '--gender', 'alien'], /option '--gender <gender>' argument 'alien' is invalid/],
  ];
  it.each(cases)('%j exits 2 naming the flag and value', (args, message) => {
    const r = run(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});
