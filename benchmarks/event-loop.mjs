#!/usr/bin/env node
// Event-loop delay during each long public async call on a 10-minute 48 kHz stereo FLAC:
// perf_hooks.monitorEventLoopDelay (1 ms resolution) runs only while the call is in flight, and
// a 1 ms interval timer keeps the loop asking to run, so any synchronous stretch shows up as
// delay. Goal (issue #14): max ≤ 20 ms for every call.
// Usage: npm run build && node --expose-gc benchmarks/event-loop.mjs [--dist DIR] [--file F.flac] [--only a,b] [--json]
//   --expose-gc: a full GC between calls, so one call's garbage is not collected (and counted)
//   during the next one.
//   --dist: the built package to measure (default ../dist; another checkout's dist gives "before").
// The file is made with sox from the RAVDESS clips in ../shared/data when --file is not given.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const dist = path.resolve(arg('--dist') ?? path.join(here, '../dist'));
const only = arg('--only')?.split(',');
const api = await import(pathToFileURL(path.join(dist, 'index.js')).href);
const report = await import(pathToFileURL(path.join(dist, 'report.js')).href);

function makeFile(tmp) {
  const dir = path.resolve(here, '../../shared/data/ravdess-48k');
  const clips = readdirSync(dir).filter((f) => f.endsWith('.wav')).sort();
  const parts = clips.map((f, i) => {
    const p = path.join(tmp, `p${i}.wav`);
    execFileSync('sox', [path.join(dir, f), '-c', '1', '-r', '48000', '-b', '16', p]);
    return p;
  });
  const base = path.join(tmp, 'base.wav');
  execFileSync('sox', [...parts, base]);
  const out = path.join(tmp, 'long-10min-48k-stereo.flac');
  // Right channel: the left at 0.8 gain, so a channel mix is not a no-op.
  execFileSync('sox', [base, '-c', '2', '-b', '16', out, 'remix', '1', '1v0.8', 'repeat', '200', 'trim', '0', '600']);
  return out;
}

async function measure(name, call) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  // busyMaxMs: the longest time the loop was active between two ticks of a 1 ms timer
  // (eventLoopUtilization's `active`). On a loaded machine a delay can also come from the
  // thread waiting for a core while idle; that shows in maxMs but not in busyMaxMs.
  let elu = performance.eventLoopUtilization();
  let busyMax = 0;
  const tick = setInterval(() => {
    const d = performance.eventLoopUtilization(elu);
    elu = performance.eventLoopUtilization();
    busyMax = Math.max(busyMax, d.active);
  }, 1);
  h.enable();
  const t0 = performance.now();
  await call();
  const wall = performance.now() - t0;
  h.disable();
  clearInterval(tick);
  // The histogram counts the timer's own 1 ms period in every sample: subtract it.
  const ms = (ns) => Math.max(0, ns / 1e6 - 1);
  return {
    call: name,
    maxMs: +ms(h.max).toFixed(1),
    p99Ms: +ms(h.percentile(99)).toFixed(1),
    busyMaxMs: +busyMax.toFixed(1),
    wallS: +(wall / 1000).toFixed(2),
  };
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-evloop-'));
try {
  const file = arg('--file') ?? makeFile(tmp);
  if (!existsSync(file)) throw new Error(`no such file: ${file}`);
  const GRPO_CALL = 'logitsLossAsync (512 MB)';
  const grpo = !only || only.includes(GRPO_CALL) ? grpoInputs() : null; // made before, not measured
  const calls = {
    loadAudio: () => api.loadAudio(file),
    'loadAudio(16k mono)': () => api.loadAudio(file, { sampleRate: 16000, mono: true }),
    extractProsody: () => api.extractProsody(file),
    extractF0: () => api.extractF0(file),
    extractProsodyBatch: () => api.extractProsodyBatch([file]),
    analyze: () => api.analyze(file),
    report: () => report.buildReport(file),
    detectSpeech: () => api.detectSpeech(file),
    // Not audio: GRPO on 512 MB of float32 logits (2048 tokens × 65,536 vocabulary), the size a
    // policy step on a real LLM hands over. The inputs are copied a slice per turn of the loop;
    // before, the binding copied them and the gradient back in one piece each.
    'logitsLossAsync (512 MB)': () => api.logitsLossAsync(grpo, { beta: 0 }),
  };
  function grpoInputs() {
    const N = 2048, V = 65536;
    const logits = new Float32Array(N * V);
    for (let i = 0; i < logits.length; i += 7) logits[i] = Math.sin(i);
    return {
      logits,
      labels: new Int32Array(N).map((_, i) => (i * 7919) % V),
      oldLogp: new Float64Array(N).fill(-Math.log(V)),
      advantages: new Float64Array(N).map((_, i) => (i % 3) - 1),
    };
  }
  // Warm-up: module loading, WASM compilation and the model load are not what is measured.
  api.defaultModel();
  await api.extractProsody(path.join(path.resolve(here, '../../shared/data/ravdess-48k'), readdirSync(path.resolve(here, '../../shared/data/ravdess-48k'))[0]));
  const rows = [];
  for (const [name, call] of Object.entries(calls)) {
    if (only && !only.includes(name)) continue;
    rows.push(await measure(name, call));
    if (globalThis.gc) globalThis.gc();
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify(rows));
  if (!globalThis.gc) console.log('(run with node --expose-gc for a GC between calls)');
  console.log(`dist: ${dist}\nfile: ${file} (10 min, 48 kHz stereo FLAC)\nnode ${process.version}, ${os.availableParallelism()} cores`);
  console.table(rows);
  const worst = Math.max(...rows.map((r) => r.maxMs));
  const busiest = Math.max(...rows.map((r) => r.busyMaxMs));
  console.log(`worst max delay ${worst} ms, longest busy stretch ${busiest} ms (goal ≤ 20 ms); load average ${os.loadavg()[0].toFixed(1)} on ${os.availableParallelism()} cores`);
  await api.disposeSharedVad?.();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
