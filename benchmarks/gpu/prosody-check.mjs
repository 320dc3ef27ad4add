#!/usr/bin/env node
// CUDA prosody on a GPU machine (run by benchmarks/gpu/run.sh): parity with the CPU path on the
// carried clips (all of fda-ue and every 12th RAVDESS clip, .carry/data; ~52 MB carried with Node and the addon, under the 64 MiB limit), then timings: one hour
// of 16 kHz int16 audio from page-locked host memory to per-frame tracks on the host, and the
// throughput curve over clip lengths 1 s – 10 min and batches of 1 – 10,000 clips. Uses the raw
// addon only (no node_modules there). Writes the hour as raw int16 for torch_yin.py and prints
// one JSON object.
//   EMOTIONTHINKER_ADDON=build/Release/emotionthinker.node node benchmarks/gpu/prosody-check.mjs [dataDir] [hourOut]
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const real = require(path.resolve(process.env.EMOTIONTHINKER_ADDON ?? 'build/Release/emotionthinker.node'));
const args = process.argv.slice(2).filter((a) => a !== '--dry-run');
const dry = process.argv.includes('--dry-run');
const dataDir = args[0] ?? '.carry/data';
const hourOut = args[1] ?? '/tmp/et-hour.s16';
// --dry-run (no GPU): the CPU stands in for the GPU calls and the "hour" is one minute, so the
// script's own logic is exercised before the one-shot run on a lent machine.
const addon = dry
  ? {
      ...real,
      cudaStatus: () => ({ ...real.cudaStatus(), available: true }),
      prosodyAnalyzeBatchCudaAsync: (xs, rates, o) => Promise.all(xs.map((x, i) => real.prosodyAnalyzeAsync(x, rates[i], o).catch((e) => e))),
      prosodyCudaBenchmarkAsync: async (clips, o, repeats) => {
        const r = [];
        for (let k = 0; k < repeats; k++) {
          const t0 = performance.now();
          let frames = 0;
          for (const c of clips) frames += (await real.prosodyAnalyzeAsync(Float32Array.from(c, (v) => (c instanceof Int16Array ? v / 32768 : v)), 16000, o)).track.f0.length;
          const ms = performance.now() - t0;
          r.push({ h2dMs: 0, computeMs: ms, d2hMs: 0, totalMs: ms, frames, samples: clips.reduce((a, c) => a + c.length, 0) });
        }
        return r;
      },
    }
  : real;
const HOUR = dry ? 60 : 3600;
const out = { dryRun: dry, cuda: addon.cudaStatus(), parity: {}, timings: {}, curve: [] };
const emit = () => console.log(JSON.stringify(out));
if (!out.cuda.available) {
  emit();
  process.exit(2);
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const section = async (name, fn) => {
  const t0 = Date.now();
  try {
    await fn();
  } catch (e) {
    out[name + '_error'] = String(e?.stack ?? e).slice(0, 600);
  }
  console.error(`${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
};

// Clips, mono, at their own rates (the CPU and GPU paths both resample to 16 kHz the same way).
const corpora = {};
for (const corpus of ['fda-ue', 'ravdess']) {
  const dir = path.join(dataDir, corpus);
  corpora[corpus] = readdirSync(dir)
    .filter((f) => f.endsWith('.wav'))
    .sort()
    .map((f) => {
      const a = addon.decodeWav(readFileSync(path.join(dir, f)));
      return { name: f, samples: a.channels === 1 ? a.samples : addon.mixToMono(a.samples, a.channels), rate: a.sampleRate };
    });
}

await section('parity', async () => {
  for (const [corpus, clips] of Object.entries(corpora)) {
    const gpu = await addon.prosodyAnalyzeBatchCudaAsync(clips.map((c) => c.samples), clips.map((c) => c.rate), {});
    const cpu = await Promise.all(clips.map((c) => addon.prosodyAnalyzeAsync(c.samples, c.rate, {})));
    let frames = 0, same = 0, both = 0, cent = 0, worstCent = 0, fnTotal = 0, fnClose = 0, lenMismatch = 0, errors = 0;
    const worstFn = {};
    for (let k = 0; k < clips.length; k++) {
      const g = gpu[k], c = cpu[k];
      if (g instanceof Error) {
        errors++;
        out.parity[`${corpus}_first_error`] ??= `${clips[k].name}: ${g.message}`;
        continue;
      }
      if (g.track.f0.length !== c.track.f0.length) lenMismatch++;
      const n = Math.min(g.track.f0.length, c.track.f0.length);
      for (let i = 0; i < n; i++) {
        frames++;
        const vg = !Number.isNaN(g.track.f0[i]), vc = !Number.isNaN(c.track.f0[i]);
        if (vg === vc) same++;
        if (vg && vc) {
          both++;
          const d = Math.abs(1200 * Math.log2(g.track.f0[i] / c.track.f0[i]));
          if (d < 1) cent++;
          worstCent = Math.max(worstCent, d);
        }
      }
      for (const [key, v] of Object.entries(c.functionals)) {
        const w = g.functionals[key];
        fnTotal++;
        const ok = v === null || w === null ? v === w : Math.abs(v - w) <= 1e-3 * Math.max(1, Math.abs(v), Math.abs(w));
        if (ok) fnClose++;
        else worstFn[key] = (worstFn[key] ?? 0) + 1;
      }
    }
    out.parity[corpus] = {
      clips: clips.length, errors, lenMismatch, frames,
      sameVoicing: same / frames, within1Cent: cent / both, voicedBoth: both, worstCent,
      functionalsWithin1e3: fnClose / fnTotal, functionalMisses: worstFn,
    };
  }
});

// One hour at 16 kHz, int16: the carried clips resampled to 16 kHz and repeated.
const sixteen = [...corpora['fda-ue'], ...corpora.ravdess].map((c) => (c.rate === 16000 ? c.samples : addon.resample(c.samples, 1, c.rate, 16000, true)));
function audio(seconds) {
  const n = Math.round(seconds * 16000);
  const x = new Int16Array(n);
  let o = 0;
  for (let k = 0; o < n; k = (k + 1) % sixteen.length) {
    const s = sixteen[k];
    for (let i = 0; i < s.length && o < n; i++) x[o++] = Math.max(-32768, Math.min(32767, Math.round(s[i] * 32768)));
  }
  return x;
}
const hour = audio(HOUR);
writeFileSync(hourOut, hour);

await section('hour', async () => {
  const t = await addon.prosodyCudaBenchmarkAsync([hour], {}, 7);
  // gpuMs: CUDA events from the first upload to the last download (the measure: host
  // int16 → per-frame tracks in host memory, transfers included); totalMs adds the host's own work
  // (tables, splitting the tracks per clip).
  const gpu = t.map((r) => r.gpuMs ?? r.totalMs);
  out.timings.hour_int16 = {
    gpuMs: median(gpu), minGpuMs: Math.min(...gpu), totalMs: median(t.map((r) => r.totalMs)), h2dMs: median(t.map((r) => r.h2dMs)),
    computeMs: median(t.map((r) => r.computeMs)), d2hMs: median(t.map((r) => r.d2hMs)), frames: t[0].frames, xRealTime: (HOUR * 1000) / median(gpu),
  };
  const f = Float32Array.from(hour, (v) => v / 32768);
  const tf = await addon.prosodyCudaBenchmarkAsync([f], {}, 5);
  out.timings.hour_float32 = { gpuMs: median(tf.map((r) => r.gpuMs ?? r.totalMs)), totalMs: median(tf.map((r) => r.totalMs)), h2dMs: median(tf.map((r) => r.h2dMs)), computeMs: median(tf.map((r) => r.computeMs)) };
});

await section('curve', async () => {
  const deadline = Date.now() + (dry ? 5_000 : 90_000);
  for (const seconds of dry ? [1, 10] : [1, 10, 60, 600]) {
    for (const count of dry ? [1, 10] : [1, 10, 100, 1000, 10000]) {
      if (seconds * count > 4 * 3600 || Date.now() > deadline) continue;  // ≤ 4 h of audio per point
      const base = audio(Math.min(seconds * Math.min(count, 50), 3600));
      const clips = Array.from({ length: count }, (_, i) => {
        const n = seconds * 16000, off = (i * 7919 * 160) % Math.max(1, base.length - n);
        return base.subarray(off, off + n);
      });
      const t = await addon.prosodyCudaBenchmarkAsync(clips, {}, 3);
      const ms = median(t.map((r) => r.gpuMs ?? r.totalMs));
      out.curve.push({ clipSeconds: seconds, clips: count, gpuMs: ms, totalMs: median(t.map((r) => r.totalMs)), xRealTime: (seconds * count * 1000) / ms, computeMs: median(t.map((r) => r.computeMs)) });
    }
  }
});
emit();
