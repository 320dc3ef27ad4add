// CUDA prosody batch (native/cuda/prosody_cuda.cu). Without a GPU: the fallback to the CPU with a
// stated reason, through the API and `annotate --backend cuda`. With a GPU: parity with the CPU
// path on the shared corpora at the bar (≥ 99.5 % of frames with the same voicing,
// |ΔF0| < 1 cent, functionals within 1e-3 relative), bad clips reported in place, the benchmark
// entry point. The decomposition itself is checked on every machine by the native ctest
// f0_staged (native/tests/f0_staged_test.cpp), which runs the GPU's split on the CPU.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backends, benchmarkProsodyCuda, EmotionThinkerError, extractProsody, extractProsodyBatch, loadAudio } from '../src/index.js';

const root = path.resolve(__dirname, '..');
const data = path.resolve(root, '../shared/data');
const cuda = backends().cuda;
const ravdess = readdirSync(path.join(data, 'ravdess')).filter((f) => f.endsWith('.wav')).sort().map((f) => path.join(data, 'ravdess', f));
const fda = readdirSync(path.join(data, 'fda-ue')).filter((f) => f.endsWith('.wav')).sort().map((f) => path.join(data, 'fda-ue', f));

describe('CUDA prosody without a GPU', () => {
  it.skipIf(cuda.available)("backend 'cuda' falls back to the CPU, says why, and gives the CPU's results", async () => {
    const files = ravdess.slice(0, 3);
    const told: [string, string | undefined][] = [];
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    const items = await extractProsodyBatch(files, { backend: 'cuda', onBackend: (b, r) => told.push([b, r]) });
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    expect(told).toHaveLength(1);
    expect(told[0][0]).toBe('cpu');
    expect(told[0][1]).toMatch(/CUDA prosody unavailable \(.+\); ran on the CPU/);
    expect(told[0][1]).toContain(cuda.reason);
    for (const [k, it] of items.entries()) {
      expect(it.backend).toBe('cpu');
      expect(it.fallbackReason).toBe(told[0][1]);
      const cpu = await extractProsody(files[k], { backend: 'cpu' });
      expect(it.result!.functionals).toEqual(cpu.functionals);
    }
    expect(warnings.some((w) => w.includes('ran on the CPU'))).toBe(true);
  });

  it.skipIf(cuda.available)('the benchmark entry point refuses with ERR_BACKEND_UNAVAILABLE and the reason', async () => {
    const err = await benchmarkProsodyCuda([new Int16Array(16000)], {}, 1).catch((e) => e);
    expect(err).toBeInstanceOf(EmotionThinkerError);
    expect(err.code).toBe('ERR_BACKEND_UNAVAILABLE');
    expect(err.message).toMatch(/CUDA is not available/);
  });

  it.skipIf(cuda.available)('annotate --backend cuda prints the reason and writes the same records as the CPU', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'et-annotate-cuda-'));
    const files = ravdess.slice(0, 2);
    const cli = path.join(root, 'dist', 'cli.js');
    const run = (out: string, backend: string) =>
      spawnSync(process.execPath, [cli, 'annotate', ...files, '--out', out, '--backend', backend], { encoding: 'utf8' });
    const gpu = run(path.join(dir, 'gpu.jsonl'), 'cuda');
    expect(gpu.status, gpu.stderr).toBe(0);
    expect(gpu.stderr).toMatch(/annotate: CUDA prosody unavailable \(.+\); ran on the CPU/);
    const cpu = run(path.join(dir, 'cpu.jsonl'), 'cpu');
    expect(cpu.status, cpu.stderr).toBe(0);
    expect(cpu.stderr).not.toMatch(/unavailable/);
    // Same records; the CPU path writes them in completion order.
    const lines = (f: string) => readFileSync(path.join(dir, f), 'utf8').trim().split('\n').sort();
    expect(lines('gpu.jsonl')).toEqual(lines('cpu.jsonl'));
    expect(lines('gpu.jsonl')).toHaveLength(2);
  }, 60_000);
});

describe('batch options', () => {
  it('are checked once, before any clip: a bad vad, genders of the wrong length', async () => {
    const files = ravdess.slice(0, 2);
    await expect(extractProsodyBatch(files, { backend: 'cuda', vad: 'webrtc' as 'silero' })).rejects.toThrow(/option "vad" must be 'energy' or 'silero'/);
    await expect(extractProsodyBatch(files, { genders: ['female'] })).rejects.toThrow(/option "genders" must be an array with one entry per input \(2\)/);
    const items = await extractProsodyBatch(files, { backend: 'cpu', genders: ['female', undefined] });
    expect(items[0].result?.gender).toEqual({ value: 'female', source: 'metadata' });
    expect(items[1].result?.gender?.source).toBe('estimate');
  });
});

function relClose(a: number | null, b: number | null, rel: number): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
}

describe('CUDA prosody on a GPU', () => {
  it.runIf(cuda.available)(
    'matches the CPU path on fda-ue and ravdess: voicing, F0 within 1 cent, functionals within 1e-3',
    async () => {
      const files = [...fda, ...ravdess];
      const gpu = await extractProsodyBatch(files, { backend: 'cuda' });
      const cpu = await extractProsodyBatch(files, { backend: 'cpu' });
      let frames = 0,
        same = 0,
        both = 0,
        cent = 0,
        fnTotal = 0,
        fnClose = 0;
      const worst: string[] = [];
      for (let k = 0; k < files.length; k++) {
        expect(gpu[k].backend).toBe('cuda');
        const g = gpu[k].result!,
          c = cpu[k].result!;
        expect(g.frames.f0.length).toBe(c.frames.f0.length);
        for (let i = 0; i < c.frames.f0.length; i++) {
          frames++;
          const vg = !Number.isNaN(g.frames.f0[i]),
            vc = !Number.isNaN(c.frames.f0[i]);
          if (vg === vc) same++;
          if (vg && vc) {
            both++;
            if (Math.abs(1200 * Math.log2(g.frames.f0[i] / c.frames.f0[i])) < 1) cent++;
          }
        }
        for (const [key, v] of Object.entries(c.functionals)) {
          fnTotal++;
          if (relClose((g.functionals as Record<string, number | null>)[key], v, 1e-3)) fnClose++;
          else if (worst.length < 10) worst.push(`${path.basename(files[k])} ${key}: cpu ${v} gpu ${(g.functionals as Record<string, number | null>)[key]}`);
        }
      }
      console.log(`CUDA vs CPU: ${frames} frames, same voicing ${((100 * same) / frames).toFixed(3)}%, <1 cent ${((100 * cent) / both).toFixed(3)}% of ${both}, functionals within 1e-3 ${((100 * fnClose) / fnTotal).toFixed(3)}%`);
      if (worst.length) console.log(worst.join('\n'));
      expect(same / frames).toBeGreaterThanOrEqual(0.995);
      expect(cent / both).toBeGreaterThanOrEqual(0.995);
      expect(fnClose / fnTotal).toBeGreaterThanOrEqual(0.995);
    },
    600_000,
  );

  it.runIf(cuda.available)('a bad clip is reported in place; the others are analysed', async () => {
    const good = await loadAudio(ravdess[0]);
    const bad = new Float32Array(good.samples);
    bad[1234] = Number.NaN;
    const items = await extractProsodyBatch(
      [good, { samples: bad, sampleRate: good.sampleRate, channels: 1 }, { samples: new Float32Array(10), sampleRate: 16000, channels: 1 }],
      { backend: 'cuda' },
    );
    expect(items[0].result).toBeDefined();
    expect(items[1].error?.code).toBe('ERR_INVALID_ARG');
    expect(items[1].error?.message).toMatch(/sample 1234 is NaN/);
    expect(items[2].result?.frames.f0.length).toBe(0);
  });

  it.runIf(cuda.available)('the benchmark entry point times int16 audio end to end', async () => {
    const t = await benchmarkProsodyCuda([new Int16Array(16000 * 60).map((_, i) => Math.round(8000 * Math.sin(i / 20)))], {}, 2);
    expect(t).toHaveLength(2);
    expect(t[0].frames).toBe(6001);
    expect(t[0].totalMs).toBeGreaterThan(0);
  });
});
