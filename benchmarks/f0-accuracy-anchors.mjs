// Anchor trackers and scoring shared by benchmarks/f0-accuracy.mjs and benchmarks/prosody-speed.mjs.
//
// Anchors (run in the same process as our tracker, on the same files):
//   - Praat 6.x `To Pitch (ac)` with all defaults (time step auto = 10 ms at a 75 Hz floor, 75–600 Hz,
//     15 candidates, silence 0.03, voicing 0.45, octave 0.01, octave-jump 0.35, V/UV 0.14).
//   - SPTK `pitch -a 0` (RAPT) and `pitch -a 1` (SWIPE'), 60–500 Hz, 10 ms frame shift, other
//     options at their defaults, fed the 16-bit sample values as float (x2x +sf).
//
// Scoring rule (one rule, applied to every tracker alike):
//   - A tracker returns frames (t_i, f0_i), f0 = 0 or NaN when unvoiced, t_i in seconds as the
//     tracker itself defines frame centres (Praat: the Pitch object's frame times; SPTK: i · shift / fs;
//     ours: i · hop).
//   - Reference frame j of a `.f0ref` file sits at time j · 0.015 + d. The tracker's value there is
//     that of its frame nearest in time (outside the tracker's frames: unvoiced).
//   - d is ONE constant per tracker for the whole corpus, chosen on a 1 ms grid in [-30, +30] ms to
//     minimise GPE + VDE (the "best frame offset", docs/formulas.md#f0-accuracy-scores), and printed.
//   - GPE: share of frames voiced in both with |f0 − ref| > 20 % of ref. VDE: share of all frames
//     whose voicing decision differs. FPE: standard deviation of the error in cents over the
//     voiced-in-both, non-gross frames. All pooled over every frame of every file.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const REF_HOP = 0.015;

/** Lists the corpus: [{ name, wav, ref: Float64Array }]. */
export function loadCorpus(dir) {
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.f0ref'))
    .map((f) => f.slice(0, -6))
    .sort();
  return names.map((name) => ({
    name,
    wav: path.join(dir, name + '.wav'),
    ref: Float64Array.from(
      readFileSync(path.join(dir, name + '.f0ref'), 'utf8')
        .split(/\s+/)
        .filter((s) => s.length)
        .map(Number),
    ),
  }));
}

function parseTimeF0(text) {
  const t = [];
  const f = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [a, b] = line.split(/\s+/);
    t.push(Number(a));
    const v = Number(b);
    f.push(Number.isFinite(v) ? v : 0);
  }
  return { times: Float64Array.from(t), f0: Float64Array.from(f) };
}

/**
 * Runs Praat `To Pitch (ac)` with defaults on every wav. Returns { tracks: Map(name → {times, f0}),
 * seconds: time spent inside To Pitch (Praat's own stopwatch), wallSeconds }.
 */
export function runPraat(corpus, { pitchOnly = true } = {}) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'et-praat-'));
  const list = path.join(tmp, 'list.txt');
  writeFileSync(list, corpus.map((c) => c.wav).join('\n') + '\n');
  const script = path.join(tmp, 'pitch.praat');
  // Reads every file first, then times To Pitch (ac) alone, then writes frame tables.
  writeFileSync(
    script,
    `form args
  sentence list
  sentence outdir
  integer intensity 0
endform
strings = Read Strings from raw text file: list$
n = Get number of strings
for i to n
  selectObject: strings
  f$ = Get string: i
  snd[i] = Read from file: f$
endfor
stopwatch
for i to n
  selectObject: snd[i]
  pitch[i] = To Pitch (ac): 0, 75, 15, "no", 0.03, 0.45, 0.01, 0.35, 0.14, 600
endfor
tp = stopwatch
ti = 0
if intensity
  stopwatch
  for i to n
    selectObject: snd[i]
    inten[i] = To Intensity: 100, 0, "yes"
  endfor
  ti = stopwatch
endif
for i to n
  selectObject: pitch[i]
  nf = Get number of frames
  out$ = outdir$ + "/" + string$(i) + ".txt"
  deleteFile: out$
  for k to nf
    t = Get time from frame number: k
    v = Get value in frame: k, "Hertz"
    if v = undefined
      v = 0
    endif
    appendFileLine: out$, fixed$(t, 6), tab$, fixed$(v, 4)
  endfor
endfor
writeInfoLine: fixed$(tp, 6), " ", fixed$(ti, 6)
`,
  );
  const t0 = process.hrtime.bigint();
  const out = execFileSync('praat', ['--run', script, list, tmp, pitchOnly ? '0' : '1'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const [tp, ti] = out.trim().split(/\s+/).map(Number);
  const tracks = new Map();
  corpus.forEach((c, i) => tracks.set(c.name, parseTimeF0(readFileSync(path.join(tmp, `${i + 1}.txt`), 'utf8'))));
  rmSync(tmp, { recursive: true, force: true });
  return { tracks, seconds: tp, intensitySeconds: ti, wallSeconds };
}

/** Reads a 16-bit PCM mono WAV's samples as raw float32 of the integer values (what SPTK expects). */
function wavToSptkFloat(file) {
  const raw = execFileSync('sox', [file, '-t', 'raw', '-e', 'signed', '-b', '16', '-c', '1', '-'], { maxBuffer: 1 << 30 });
  const s16 = new Int16Array(raw.buffer, raw.byteOffset, raw.byteLength >> 1);
  const f = new Float32Array(s16.length);
  for (let i = 0; i < s16.length; i++) f[i] = s16[i];
  const rate = Number(execFileSync('soxi', ['-r', file], { encoding: 'utf8' }).trim());
  return { samples: Buffer.from(f.buffer), rate };
}

/**
 * Runs SPTK `pitch` (algorithm 0 = RAPT, 1 = SWIPE') at 60–500 Hz with a 10 ms shift. Returns
 * { tracks, seconds } where seconds is the summed wall time of the pitch processes alone (the
 * input is prepared beforehand and piped in).
 */
export function runSptk(corpus, algorithm, { prepared } = {}) {
  const tracks = new Map();
  let seconds = 0;
  for (const c of corpus) {
    const { samples, rate } = prepared?.get(c.name) ?? wavToSptkFloat(c.wav);
    const shift = Math.round(rate * 0.01);
    const t0 = process.hrtime.bigint();
    const r = spawnSync('sptk', ['pitch', '-a', String(algorithm), '-s', String(rate / 1000), '-p', String(shift), '-L', '60', '-H', '500', '-o', '1'], {
      input: samples,
      maxBuffer: 1 << 28,
    });
    seconds += Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`sptk pitch failed on ${c.wav}: ${r.stderr}`);
    const out = r.stdout;
    const f0 = new Float64Array(out.byteLength >> 2);
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    for (let i = 0; i < f0.length; i++) f0[i] = view.getFloat32(4 * i, true);
    const times = Float64Array.from(f0, (_, i) => (i * shift) / rate);
    tracks.set(c.name, { times, f0 });
  }
  return { tracks, seconds };
}

/** Prepared SPTK inputs, so that several SPTK runs share one decode. */
export function prepareSptk(corpus) {
  const m = new Map();
  for (const c of corpus) m.set(c.name, wavToSptkFloat(c.wav));
  return m;
}

const voiced = (v) => Number.isFinite(v) && v > 0;

/** Counts for one offset d (seconds). */
function scoreAt(corpus, tracks, d, filter) {
  let frames = 0, vde = 0, both = 0, gross = 0, cents = 0, cents2 = 0, fine = 0;
  for (const c of corpus) {
    if (filter && !filter(c)) continue;
    const tr = tracks.get(c.name);
    const { times, f0 } = tr;
    const n = times.length;
    const dt = n > 1 ? times[1] - times[0] : 0.01;
    for (let j = 0; j < c.ref.length; j++) {
      const t = j * REF_HOP + d;
      let k = Math.round((t - times[0]) / dt);
      // guard against trackers with non-uniform times (none here, but keep it exact)
      if (k >= 0 && k < n) {
        while (k + 1 < n && Math.abs(times[k + 1] - t) < Math.abs(times[k] - t)) k++;
        while (k > 0 && Math.abs(times[k - 1] - t) < Math.abs(times[k] - t)) k--;
      }
      const est = k >= 0 && k < n && Math.abs(times[k] - t) <= dt ? f0[k] : 0;
      const r = c.ref[j];
      frames++;
      const vr = voiced(r), ve = voiced(est);
      if (vr !== ve) vde++;
      if (vr && ve) {
        both++;
        if (Math.abs(est - r) > 0.2 * r) gross++;
        else {
          const e = 1200 * Math.log2(est / r);
          cents += e;
          cents2 += e * e;
          fine++;
        }
      }
    }
  }
  const mean = fine ? cents / fine : 0;
  return {
    frames,
    gpe: both ? gross / both : 0,
    vde: frames ? vde / frames : 0,
    fpe: fine ? Math.sqrt(Math.max(0, cents2 / fine - mean * mean)) : 0,
    both,
  };
}

/** Best offset on the 1 ms grid, then the scores there (overall and per speaker prefix). */
export function score(corpus, tracks) {
  let best = null;
  for (let ms = -30; ms <= 30; ms++) {
    const s = scoreAt(corpus, tracks, ms / 1000);
    if (!best || s.gpe + s.vde < best.gpe + best.vde) best = { ...s, offsetMs: ms };
  }
  const d = best.offsetMs / 1000;
  const speakers = [...new Set(corpus.map((c) => c.name.replace(/\d+$/, '')))];
  const perSpeaker = {};
  for (const sp of speakers) perSpeaker[sp] = scoreAt(corpus, tracks, d, (c) => c.name.startsWith(sp));
  return { ...best, perSpeaker };
}

export function pct(x) {
  return (100 * x).toFixed(2) + '%';
}
