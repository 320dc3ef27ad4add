// `emotionthinker report`: one self-contained HTML page per clip (opens offline): waveform, F0
// contour with voicing, intensity with pauses and syllable nuclei, the levels against their cut
// points, and the reasoning with the evidence for each claim. Charts are drawn with uPlot,
// whose script and stylesheet are inlined into the page.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { analyzeDetailed, type AnalyzeOptions, type AnalysisResult } from './analyze.js';
import { modelOption } from './inference/model.js';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { checkSignal, throwIfAborted } from './abort.js';

const require = createRequire(import.meta.url);

function uplotAssets(): { js: string; css: string } {
  const dir = require.resolve('uplot/dist/uPlot.iife.min.js').replace(/uPlot\.iife\.min\.js$/, '');
  return { js: readFileSync(`${dir}uPlot.iife.min.js`, 'utf8'), css: readFileSync(`${dir}uPlot.min.css`, 'utf8') };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Samples scanned between yields to the event loop while the envelope is built (2^20 took 11 ms, up to 25 on a loaded machine). */
const ENVELOPE_SLICE = 1 << 18;

/**
 * Longest stretch of report building between yields (ms), whatever the slice counts say: the
 * first slices run before the JIT has compiled the loops, and a loaded machine stretches every
 * slice (a 2^18-sample envelope slice plus a GC still took 22-38 ms here).
 */
const SLICE_MS = 4;

/**
 * Min/max envelope of the waveform in `bins` columns (what a plot of that width can show), with
 * a yield to the event loop about every ENVELOPE_SLICE samples (10 minutes at 16 kHz is 9.6 M)
 * or SLICE_MS.
 */
async function envelope(samples: Float32Array, rate: number, bins: number, signal?: AbortSignal) {
  const per = Math.max(1, Math.ceil(samples.length / bins));
  const t: number[] = [], lo: number[] = [], hi: number[] = [];
  let scanned = 0;
  // A turn first: the analysis that ends just before (the policy, in its promise's continuation)
  // would otherwise run in one stretch with the first slice.
  await yieldToLoop();
  let since = performance.now();
  for (let s = 0; s < samples.length; s += per) {
    if ((scanned += per) >= ENVELOPE_SLICE || performance.now() - since > SLICE_MS) {
      scanned = 0;
      await yieldToLoop();
      throwIfAborted(signal);
      since = performance.now();
    }
    let mn = Infinity, mx = -Infinity;
    for (let i = s; i < Math.min(samples.length, s + per); i++) {
      mn = Math.min(mn, samples[i]);
      mx = Math.max(mx, samples[i]);
    }
    t.push(s / rate);
    lo.push(mn);
    hi.push(mx);
  }
  return { t, lo, hi };
}

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);
const same = (v: number) => v;

/** Frame values converted between yields to the event loop (4 arrays of 60 000 for 10 minutes). */
const ARRAY_SLICE = 1 << 14;

/** Array.from(a, map), in slices with a yield to the event loop between them. */
async function toArray<T>(a: ArrayLike<number>, map: (v: number) => T, signal?: AbortSignal): Promise<T[]> {
  const out: T[] = [];
  let since = performance.now();
  for (let s = 0; s < a.length; s += 1024) {
    if ((s % ARRAY_SLICE === 0 && s > 0) || performance.now() - since > SLICE_MS) {
      await yieldToLoop();
      throwIfAborted(signal);
      since = performance.now();
    }
    const e = Math.min(a.length, s + 1024);
    for (let i = s; i < e; i++) out.push(map(a[i]));
  }
  return out;
}

export interface ReportData {
  file: string;
  analysis: AnalysisResult;
  waveform: { t: number[]; lo: number[]; hi: number[] };
  frames: { t: number[]; f0: (number | null)[]; voicing: number[]; intensity: number[] };
  pauses: { start: number; end: number }[];
  nuclei: { time: number; intensityDb: number }[];
  levels: { cue: string; value: number | null; unit: string; cuts: [number, number] | null; level: string | null }[];
}

export async function reportData(file: string, options: AnalyzeOptions = {}): Promise<ReportData> {
  const signal = checkSignal(options.signal, 'reportData');
  throwIfAborted(signal);
  const model = modelOption(options.model);
  // One decode and one prosody analysis serve both the analysis and the charts (frames, pauses
  // and nuclei do not depend on the calibration or the gender, which only add levels).
  const { result: analysis, prosody, samples16k } = await analyzeDetailed(file, { ...options, model });
  const fr = prosody.frames;
  const levels = analysis.claims.length
    ? analysis.claims.filter((c) => c.measurement).map((c) => ({ cue: c.cue, value: c.measurement!.value, unit: c.measurement!.unit, cuts: c.cutPoints, level: c.measuredLevel }))
    : [];
  return {
    file,
    analysis,
    waveform: await envelope(samples16k, 16000, 2000, signal),
    frames: {
      t: await toArray(fr.time, same, signal),
      f0: await toArray(fr.f0, finiteOrNull, signal),
      voicing: await toArray(fr.voicing, same, signal),
      intensity: await toArray(fr.intensityDb, same, signal),
    },
    pauses: prosody.segments.pauses.map((p) => ({ start: p.start, end: p.end })),
    nuclei: prosody.nuclei,
    levels,
  };
}

/** Array elements stringified between yields to the event loop in reportJson. */
const JSON_SLICE = 8192;

/**
 * The page's data, JSON.stringify(d) with '<' escaped (safe inside <script>), built with yields
 * to the event loop: the frame arrays of a 10-minute clip make megabytes of JSON. The seven long
 * arrays are stringified in slices and spliced into the JSON of the rest; they hold only numbers
 * and nulls, so the text is the same as one JSON.stringify.
 */
async function reportJson(d: ReportData, signal?: AbortSignal): Promise<string> {
  const long: unknown[][] = [d.waveform.t, d.waveform.lo, d.waveform.hi, d.frames.t, d.frames.f0, d.frames.voicing, d.frames.intensity];
  const marks = long.map((_, i) => `\u0000long-array-${i}\u0000`);
  const shell = { ...d, waveform: { t: marks[0], lo: marks[1], hi: marks[2] }, frames: { t: marks[3], f0: marks[4], voicing: marks[5], intensity: marks[6] } };
  let json = JSON.stringify(shell).replace(/</g, '\\u003c');
  for (let k = 0; k < long.length; k++) {
    const parts: string[] = [];
    for (let s = 0; s < long[k].length; s += JSON_SLICE) {
      await yieldToLoop();
      throwIfAborted(signal);
      parts.push(JSON.stringify(long[k].slice(s, s + JSON_SLICE)).slice(1, -1));
    }
    json = json.replace(JSON.stringify(marks[k]), () => `[${parts.join(',')}]`);
  }
  return json;
}

/** The report page; `data` is the page's JSON (reportJson) when already built. */
export function renderReportHtml(d: ReportData, data = JSON.stringify(d).replace(/</g, '\\u003c')): string {
  const { js, css } = uplotAssets();
  const a = d.analysis;
  const claims = a.claims
    .map((c) => {
      const ev = c.measurement && c.measurement.value !== null ? `${c.measurement.value.toFixed(c.measurement.unit === 'Hz' ? 0 : 1)} ${c.measurement.unit}` : '';
      const cuts = c.cutPoints ? `${c.cutPoints[0].toFixed(1)} – ${c.cutPoints[1].toFixed(1)}` : '';
      return `<tr class="${c.agrees ? 'ok' : 'bad'}"><td>${c.cue}</td><td>${escapeHtml(c.claim)}</td><td>${escapeHtml(String(c.measuredLevel))}</td><td>${ev}</td><td>${cuts}</td><td>${c.agrees ? 'agrees' : 'disagrees'}</td></tr>`;
    })
    .join('');
  const probs = Object.entries(a.probabilities)
    .sort((x, y) => y[1] - x[1])
    .map(([e, p]) => `<span class="prob">${e} ${(100 * p).toFixed(0)}%</span>`)
    .join(' ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>emotionthinker report: ${escapeHtml(d.file)}</title>
<style>${css}
body{font:14px/1.4 system-ui,sans-serif;margin:24px;max-width:1100px;color:#222}
h1{font-size:20px} h2{font-size:16px;margin-top:28px}
.answer{font-size:22px;font-weight:600} .prob{display:inline-block;margin-right:10px;color:#555}
table{border-collapse:collapse} td,th{border:1px solid #ddd;padding:4px 8px} tr.bad td{background:#fde8e8} tr.ok td{background:#eef8ee}
.reasoning{background:#f6f6f6;padding:10px;border-radius:6px;white-space:pre-wrap}
.gauge{position:relative;height:18px;width:420px;background:linear-gradient(90deg,#cfe3ff 0 33%,#e8e8e8 33% 67%,#ffd9c7 67% 100%);border-radius:3px}
.gauge .mark{position:absolute;top:-3px;width:3px;height:24px;background:#c00}
</style></head><body>
<h1>${escapeHtml(d.file)}</h1>
<div class="answer">${a.emotion ?? 'insufficient evidence'}</div><div>${probs}</div>
<p>${escapeHtml(a.prosody.caption)}</p>
<h2>Reasoning</h2><div class="reasoning" id="reasoning">${escapeHtml(a.reasoning)}</div>
<h2>Claims and evidence</h2>
<table id="claims"><tr><th>cue</th><th>claim</th><th>measured level</th><th>measurement</th><th>normal range</th><th></th></tr>${claims}</table>
<h2>Levels against their cut points</h2><div id="levels"></div>
<h2>Waveform</h2><div id="wave"></div>
<h2>F0 and voicing</h2><div id="f0"></div>
<h2>Intensity, pauses and syllable nuclei</h2><div id="intensity"></div>
<script>${js}</script>
<script>
const D = ${data};
window.__charts = [];
const W = Math.min(1060, document.body.clientWidth - 20);
function plot(id, opts, data) { const u = new uPlot(Object.assign({ width: W, height: 220 }, opts), data, document.getElementById(id)); window.__charts.push({ id, u }); return u; }
// Levels: where the measurement sits between the cut points (low | normal | high thirds of the gauge).
for (const l of D.levels) {
  const div = document.createElement('div');
  if (!l.cuts || l.value === null) { div.textContent = l.cue + ': not measured'; document.getElementById('levels').appendChild(div); continue; }
  const [a, b] = l.cuts, span = b - a, lo = a - span, hi = b + span;
  const pos = Math.max(0, Math.min(1, (l.value - lo) / (hi - lo)));
  div.innerHTML = '<div style="margin:6px 0">' + l.cue + ': ' + l.value.toFixed(1) + ' ' + l.unit + ' → <b>' + l.level + '</b> (normal ' + a.toFixed(1) + ' to ' + b.toFixed(1) + ')</div><div class="gauge"><div class="mark" style="left:' + (pos * 100).toFixed(1) + '%"></div></div>';
  document.getElementById('levels').appendChild(div);
}
plot('wave', { title: 'waveform (min/max envelope)', scales: { x: { time: false } }, series: [{ label: 's' }, { label: 'min', stroke: '#4a7ab5' }, { label: 'max', stroke: '#4a7ab5' }] },
  [D.waveform.t, D.waveform.lo, D.waveform.hi]);
plot('f0', { title: 'F0 (Hz) and voicing probability', scales: { x: { time: false }, v: { range: [0, 1] } },
  axes: [{}, { label: 'Hz' }, { side: 1, scale: 'v', label: 'voicing', grid: { show: false } }],
  series: [{ label: 's' }, { label: 'F0', stroke: '#c0392b', width: 2, spanGaps: false }, { label: 'voicing', stroke: '#999', scale: 'v' }] },
  [D.frames.t, D.frames.f0, D.frames.voicing]);
// Pauses as a 0/1 step series on a second scale; nuclei as points on the intensity scale.
const pause = D.frames.t.map((t) => (D.pauses.some((p) => t >= p.start && t <= p.end) ? 1 : 0));
const nuc = D.frames.t.map(() => null);
for (const n of D.nuclei) { const i = Math.round(n.time / (D.frames.t[1] - D.frames.t[0])); if (i >= 0 && i < nuc.length) nuc[i] = n.intensityDb; }
plot('intensity', { title: 'intensity (dB), pauses and syllable nuclei', scales: { x: { time: false }, p: { range: [0, 1] } },
  axes: [{}, { label: 'dB' }, { side: 1, scale: 'p', label: 'pause', grid: { show: false } }],
  series: [{ label: 's' }, { label: 'intensity', stroke: '#2c7a2c' }, { label: 'nuclei', stroke: 'transparent', points: { show: true, size: 8, fill: '#e67e22' } },
           { label: 'pause', stroke: '#8e44ad', scale: 'p', paths: uPlot.paths.stepped({ align: 1 }) }] },
  [D.frames.t, D.frames.intensity, nuc, pause]);
</script></body></html>`;
}

export async function buildReport(file: string, options: AnalyzeOptions = {}): Promise<string> {
  const d = await reportData(file, options);
  return renderReportHtml(d, await reportJson(d, options.signal));
}
