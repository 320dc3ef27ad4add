// A live stream inside a worker thread that is terminated mid-stream (native pushes running on
// the thread pool) leaves the process alive and the addon usable (test/fixtures/stream-worker.mjs;
// needs dist/: npx tsc -p tsconfig.json).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const clip = path.resolve(root, '../shared/data/ravdess/03-01-05-02-01-01-14.wav');

describe('createProsodyStream in a worker thread', () => {
  it('terminating the worker mid-stream leaves the process alive', () => {
    if (!existsSync(path.join(root, 'dist', 'index.js'))) throw new Error('build first: dist/index.js is missing');
    const r = spawnSync(process.execPath, [path.join(root, 'test/fixtures/stream-worker.mjs'), clip], { encoding: 'utf8', timeout: 120_000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(out.worker).toBe('frames flowing');
    expect(out.after).toEqual(['speech-start', 'speech-end', 'utterance']);
  });
});
