// Compares two smoke.mjs results (reference first) within the tolerances stated below, which are
// what a different compiler, CPU or libm may change: float rounding (FMA contraction on aarch64,
// AVX2 clones on x64), never the algorithm. Exits 1 listing every difference beyond tolerance.
// Usage: node compare.mjs ref.json other.json
import { readFileSync } from 'node:fs';

const TOL = {
  decodeAbs: 0, //             PCM → float is exact: identical samples.
  resampleAbs: 1e-5, //        float32 FIR sums in a different order / fused: ~1e-7 typical.
  f0Rel: 1e-3, //              Hz, on frames voiced in both runs.
  voicingFlipShare: 0.01, //   frames whose voiced/unvoiced decision may flip at the threshold.
  intensityAbs: 0.01, //       dB.
  functionalRel: 1e-3, //      relative to max(1, |ref|).
  probabilityAbs: 1e-3,
  sileroProbAbs: 1e-3, //      onnxruntime's kernels differ per architecture.
  sileroBoundaryAbs: 0.032, // s: one Silero window.
};

const [refPath, otherPath] = process.argv.slice(2);
const ref = JSON.parse(readFileSync(refPath, 'utf8'));
const got = JSON.parse(readFileSync(otherPath, 'utf8'));
const bad = [];
const worst = {};
const note = (k, v) => (worst[k] = Math.max(worst[k] ?? 0, v));

function arrAbs(a, b, tol, what, key) {
  if (a.length !== b.length) return bad.push(`${what}: length ${b.length} vs ${a.length}`);
  for (let i = 0; i < a.length; i++) {
    if (a[i] === null || b[i] === null) { if (a[i] !== b[i]) bad.push(`${what}[${i}]: ${b[i]} vs ${a[i]}`); continue; }
    const d = Math.abs(a[i] - b[i]);
    note(key, d);
    if (!(d <= tol)) { bad.push(`${what}[${i}]: ${b[i]} vs ${a[i]} (|Δ| ${d} > ${tol})`); return; }
  }
}
function functionals(a, b, what) {
  for (const k of Object.keys(a)) {
    const x = a[k], y = b[k];
    if (x === null || y === null || typeof x !== 'number') { if (x !== y) bad.push(`${what}.${k}: ${y} vs ${x}`); continue; }
    const d = Math.abs(x - y) / Math.max(1, Math.abs(x));
    note('functionalRel', d);
    if (!(d <= TOL.functionalRel)) bad.push(`${what}.${k}: ${y} vs ${x} (rel ${d.toExponential(2)} > ${TOL.functionalRel})`);
  }
}

if (ref.clips.length !== got.clips.length) bad.push(`clips: ${got.clips.length} vs ${ref.clips.length}`);
ref.clips.forEach((r, c) => {
  const g = got.clips[c];
  const w = r.clip;
  for (const k of ['sampleRate', 'channels', 'frames']) if (r.decode[k] !== g.decode[k]) bad.push(`${w} decode.${k}: ${g.decode[k]} vs ${r.decode[k]}`);
  arrAbs(r.decode.every97, g.decode.every97, TOL.decodeAbs, `${w} decode`, 'decodeAbs');
  if (r.resample.length !== g.resample.length) bad.push(`${w} resample length ${g.resample.length} vs ${r.resample.length}`);
  arrAbs(r.resample.every31, g.resample.every31, TOL.resampleAbs, `${w} resample`, 'resampleAbs');
  const f0r = r.prosody.f0, f0g = g.prosody.f0;
  if (f0r.length !== f0g.length) bad.push(`${w} f0 frames ${f0g.length} vs ${f0r.length}`);
  let flips = 0;
  for (let i = 0; i < f0r.length; i++) {
    if ((f0r[i] === null) !== (f0g[i] === null)) { flips++; continue; }
    if (f0r[i] === null) continue;
    const d = Math.abs(f0r[i] - f0g[i]) / f0r[i];
    note('f0Rel', d);
    if (!(d <= TOL.f0Rel)) bad.push(`${w} f0[${i}]: ${f0g[i]} vs ${f0r[i]} Hz`);
  }
  note('voicingFlipShare', flips / Math.max(1, f0r.length));
  if (flips / Math.max(1, f0r.length) > TOL.voicingFlipShare) bad.push(`${w}: ${flips} of ${f0r.length} frames changed voicing`);
  arrAbs(r.prosody.intensityDb, g.prosody.intensityDb, TOL.intensityAbs, `${w} intensityDb`, 'intensityAbs');
  functionals(r.prosody.functionals, g.prosody.functionals, `${w} functionals`);
});
if (got.silero?.skipped) console.log(`platform smoke: Silero VAD / ONNX skipped: ${got.silero.skipped}`);
else if (ref.silero?.error || got.silero?.error) bad.push(`Silero VAD: ${got.silero?.error ?? ref.silero?.error}`);
else {
  arrAbs(ref.silero.probabilities, got.silero.probabilities, TOL.sileroProbAbs, 'silero probabilities', 'sileroProbAbs');
  if (ref.silero.segments.length !== got.silero.segments.length) bad.push(`silero segments: ${JSON.stringify(got.silero.segments)} vs ${JSON.stringify(ref.silero.segments)}`);
  else arrAbs(ref.silero.segments.flat(), got.silero.segments.flat(), TOL.sileroBoundaryAbs, 'silero boundaries', 'sileroBoundaryAbs');
}
if (!got.golden || got.golden.failed.length || got.golden.cases !== ref.golden?.cases) bad.push(`GRPO golden: ${JSON.stringify(got.golden)}`);
if (got.analyze.emotion !== ref.analyze.emotion) bad.push(`analyze emotion: ${got.analyze.emotion} vs ${ref.analyze.emotion}`);
for (const [k, p] of Object.entries(ref.analyze.probabilities)) {
  const d = Math.abs(p - (got.analyze.probabilities[k] ?? NaN));
  note('probabilityAbs', d);
  if (!(d <= TOL.probabilityAbs)) bad.push(`analyze p(${k}): ${got.analyze.probabilities[k]} vs ${p}`);
}
functionals(ref.analyze.functionals, got.analyze.functionals, 'analyze functionals');

const label = `${got.arch} node ${got.node} vs ${ref.arch} node ${ref.node}`;
if (bad.length) {
  console.error(`platform smoke: ${label}: ${bad.length} difference(s) beyond tolerance:\n  ${bad.slice(0, 20).join('\n  ')}`);
  process.exit(1);
}
console.log(`platform smoke: ${label}: equal within tolerance; worst ${JSON.stringify(worst)}; golden ${got.golden.cases} cases, worst ${got.golden.worstOverTol.toExponential(2)} of tol`);
