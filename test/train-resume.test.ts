// `emotionthinker train` killed (SIGKILL) at random steps and resumed from its checkpoint, through
// the real CLI on real RAVDESS clips: the final parameters must be bit-identical to an
// uninterrupted run's, and --metrics must hold exactly one line per step (resuming used to
// append the steps after the checkpoint again: 462 lines for 250 steps after 6 kills).
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rng } from './helpers/rng.js';

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const RAVDESS = path.resolve(root, '../shared/data/ravdess');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-train-resume-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Small and cheap: actors 1–2 (120 clips), 80 supervised + 40 RL steps; the CLI checkpoints
// every 50 steps and at the end, so at steps 50, 100 and 120.
const SFT = 80;
const RL = 40;
const TOTAL = SFT + RL;
const data = path.join(tmp, 'data');
mkdirSync(data);
for (const f of readdirSync(RAVDESS).filter((f) => /^03-01-\d\d-\d\d-\d\d-\d\d-0[12]\.wav$/.test(f))) copyFileSync(path.join(RAVDESS, f), path.join(data, f));
const cache = path.join(tmp, 'features.json');

const args = (dir: string) => [
  cli, 'train', '--data', data, '--train-actors', '1-2', '--val-actors', '', '--seed', '3',
  '--sft-steps', String(SFT), '--steps', String(RL), '--cache', cache,
  '--metrics', path.join(dir, 'metrics.jsonl'), '--checkpoint', path.join(dir, 'ckpt.json'), '--out', path.join(dir, 'model.json'),
];
/** The step of the last whole line in the metrics file (0 if none). */
function lastStep(file: string): number {
  if (!existsSync(file)) return 0;
  const text = readFileSync(file, 'utf8');
  const whole = text.slice(0, text.lastIndexOf('\n')).split('\n').filter(Boolean);
  return whole.length ? (JSON.parse(whole[whole.length - 1]) as { step: number }).step : 0;
}

/** Starts a training run and SIGKILLs it once its metrics file shows step `step`. */
async function runAndKill(argv: string[], metrics: string, step: number): Promise<void> {
  const child = spawn(process.execPath, argv, { stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  while (lastStep(metrics) < step && child.exitCode === null) await new Promise((r) => setTimeout(r, 3));
  expect(child.exitCode, `the run ended before step ${step}`).toBeNull();
  child.kill('SIGKILL');
  await exited;
}

describe('train resume', () => {
  it('killed at random steps and resumed: bit-identical parameters, one metrics line per step', async () => {
    const whole = path.join(tmp, 'whole');
    mkdirSync(whole);
    const base = spawnSync(process.execPath, args(whole), { encoding: 'utf8' });
    expect(base.status, base.stderr).toBe(0);

    const dir = path.join(tmp, 'killed');
    mkdirSync(dir);
    const metrics = path.join(dir, 'metrics.jsonl');
    const ckpt = path.join(dir, 'ckpt.json');
    // Increasing kill points: one before the first checkpoint (a fresh restart), then twice
    // between the checkpoints and once after the second, each past lines the resume must drop.
    const r = rng(14);
    const pick = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
    const kills = [pick(10, 45), pick(55, 70), pick(72, 95), pick(104, 116)];
    let resumedFromMid = 0;
    for (const at of kills) {
      const resume = existsSync(ckpt);
      if (resume && JSON.parse(readFileSync(ckpt, 'utf8')).step < lastStep(metrics)) resumedFromMid++;
      await runAndKill([...args(dir), ...(resume ? ['--resume', ckpt] : ['--force'])], metrics, at);
    }
    expect(resumedFromMid, `kills at ${kills}`).toBeGreaterThanOrEqual(2);
    const last = spawnSync(process.execPath, [...args(dir), '--resume', ckpt], { encoding: 'utf8' });
    expect(last.status, last.stderr).toBe(0);

    const params = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as { step: number; params: number[]; adam: { t: number } };
    const a = params(path.join(whole, 'ckpt.json'));
    const b = params(ckpt);
    expect(b.step).toBe(TOTAL);
    expect(Buffer.from(Float64Array.from(b.params).buffer).equals(Buffer.from(Float64Array.from(a.params).buffer))).toBe(true);
    expect(b.adam.t).toBe(a.adam.t);
    expect(JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')).policy).toEqual(JSON.parse(readFileSync(path.join(whole, 'model.json'), 'utf8')).policy);

    const lines = readFileSync(metrics, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number });
    expect(lines.map((m) => m.step)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
    // The recomputed steps report what the uninterrupted run reported.
    expect(lines).toEqual(readFileSync(path.join(whole, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)));
  });

  it('a full disk while writing the checkpoint or the model keeps the old file', () => {
    // `ulimit -f` (KiB) in a child: Node ignores SIGXFSZ, so a write past the limit fails with
    // EFBIG as on a full disk. The checkpoint is ~1.2 MB, the model ~0.3 MB, the cache exists.
    const dir = path.join(tmp, 'whole');
    const limited = (kb: number, argv: string[]) => spawnSync('bash', ['-c', `ulimit -f ${kb}; exec "$@"`, 'bash', process.execPath, ...argv], { encoding: 'utf8' });
    const short = (argv: string[]) => argv.map((a, i) => (argv[i - 1] === '--sft-steps' ? '10' : argv[i - 1] === '--steps' ? '5' : a));
    const ckpt = path.join(dir, 'ckpt.json');
    const model = path.join(dir, 'model.json');
    const oldCkpt = readFileSync(ckpt);
    const oldModel = readFileSync(model);
    // 15 steps: the checkpoint is written at the last step, before the model.
    const c = limited(800, [...short(args(dir)), '--force']);
    expect(c.status).toBe(1);
    expect(c.stderr).toContain(`emotionthinker train: ${ckpt}: cannot write the output (EFBIG); any previous file is unchanged [ERR_FILE]`);
    expect(readFileSync(ckpt).equals(oldCkpt)).toBe(true);
    expect(readFileSync(model).equals(oldModel)).toBe(true);
    const noCkpt = short(args(dir)).filter((a, i, all) => a !== '--checkpoint' && all[i - 1] !== '--checkpoint');
    const m = limited(200, [...noCkpt, '--force']);
    expect(m.status).toBe(1);
    expect(m.stderr).toContain(`emotionthinker train: ${model}: cannot write the output (EFBIG); any previous file is unchanged [ERR_FILE]`);
    expect(readFileSync(model).equals(oldModel)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a fresh run refuses an existing --metrics file without --force', () => {
    const dir = path.join(tmp, 'whole');
    const before = readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8');
    const argv = args(dir).map((a) => (a.endsWith('model.json') ? path.join(tmp, 'other-model.json') : a));
    const r = spawnSync(process.execPath, argv, { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${path.join(dir, 'metrics.jsonl')} exists; pass --force to overwrite it`);
    expect(readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')).toBe(before);
    expect(existsSync(path.join(tmp, 'other-model.json'))).toBe(false);
  });

  it('--members 2 trains an ensemble: member 0 is the single run at --seed, member 1 at seed + 1000', () => {
    const out = path.join(tmp, 'ensemble.json');
    const argv = [cli, 'train', '--data', data, '--train-actors', '1-2', '--val-actors', '', '--seed', '3', '--sft-steps', String(SFT), '--steps', String(RL), '--cache', cache, '--members', '2', '--out', out];
    const r = spawnSync(process.execPath, argv, { encoding: 'utf8' });
    expect(r.stderr).toContain(`train: wrote ${out}`);
    expect(r.status).toBe(0);
    const m = JSON.parse(readFileSync(out, 'utf8'));
    const single = JSON.parse(readFileSync(path.join(tmp, 'whole', 'model.json'), 'utf8'));
    expect(m.policy.params).toEqual(single.policy.params);
    expect(m.ensemble).toHaveLength(1);
    expect(m.ensemble[0].params).not.toEqual(single.policy.params);
    expect(m.info).toMatchObject({ members: 2, memberSeeds: [3, 1003] });
    // One checkpoint and one metrics stream follow one run; too many members are refused.
    const withCkpt = spawnSync(process.execPath, [...argv.slice(0, -4), '--members', '2', '--checkpoint', path.join(tmp, 'e.ckpt'), '--out', path.join(tmp, 'e2.json')], { encoding: 'utf8' });
    expect(withCkpt.status).toBe(2);
    expect(withCkpt.stderr).toMatch(/--metrics, --checkpoint and --resume follow one training run; use them with --members 1 \[ERR_INVALID_ARG\]/);
    const tooMany = spawnSync(process.execPath, [...argv.slice(0, -4), '--members', '17', '--out', path.join(tmp, 'e3.json')], { encoding: 'utf8' });
    expect(tooMany.status).toBe(2);
    expect(tooMany.stderr).toMatch(/option '--members <n>' argument '17' is invalid\. Expected an integer in \[1, 16\]/);
    expect(existsSync(path.join(tmp, 'e2.json')) || existsSync(path.join(tmp, 'e3.json'))).toBe(false);
  }, 300_000);
});

describe('train and eval refuse outputs that would destroy something, and bad actor lists, before any work', () => {
  it('same-file outputs, an input as an output, a --cache or --checkpoint that is someone else\'s file, overlapping or impossible actors: exit 2, every file unchanged', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'et-train-guard-'));
    try {
      const clips = readdirSync(RAVDESS).filter((f) => /-0[12]\.wav$/.test(f)).slice(0, 4);
      const dataDir = path.join(dir, 'data');
      mkdirSync(dataDir);
      for (const f of clips) copyFileSync(path.join(RAVDESS, f), path.join(dataDir, f));
      const clip = path.join(dataDir, clips[0]);
      const clipBytes = readFileSync(clip);
      const notes = path.join(dir, 'notes.txt');
      writeFileSync(notes, 'my notes\n');
      const base = [cli, 'train', '--data', dataDir, '--train-actors', '1', '--val-actors', '2', '--sft-steps', '2', '--steps', '2'];
      const cases: [string[], RegExp][] = [
        [['--out', path.join(dir, 'm.json'), '--metrics', path.join(dir, 'x.json'), '--checkpoint', path.join(dir, 'x.json')], /--metrics and --checkpoint are the same file/],
        [['--out', path.join(dir, 'm.json'), '--metrics', path.join(dir, 'm.json')], /--out and --metrics are the same file/],
        [['--out', path.join(dir, 'm.json'), '--cache', clip], /--cache .* is one of the inputs; writing it would destroy it/],
        [['--out', clip, '--force'], /--out .* is one of the inputs/],
        [['--out', path.join(dir, 'm.json'), '--checkpoint', notes], /--checkpoint .*notes\.txt exists and is not a checkpoint; it was left unchanged/],
        [['--out', path.join(dir, 'm.json'), '--cache', notes], /notes\.txt: exists and is not a feature cache \(not JSON\); it was left unchanged/],
        [['--out', path.join(dir, 'm.json'), '--train-actors', '1-2', '--val-actors', '2'], /--val-actors and --train-actors share actor 2/],
        [['--out', path.join(dir, 'm.json'), '--train-actors', '1-4000000000'], /option '--train-actors <list>' argument '1-4000000000' is invalid\. --train-actors: actors are 1 to 24/],
        [['--out', path.join(dir, 'm.json'), '--val-actors', '99'], /--val-actors: actors are 1 to 24; got 99/],
      ];
      for (const [extra, message] of cases) {
        const r = spawnSync(process.execPath, [...base, ...extra], { encoding: 'utf8', timeout: 120_000 });
        expect(r.status, extra.join(' ')).toBe(2);
        expect(r.stderr).toMatch(message);
      }
      expect(readFileSync(clip).equals(clipBytes)).toBe(true);
      expect(readFileSync(notes, 'utf8')).toBe('my notes\n');
      expect(existsSync(path.join(dir, 'm.json'))).toBe(false);
      const ev = spawnSync(process.execPath, [cli, 'eval', '--data', dataDir, '--actors', '1', '--cache', clip], { encoding: 'utf8' });
      expect(ev.status).toBe(2);
      expect(ev.stderr).toMatch(/--cache .* is one of the inputs/);
      expect(readFileSync(clip).equals(clipBytes)).toBe(true);
      // A dangling link and a junk clip are skipped and named (once each), the rest is used: exit 1.
      symlinkSync(path.join(dir, 'nowhere.wav'), path.join(dataDir, '03-01-05-01-01-01-01.wav'));
      writeFileSync(path.join(dataDir, '03-01-05-01-01-02-02.wav'), 'junk');
      const skip = spawnSync(process.execPath, [...base, '--out', path.join(dir, 'm2.json'), '--cache', path.join(dir, 'c.json')], { encoding: 'utf8', timeout: 300_000 });
      expect(skip.status).toBe(1);
      expect(skip.stderr).toMatch(/03-01-05-01-01-01-01\.wav: cannot read it \(ENOENT\)/);
      expect(skip.stderr).toMatch(/03-01-05-01-01-02-02\.wav: file too small to hold audio/);
      expect(skip.stderr).toContain(`train: wrote ${path.join(dir, 'm2.json')}`);
      const evalSkip = spawnSync(process.execPath, [cli, 'eval', '--data', dataDir, '--actors', '2', '--model', path.join(dir, 'm2.json'), '--cache', path.join(dir, 'c.json')], { encoding: 'utf8' });
      expect(evalSkip.status).toBe(1);
      expect(evalSkip.stderr).toMatch(/eval: skipped .*03-01-05-01-01-02-02\.wav: file too small to hold audio/);
      expect(JSON.parse(evalSkip.stdout).skipped).toBe(1);
      // A device as --resume is named, not read until memory runs out.
      const dev = spawnSync(process.execPath, [...base, '--out', path.join(dir, 'm.json'), '--resume', '/dev/zero'], { encoding: 'utf8', timeout: 60_000 });
      expect(dev.status).toBe(1);
      expect(dev.stderr).toContain('/dev/zero: cannot read checkpoint: not a regular file');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
