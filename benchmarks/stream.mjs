#!/usr/bin/env node
// Live streams (createProsodyStream), in one run, on a conversation-like signal made of RAVDESS
// clips (16 kHz; each clip ~1 s silence, a sentence, ~1 s silence, so one turn per clip):
//  1. processing time per 20 ms chunk (write + everything it triggers: F0 frames, VAD, a turn's
//     analysis when the chunk ends one), p50/p99, with the energy VAD and with Silero;
//  2. concurrent real-time streams per core: seconds of audio per CPU second (all threads, so
//     Silero's worker counts), side by side with the anchor, offline extractF0 on the same audio;
//  3. latency from the end of speech to the utterance event: the VAD's hangover (audio time from
//     the last speech frame to the frame that ends the turn) and the processing part (wall time
//     from writing that chunk to the event);
//  4. a 1-hour stream (energy VAD, frames on, read by a consumer): RSS after 5 min and at the end.
// With --anchor DIR (another build's dist/, e.g. the code before a change, with its own native
// addon), 1–3 run for that build too, alternating with this one (round by round), so both see the
// same machine load.
// Usage: npx tsc -p tsconfig.json && node benchmarks/stream.mjs [--minutes 10] [--hour-minutes 60] [--anchor DIR] [--rounds 2]
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const lib = process.env.EMOTIONTHINKER_DIST ? pathToFileURL(path.resolve(process.env.EMOTIONTHINKER_DIST)).href : '../dist/index.js';
const { createProsodyStream, extractF0, loadAudio } = await import(lib);
const anchorDir = process.argv.includes('--anchor') ? process.argv[process.argv.indexOf('--anchor') + 1] : null;
const builds = [{ name: 'this build', createProsodyStream }];
if (anchorDir) builds.push({ name: `anchor ${anchorDir}`, createProsodyStream: (await import(pathToFileURL(path.resolve(anchorDir) + '/').href + 'index.js')).createProsodyStream });

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.resolve(here, '../../shared/data/ravdess');
if (!existsSync(dir)) {
  console.error(`benchmarks/stream: ${dir} not found (the shared data sits beside the repository)`);
  process.exit(1);
}
const arg = (name, d) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : d);
const minutes = arg('--minutes', 3);
const hourMinutes = arg('--hour-minutes', 60);
const rounds = arg('--rounds', anchorDir ? 2 : 1);
const RATE = 16000, CHUNK = RATE / 50;

// A conversation: clips one after another (every 7th clip, all actors), repeated to length.
const files = readdirSync(dir).filter((f) => f.endsWith('.wav')).sort().filter((_, i) => i % 7 === 0);
const clips = [];
for (const f of files) clips.push((await loadAudio(path.join(dir, f))).samples);
function conversation(seconds) {
  const n = Math.round(seconds * RATE);
  const x = new Float32Array(n);
  for (let o = 0, k = 0; o < n; k++) {
    const c = clips[k % clips.length];
    x.set(c.subarray(0, Math.min(c.length, n - o)), o);
    o += c.length;
  }
  return x;
}
const pct = (a, q) => {
  const s = Float64Array.from(a).sort();
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))];
};
const fmt = (v, d = 3) => v.toFixed(d);

async function perChunk(build, vad, x) {
  const s = build.createProsodyStream({ sampleRate: RATE, vad, frames: true });
  const times = [], plain = [], latency = [];
  let writtenAt = 0, utterances = 0, cpuAtEnd = null;
  // A turn's analysis starts when its speech-end is pushed (inside the write that decides it);
  // the CPU this process uses from there to the utterance (all threads) is what the turn costs.
  // On a machine with a free core per thread the processing part would be about that or less
  // (the spectral and voice features run in parallel) plus the thread-pool hops; on a busy one
  // it is the wall time that waits for CPUs.
  s.on('speech-end', () => (cpuAtEnd = process.cpuUsage()));
  s.on('utterance', (u) => {
    utterances++;
    const processing = (performance.now() - writtenAt) / 1000;
    const c = cpuAtEnd ? process.cpuUsage(cpuAtEnd) : null;
    latency.push({ hangover: u.timing.hangoverSeconds, processing, cpu: c ? (c.user + c.system) / 1e6 : null });
  });
  let frames = 0;
  s.on('frame', () => frames++);
  const cpu0 = process.cpuUsage(), t0 = performance.now();
  for (let i = 0; i + CHUNK <= x.length; i += CHUNK) {
    const before = utterances;
    writtenAt = performance.now();
    s.write(x.subarray(i, i + CHUNK));
    await s.idle();
    const dt = performance.now() - writtenAt;
    times.push(dt);
    if (utterances === before) plain.push(dt);
  }
  await s.end();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(cpu0);
  return { times, plain, latency, utterances, frames, wall, cpu: (c.user + c.system) / 1e6 };
}

async function throughput(build, vad, x) {
  // Large writes, no per-chunk waits: the CPU a stream costs per second of audio.
  const s = build.createProsodyStream({ sampleRate: RATE, vad, frames: true });
  let frames = 0;
  s.on('frame', () => frames++);
  const cpu0 = process.cpuUsage(), t0 = performance.now();
  for (let i = 0; i < x.length; i += CHUNK) if (!s.write(x.subarray(i, i + CHUNK))) await s.drained();
  await s.end();
  const c = process.cpuUsage(cpu0);
  return { cpu: (c.user + c.system) / 1e6, wall: (performance.now() - t0) / 1000, frames };
}

const audio = conversation(minutes * 60);
const seconds = audio.length / RATE;
console.log(`stream benchmark: ${fmt(seconds, 0)} s of conversation from ${files.length} RAVDESS clips, 20 ms chunks, node ${process.version}`);

// Anchor: the offline tracker on the same audio.
{
  const cpu0 = process.cpuUsage();
  await extractF0(audio, { sampleRate: RATE });
  const c = process.cpuUsage(cpu0);
  const cpu = (c.user + c.system) / 1e6;
  console.log(`anchor extractF0 (whole signal): ${fmt(cpu)} s CPU = ${fmt(seconds / cpu, 0)}× real time`);
}
for (const vad of ['energy', 'silero']) {
  const x = vad === 'silero' ? audio.subarray(0, Math.min(audio.length, 60 * RATE)) : audio;
  const got = builds.map(() => ({ times: [], plain: [], latency: [], utterances: 0, cpu: 0 }));
  for (let round = 0; round < rounds; round++) {
    // Alternate which build goes first, so neither always runs on a warmer (or busier) machine.
    const order = builds.map((_, i) => i);
    if (round % 2) order.reverse();
    for (const i of order) {
      const r = await perChunk(builds[i], vad, x);
      const t = await throughput(builds[i], vad, audio);
      const g = got[i];
      g.times.push(...r.times), g.plain.push(...r.plain), g.latency.push(...r.latency);
      g.utterances += r.utterances, g.cpu += t.cpu;
      console.log(`  [round ${round + 1}, ${builds[i].name}, vad ${vad}: ${fmt(seconds / t.cpu, 0)} streams per core, turn processing p99 ${fmt(pct(r.latency.map((l) => l.processing * 1000), 0.99), 1)} ms]`);
    }
  }
  got.forEach((r, i) => {
    const hang = r.latency.map((l) => l.hangover), proc = r.latency.map((l) => l.processing * 1000);
    console.log(`vad ${vad}, ${builds[i].name}: per 20 ms chunk p50 ${fmt(pct(r.times, 0.5))} ms, p99 ${fmt(pct(r.times, 0.99))} ms, max ${fmt(Math.max(...r.times))} ms (${r.times.length} chunks, ${r.utterances} turns, ${rounds} round(s))`);
    console.log(`  per chunk without a turn ending: p99 ${fmt(pct(r.plain, 0.99))} ms`);
    console.log(`  end of speech → utterance: hangover p50 ${fmt(pct(hang, 0.5))} s (endSilenceMs 500 + energy window), processing p50 ${fmt(pct(proc, 0.5), 1)} ms, p99 ${fmt(pct(proc, 0.99), 1)} ms`);
    const cpu = r.latency.filter((l) => l.cpu !== null).map((l) => l.cpu * 1000);
    console.log(`    CPU per turn (all threads, speech-end → utterance): p50 ${fmt(pct(cpu, 0.5), 2)} ms, p99 ${fmt(pct(cpu, 0.99), 2)} ms`);
    console.log(`  throughput: ${fmt(r.cpu)} s CPU for ${fmt(rounds * seconds, 0)} s = ${fmt((rounds * seconds) / r.cpu, 0)} real-time streams per core`);
  });
  if (got.length > 1) console.log(`  this build / anchor: streams per core ×${fmt(got[1].cpu / got[0].cpu, 2)}, processing p99 ×${fmt(pct(got[0].latency.map((l) => l.processing), 0.99) / pct(got[1].latency.map((l) => l.processing), 0.99), 2)}`);
}

// 1-hour stream: RSS growth after the first 5 minutes.
{
  const hour = hourMinutes * 60;
  const block = conversation(60);
  const s = builds[0].createProsodyStream({ sampleRate: RATE, vad: 'energy', frames: true });
  let frames = 0, utterances = 0;
  const reading = (async () => {
    for await (const ev of s) {
      if (ev.type === 'frame') frames++;
      else if (ev.type === 'utterance') utterances++;
    }
  })();
  let rss5 = 0, heap5 = 0;
  const t0 = performance.now();
  for (let m = 0; m < hourMinutes; m++) {
    for (let i = 0; i < block.length; i += 16000) if (!s.write(block.subarray(i, i + 16000))) await s.drained();
    await s.idle();
    if (m === Math.min(4, hourMinutes - 1)) {
      global.gc?.();
      rss5 = process.memoryUsage().rss;
      heap5 = process.memoryUsage().heapUsed;
    }
  }
  await s.end();
  await reading;
  global.gc?.();
  const rss = process.memoryUsage().rss, heap = process.memoryUsage().heapUsed;
  console.log(`${hourMinutes}-minute stream (${fmt(hour, 0)} s, ${frames} frames, ${utterances} turns, ${fmt((performance.now() - t0) / 1000, 1)} s wall): RSS ${fmt(rss5 / 2 ** 20, 1)} MB after 5 min → ${fmt(rss / 2 ** 20, 1)} MB at the end (growth ${fmt((rss - rss5) / 2 ** 20, 1)} MB; heap ${fmt(heap5 / 2 ** 20, 1)} → ${fmt(heap / 2 ** 20, 1)} MB)`);
}
process.exit(0);
