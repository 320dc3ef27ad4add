#!/usr/bin/env node
// WAV decode + mix to mono + resample to 16 kHz: emotionthinker vs sox, same files, same run.
// Usage: npm run build && node benchmarks/decode-resample.mjs [--repeats N]
// sox settings: `rate -m` (95% bandwidth, 100 dB rejection: our passband is 90% at ≥ 100 dB
// design, so sox -m is the nearest setting at or above our quality) and sox's default `-h`.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAudio } from '../dist/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const shared = path.resolve(here, '../../shared/data/ravdess-48k');
const repeats = Number(process.argv[process.argv.indexOf('--repeats') + 1]) || 5;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-bench-'));

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

try {
  const originals = readdirSync(shared).filter((f) => f.endsWith('.wav')).map((f) => path.join(shared, f));
  // A long stereo file (10 minutes at 48 kHz) made from the originals, so process start-up
  // does not dominate sox's figure.
  const long = path.join(tmp, 'long-48k-stereo.wav');
  const stereo = originals.find((f) => execFileSync('soxi', ['-c', f], { encoding: 'utf8' }).trim() === '2');
  execFileSync('sox', [stereo, long, 'repeat', '200', 'trim', '0', '600'], { stdio: 'pipe' });
  const sets = [
    ['6 RAVDESS originals (48 kHz, 3 stereo)', originals],
    ['one 10-minute 48 kHz stereo file', [long]],
  ];
  const rows = [];
  for (const [label, files] of sets) {
    let seconds = 0;
    for (const f of files) seconds += (await loadAudio(f)).duration;
    const ours = [], soxM = [], soxH = [];
    for (let r = 0; r < repeats; r++) {
      let t = performance.now();
      for (const f of files) await loadAudio(f, { sampleRate: 16000, mono: true });
      ours.push(performance.now() - t);
      for (const [arr, q] of [[soxM, '-m'], [soxH, '-h']]) {
        t = performance.now();
        for (const f of files) {
          const res = spawnSync('sox', [f, '-t', 'raw', '-e', 'floating-point', '-b', '32', '-c', '1', '/dev/null', 'rate', q, '16000']);
          if (res.status !== 0) throw new Error(`sox failed on ${f}: ${res.stderr}`);
        }
        arr.push(performance.now() - t);
      }
    }
    rows.push({ label, seconds, ours: median(ours), soxM: median(soxM), soxH: median(soxH) });
  }
  console.log(`decode + mono + resample to 16 kHz, median of ${repeats} (ms); ratio = sox time / our time (>1: we are faster)`);
  console.log('set'.padEnd(42) + 'audio s'.padStart(9) + 'ours'.padStart(9) + 'sox -m'.padStart(9) + 'sox -h'.padStart(9) + '  vs -m  vs -h');
  for (const r of rows) {
    console.log(
      r.label.padEnd(42) + r.seconds.toFixed(1).padStart(9) + r.ours.toFixed(1).padStart(9) + r.soxM.toFixed(1).padStart(9) +
        r.soxH.toFixed(1).padStart(9) + `  ${(r.soxM / r.ours).toFixed(2)}x`.padStart(7) + `  ${(r.soxH / r.ours).toFixed(2)}x`.padStart(7),
    );
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
