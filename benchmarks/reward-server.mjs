#!/usr/bin/env node
// Reward server throughput and latency (issue #17 §2): POST /v1/rewards with groups of 8
// responses about 4 s clips, audio cached (one clip set, measured once) and uncached (the server
// started with --cache-bytes 0 --text-cache-bytes 0, so every request measures its clip and reads its texts), with 1 and 32 concurrent
// clients. The server runs as its own process (`emotionthinker serve`), the clients in this one,
// on the same machine: both share its cores, as they would on a trainer's host.
// Anchor, same run: the same scoring called in-process (verifyReasoning on a measured clip +
// ptrRewards + groupAdvantages), i.e. what HTTP and JSON add.
// Goal (issue): ≥ 2,000 responses/s cached and p99 ≤ 50 ms at 32 clients on a 2-core machine.
// Clients: node:http with a keep-alive agent (default; what a trainer's pooled HTTP session does),
// or `--client fetch` (undici's fetch, which on Node 20 spends more CPU per request than the
// server does, on the same cores, and so mostly measures itself at 32 clients).
// Rows "unique texts": every response text differs (a numbered sentence appended), so the
// server's per-text cache never hits: the cost of reading new completions.
// Usage: npm run build && node benchmarks/reward-server.mjs [--seconds 5] [--client http|fetch] [--json]
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const seconds = Number(arg('--seconds') ?? 5);
const asJson = process.argv.includes('--json');
const client = arg('--client') ?? 'http';
if (client !== 'http' && client !== 'fetch') throw new Error(`--client must be http or fetch; got ${client}`);
const dist = path.join(here, '../dist');
const api = await import(pathToFileURL(path.join(dist, 'index.js')).href);
const G = 8;
const CLIP_S = 4;

// 4 s clips from RAVDESS (padded with silence or cut), written as 16 kHz WAV.
const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-reward-bench-'));
const ravdess = path.resolve(here, '../../shared/data/ravdess');
const names = readdirSync(ravdess).filter((f) => f.endsWith('.wav')).sort().filter((_, i) => i % 15 === 0).slice(0, 64);
const clips = [];
for (const n of names) {
  const a = await api.loadAudio(path.join(ravdess, n), { sampleRate: 16000, mono: true });
  const x = new Float32Array(16000 * CLIP_S);
  x.set(a.samples.subarray(0, x.length));
  const pcm = Buffer.alloc(44 + x.length * 2);
  pcm.write('RIFF', 0); pcm.writeUInt32LE(36 + x.length * 2, 4); pcm.write('WAVEfmt ', 8); pcm.writeUInt32LE(16, 16);
  pcm.writeUInt16LE(1, 20); pcm.writeUInt16LE(1, 22); pcm.writeUInt32LE(16000, 24); pcm.writeUInt32LE(32000, 28);
  pcm.writeUInt16LE(2, 32); pcm.writeUInt16LE(16, 34); pcm.write('data', 36); pcm.writeUInt32LE(x.length * 2, 40);
  for (let i = 0; i < x.length; i++) pcm.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(x[i] * 32767))), 44 + 2 * i);
  writeFileSync(path.join(tmp, n), pcm);
  clips.push({ file: n, emotion: api.parseRavdessName(n).emotion });
}

// Responses in the styles a speech LLM writes (varied length and claims).
const POOL = [
  '<think>The speaker is loud and fast, with a high pitch and a falling intonation at the end.</think><answer>angry</answer>',
  '<think>The pitch is low and the energy is subdued. The speaker talks slowly, and the intonation falls toward the end of the sentence, which gives a heavy, resigned impression.</think><answer>sad</answer>',
  '<think>The voice is bright: the pitch sits high, the intonation is lively and varied, and the tempo is fairly quick.</think><answer>happy</answer>',
  'Pitch: normal\nEnergy: moderate\nSpeed: normal\nAnswer: neutral',
  '<think>Soft and leisurely, with an even melody.</think><answer>calm</answer>',
  '<think>There is a tremble in the voice, the pitch is elevated, and the speaker rushes through the sentence.</think><answer>fear</answer>',
  '<think>The pitch goes up in the middle and comes down at the end; the voice is loud.</think><answer>surprise</answer>',
  '<think>The voice is low-pitched and tense, and the words are drawn out.</think><answer>contempt or disgust</answer>',
  '**Answer:** angry\nThe speaker is not quiet at all and the pace is rapid.',
  '<think>The pitch is not especially high, but the speaker is clearly shouting.</think><answer>angry</answer>',
];

function startServer(extra) {
  const proc = spawn(process.execPath, [path.join(dist, 'cli.js'), 'serve', '--port', '0', '--audio-root', tmp, '--max-concurrent', '256', ...extra]);
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve({ proc, url: JSON.parse(out.split('\n')[0]).listening });
    });
    proc.on('exit', (c) => reject(new Error(`serve exited ${c}`)));
  });
}

const pct = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
/** POST → status, reading the whole answer; with the chosen client. */
async function post(url, route, body) {
  if (client === 'fetch') {
    const r = await fetch(`${url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await r.arrayBuffer();
    return r.status;
  }
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname: u.hostname, port: u.port, path: route, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function load(url, clients, secs, unique = false) {
  const lat = [];
  let responses = 0;
  let errors = 0;
  let k = 0;
  const end = performance.now() + secs * 1000;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < end) {
      const i = k++;
      const clip = clips[i % clips.length];
      const text = (j) => {
        const t = POOL[(i + j) % POOL.length];
        return unique ? t.replace(/(<\/think>|$)/, ` Sample ${i * G + j}.$1`) : t;
      };
      const body = JSON.stringify({ run: 'bench', audio: clip.file, emotion: clip.emotion, responses: Array.from({ length: G }, (_, j) => text(j)) });
      const s = performance.now();
      const status = await post(url, '/v1/rewards', body);
      lat.push(performance.now() - s);
      if (status === 200) responses += G;
      else errors++;
    }
  }));
  const wall = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { clients, requests: lat.length, errors, responsesPerS: responses / wall, p50Ms: pct(lat, 0.5), p99Ms: pct(lat, 0.99) };
}

// Anchor: in-process scoring of the same groups on already-measured clips.
async function inProcess(secs) {
  const measured = await Promise.all(clips.map((c) => api.measureAudio(path.join(tmp, c.file))));
  let n = 0;
  const end = performance.now() + secs * 1000;
  const t0 = performance.now();
  for (let i = 0; performance.now() < end; i++) {
    const c = clips[i % clips.length];
    const rs = [];
    for (let j = 0; j < G; j++) rs.push(await api.verifyReasoning(measured[i % clips.length], POOL[(i + j) % POOL.length], { emotion: c.emotion }));
    api.groupAdvantages(rs.map((r) => r.reward), G);
    n += G;
  }
  return { responsesPerS: n / ((performance.now() - t0) / 1000) };
}

const rows = [];
try {
  rows.push({ mode: 'in-process anchor (no HTTP)', ...(await inProcess(seconds)) });
  for (const [mode, extra] of [['cached', []], ['uncached', ['--cache-bytes', '0', '--text-cache-bytes', '0']]]) {
    const { proc, url } = await startServer(extra);
    if (mode === 'cached') await load(url, 4, 1); // measure every clip once, and warm up
    for (const clients of [1, 32]) rows.push({ mode, ...(await load(url, clients, seconds)) });
    if (mode === 'cached') rows.push({ mode: 'cached, unique texts', ...(await load(url, 32, seconds, true)) });
    proc.kill('SIGTERM');
    await new Promise((r) => proc.on('exit', r));
  }
} finally {
  agent.destroy();
  rmSync(tmp, { recursive: true, force: true });
}

if (asJson) process.stdout.write(JSON.stringify({ cores: os.cpus().length, groupSize: G, clipSeconds: CLIP_S, seconds, client, rows }, null, 2) + '\n');
else {
  console.log(`reward server, groups of ${G}, ${CLIP_S} s clips, ${os.cpus().length} cores, ${seconds} s per row, ${client === 'fetch' ? 'fetch' : 'node:http keep-alive'} clients`);
  for (const r of rows) {
    const lat = r.p50Ms === undefined ? '' : `  p50 ${r.p50Ms.toFixed(1)} ms  p99 ${r.p99Ms.toFixed(1)} ms  (${r.requests} requests, ${r.errors} errors)`;
    console.log(`${r.mode.padEnd(28)} ${r.clients === undefined ? '' : `${String(r.clients).padStart(2)} clients`}  ${r.responsesPerS.toFixed(0).padStart(6)} responses/s${lat}`);
  }
}
