// The bundled emotion model on speech that is not RAVDESS (issue #16: "the default model is also
// checked on speakers and corpora that are not in ../shared/data/ravdess"): the Edinburgh FDA
// database (../shared/data/fda-ue), two speakers reading English sentences in a neutral style,
// another microphone, room and sample rate (20 kHz). The text is read speech without acted emotion,
// so the reference answer is neutral; calm is the nearest neighbour in RAVDESS's scheme and is
// reported apart ("low arousal"). Reported per speaker and for both, at the recording's own level
// and 20 dB down / 10 dB up (16-bit WAV, as a different microphone gain would give): the emotion
// distribution, accuracy (neutral) and low-arousal share (neutral or calm), mean confidence,
// ECE against "neutral", the share flagged uncertain, the energy claim's distribution, and how
// many answers and claims the gain changes; for single clips (analyze) and for a speaker session
// over each speaker's 50 clips (analyzeSpeaker).
// Usage: npm run build:ts && node benchmarks/ser-other-corpus.mjs [--out report.json]
//   [--model single.json] [--session-model session.json] (another model than the bundled ones, e.g.
//   one saved by ser-robustness.mjs --save-models; EMOTIONTHINKER_DIST picks another build)
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const api = await import(pathToFileURL(path.join(path.resolve(root, process.env.EMOTIONTHINKER_DIST ?? 'dist'), 'index.js')).href);
const DATA = path.resolve(root, '../shared/data/fda-ue');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const outFile = path.resolve(arg('--out', path.join(root, '.cache', 'ser-other-corpus.json')));
const singleModel = arg('--model', null) ? { model: api.loadModel(path.resolve(arg('--model'))) } : {};
const sessionModel = arg('--session-model', null) ? { model: api.loadModel(path.resolve(arg('--session-model'))) } : {};

const files = readdirSync(DATA).filter((f) => f.endsWith('.wav')).sort();
const speakerOf = (f) => f.slice(0, 2); // rl (male), sb (female)

/** 16-bit mono WAV of float samples scaled by `gain`; null when the gain would clip. */
function scaledWav(samples, rate, gain) {
  const n = samples.length;
  const b = Buffer.alloc(44 + 2 * n);
  b.write('RIFF', 0); b.writeUInt32LE(36 + 2 * n, 4); b.write('WAVE', 8); b.write('fmt ', 12);
  b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22); b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(2 * rate, 28); b.writeUInt16LE(2, 32); b.writeUInt16LE(16, 34); b.write('data', 36); b.writeUInt32LE(2 * n, 40);
  for (let i = 0; i < n; i++) {
    const v = Math.round(samples[i] * gain * 32768);
    if (v > 32767 || v < -32768) return null;
    b.writeInt16LE(v, 44 + 2 * i);
  }
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

const GAINS = [['as recorded', 0], ['gain -20 dB', -20], ['gain +10 dB', 10]];
const neutral = api.EMOTIONS.indexOf('neutral');
const calm = api.EMOTIONS.indexOf('calm');
const results = {}; // condition -> file -> analysis
for (const [name] of GAINS) results[name] = new Map();

const t0 = performance.now();
// Each file at each level, made once (null where the gain would clip: not a gain change any more).
const inputs = new Map();
for (const f of files) {
  const audio = await api.loadAudio(path.join(DATA, f), { mono: true });
  inputs.set(f, GAINS.map(([, db]) => (db === 0 ? readFileSync(path.join(DATA, f)) : scaledWav(audio.samples, audio.sampleRate, 10 ** (db / 20)))));
  for (const [k, [name]] of GAINS.entries()) {
    const bytes = inputs.get(f)[k];
    if (bytes) results[name].set(f, await api.analyze(bytes, singleModel));
  }
}
// A speaker session over all of a speaker's clips (analyzeSpeaker: the speaker's own statistics),
// at each level.
for (const [k, [name]] of GAINS.entries()) {
  const key = `session, ${name}`;
  results[key] = new Map();
  for (const spk of ['rl', 'sb']) {
    const list = [];
    for (const f of files.filter((x) => speakerOf(x) === spk)) {
      const bytes = inputs.get(f)[k];
      if (bytes) list.push([f, bytes]);
    }
    const out = await api.analyzeSpeaker(list.map(([, b]) => b), { id: spk, ...sessionModel });
    list.forEach(([f], j) => results[key].set(f, out[j]));
  }
}
GAINS.push(...GAINS.map(([name, db]) => [`session, ${name}`, db]));
const seconds = (performance.now() - t0) / 1000;

function summarise(map, subset) {
  const rs = subset.filter((f) => map.has(f)).map((f) => map.get(f));
  const n = rs.length;
  const counts = Object.fromEntries(api.EMOTIONS.map((e) => [e, 0]));
  const energy = { low: 0, normal: 0, high: 0, none: 0 };
  let conf = 0, uncertain = 0;
  for (const r of rs) {
    counts[r.emotion]++;
    conf += Math.max(...Object.values(r.probabilities));
    if (r.uncertain) uncertain++;
    const e = r.claims.find((c) => c.cue === 'energy');
    energy[e ? e.claim : 'none']++;
  }
  const probs = rs.map((r) => api.EMOTIONS.map((e) => r.probabilities[e]));
  return {
    n,
    emotions: counts,
    accuracyNeutral: counts.neutral / n,
    lowArousal: (counts.neutral + counts.calm) / n,
    confidence: conf / n,
    ece: api.expectedCalibrationError(probs, new Array(n).fill(neutral)).ece,
    uncertain: uncertain / n,
    energyClaims: energy,
  };
}

function agreement(a, b, subset) {
  const both = subset.filter((f) => a.has(f) && b.has(f));
  const same = (pick) => both.filter((f) => pick(a.get(f)) === pick(b.get(f))).length / both.length;
  const claim = (cue) => (r) => r.claims.find((c) => c.cue === cue)?.claim ?? 'none';
  return { n: both.length, emotion: same((r) => r.emotion), pitch: same(claim('pitch')), energy: same(claim('energy')), speed: same(claim('speed')), intonation: same(claim('intonation')) };
}

const pct = (v) => (100 * v).toFixed(1);
const report = { corpus: 'fda-ue', files: files.length, seconds, conditions: {}, gainAgreement: {} };
for (const [label, subset] of [['rl (male)', files.filter((f) => speakerOf(f) === 'rl')], ['sb (female)', files.filter((f) => speakerOf(f) === 'sb')], ['both', files]]) {
  for (const [name] of GAINS) {
    const s = summarise(results[name], subset);
    report.conditions[`${label}, ${name}`] = s;
    const top = Object.entries(s.emotions).filter(([, c]) => c).sort((x, y) => y[1] - x[1]).map(([e, c]) => `${e} ${c}`).join(', ');
    console.log(`${label.padEnd(12)} ${name.padEnd(12)} n=${String(s.n).padStart(3)}  neutral ${pct(s.accuracyNeutral).padStart(5)} %  neutral|calm ${pct(s.lowArousal).padStart(5)} %  confidence ${s.confidence.toFixed(2)}  ECE ${s.ece.toFixed(3)}  uncertain ${pct(s.uncertain).padStart(5)} %  energy claims ${JSON.stringify(s.energyClaims)}  [${top}]`);
  }
  for (const [name] of GAINS.filter(([, db]) => db !== 0)) {
    const g = agreement(results[name.startsWith('session') ? 'session, as recorded' : 'as recorded'], results[name], subset);
    report.gainAgreement[`${label}, ${name}`] = g;
    console.log(`${label.padEnd(12)} ${name.padEnd(12)} unchanged vs as recorded (n=${g.n}): emotion ${pct(g.emotion)} %, pitch ${pct(g.pitch)} %, energy ${pct(g.energy)} %, speed ${pct(g.speed)} %, intonation ${pct(g.intonation)} %`);
  }
}
console.log(`${files.length} files × ${GAINS.length / 2} levels, single clips and sessions, analysed in ${seconds.toFixed(1)} s`);
mkdirSync(path.dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(report, null, 1));
console.log(`FDA database: Bagshaw, Hiller & Jack (1993), University of Edinburgh CSTR, research use. Report: ${path.relative(process.cwd(), outFile)}`);
