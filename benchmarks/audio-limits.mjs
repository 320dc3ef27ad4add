#!/usr/bin/env node
// Cost of hostile small inputs (issue #14): each case runs `analyze` (or one resample) in its own
// child process under /usr/bin/time -v, so wall time and peak RSS are the whole process's.
// Goal: no input under 1 MB costs more than 2 s or 512 MB; before the audio limits, a 32 KB
// WAV declaring 1 Hz took ~100 s and 1.77 GB, an Ogg declaring 2,130,754,432 Hz ~130 s and 8.6 GB.
// Usage: npm run build && node benchmarks/audio-limits.mjs
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = pathToFileURL(path.resolve(here, '../dist/index.js')).href;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-limits-bench-'));

/** A mono WAV: `format` 1 (PCM) or 3 (float), `bits` 8/16/32, samples from fn(i). */
function wav(rate, n, { format = 1, bits = 16, fn = (i) => 0.3 * Math.sin((2 * Math.PI * 200 * i) / 16000) } = {}) {
  const bps = bits / 8;
  const b = Buffer.alloc(44 + n * bps);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + n * bps, 4);
  b.write('WAVE', 8);
  b.write('fmt ', 12);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(format, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE((rate * bps) >>> 0, 28);
  b.writeUInt16LE(bps, 32);
  b.writeUInt16LE(bits, 34);
  b.write('data', 36);
  b.writeUInt32LE(n * bps, 40);
  for (let i = 0; i < n; i++) {
    const v = fn(i);
    if (format === 3) b.writeFloatLE(v, 44 + 4 * i);
    else if (bits === 8) b[44 + i] = 128 + Math.round(v * 127);
    else b.writeInt16LE(Math.round(v * 32767), 44 + 2 * i);
  }
  return b;
}

function oggCrc(bytes) {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 24;
    for (let k = 0; k < 8; k++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return crc >>> 0;
}

function oggDeclaring(rate) {
  const src = path.join(tmp, 'src.wav');
  const ogg = path.join(tmp, 'huge-rate.ogg');
  writeFileSync(src, wav(16000, 16000));
  execFileSync('sox', [src, ogg]);
  const b = Buffer.from(readFileSync(ogg));
  const id = b.indexOf(Buffer.from([1, ...Buffer.from('vorbis')]));
  b.writeUInt32LE(rate, id + 12);
  let len = 27 + b[26];
  for (let i = 0; i < b[26]; i++) len += b[27 + i];
  b.writeUInt32LE(0, 22);
  b.writeUInt32LE(oggCrc(b.subarray(0, len)), 22);
  writeFileSync(ogg, b);
  return ogg;
}

function file(name, bytes) {
  const f = path.join(tmp, name);
  writeFileSync(f, bytes);
  return f;
}

const cases = [
  ['32 KB WAV declaring 1 Hz', 'analyze', file('rate1.wav', wav(1, 16000))],
  ['32 KB WAV declaring 4,000,001 Hz', 'analyze', file('rate4M.wav', wav(4000001, 16000))],
  ['4 KB Ogg declaring 2,130,754,432 Hz', 'analyze', oggDeclaring(2130754432)],
  ['64 KB float WAV, one sample 3e36', 'analyze', file('loud.wav', wav(16000, 16000, { format: 3, bits: 32, fn: (i) => (i === 8000 ? 3e36 : 0.3 * Math.sin(i / 10)) }))],
  ['1 MB u8 WAV at 1000 Hz (1000 s of audio)', 'analyze', file('u8-1k.wav', wav(1000, 1_000_000, { bits: 8, fn: (i) => 0.4 * Math.sin((2 * Math.PI * 150 * i) / 1000) }))],
  ['1 MB u8 WAV at 1000 Hz, maxDuration 600', 'analyze', path.join(tmp, 'u8-1k.wav'), { maxDuration: 600 }],
  ['670 KB FLAC: 1 hour of 48 kHz stereo silence', 'analyze', hourOfSilence()],
  ['the same FLAC, maxDuration 600', 'analyze', path.join(tmp, 'hour.flac'), { maxDuration: 600 }],
  ['resample 767,999 -> 1000 Hz, 1 s mono', 'resample', ''],
];

/** A "decompression bomb": an hour of digital silence (-D: no dither) is a tiny FLAC. */
function hourOfSilence() {
  const f = path.join(tmp, 'hour.flac');
  execFileSync('sox', ['-D', '-n', '-r', '48000', '-c', '2', '-b', '16', f, 'trim', '0', '3600']);
  return f;
}

const script = (what, f, opts = {}) =>
  what === 'resample'
    ? `const m = await import(${JSON.stringify(dist)}); const x = new Float32Array(767999).map((_, i) => 0.5 * Math.sin(i / 100)); m.resample(x, 767999, 1000, { threads: 1 }); console.log('ok');`
    : `const m = await import(${JSON.stringify(dist)}); try { await m.analyze(${JSON.stringify(f)}, ${JSON.stringify(opts)}); console.log('ok'); } catch (e) { console.log(e.code); }`;

try {
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  console.log('| input | call | result | wall s | peak RSS MB |');
  console.log('|---|---|---|---|---|');
  for (const [label, what, f, opts] of cases) {
    const args = ['--input-type=module', '-e', script(what, f, opts)];
    const t0 = process.hrtime.bigint();
    const r = timeBin ? spawnSync(timeBin, ['-v', process.execPath, ...args], { encoding: 'utf8' }) : spawnSync(process.execPath, args, { encoding: 'utf8' });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr ?? '');
    console.log(`| ${label} | ${what} | ${r.stdout.trim()} | ${wall.toFixed(2)} | ${rss ? (Number(rss[1]) / 1024).toFixed(0) : 'n/a'} |`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
