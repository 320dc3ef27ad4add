// Prosody API: bad input, energy definitions, segments, nuclei, calibration, caption, batch, CLI.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  assignLevels,
  calibrationSample,
  defaultCalibration,
  EmotionThinkerError,
  extractF0Sync,
  extractProsody,
  extractProsodyBatch,
  extractProsodySync,
  fitCalibration,
  loadCalibration,
  prosodyJsonReplacer,
  prosodyRecord,
  resample,
  saveCalibration,
} from '../src/index.js';
import { makeWav } from './helpers/wav.js';

/** A harmonic "vowel" at f0 Hz with a syllabic envelope (4 syllables/s) and gaps. */
function voice(rate: number, seconds: number, f0 = 200, amp = 0.3) {
  const n = Math.round(rate * seconds);
  const x = new Float32Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    phase += f0 / rate;
    const env = 0.3 + 0.7 * Math.sin(2 * Math.PI * 2 * t) ** 2; // 4 syllable-like bumps per second, no silence
    let v = 0;
    for (let h = 1; h * f0 < Math.min(3800, rate / 2 - 100); h++) v += Math.sin(2 * Math.PI * h * phase) / h;
    x[i] = amp * env * v * 0.5;
  }
  return x;
}

const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
const voicedF0 = (f0: Float32Array) => Array.from(f0).filter((v) => Number.isFinite(v));

describe('bad input', () => {
  it('all-zero audio: every frame unvoiced, voiced functionals null, no NaN in JSON', () => {
    const r = extractProsodySync(new Float32Array(16000), { sampleRate: 16000 });
    expect(r.frames.f0.length).toBe(101);
    expect(voicedF0(r.frames.f0)).toHaveLength(0);
    expect(r.functionals.f0MedianHz).toBeNull();
    expect(r.functionals.f0MeanSt).toBeNull();
    expect(r.functionals.articulationRate).toBeNull();
    expect(r.intonation.label).toBe('too_short');
    const json = JSON.stringify(r, prosodyJsonReplacer);
    expect(json).not.toMatch(/NaN|Infinity/);
    expect(JSON.stringify(r.functionals)).not.toMatch(/NaN/);
    expect(r.caption).toMatch(/no detectable voiced speech/);
  });

  it('audio shorter than one analysis window (25 ms): documented empty result', () => {
    const r = extractProsodySync(new Float32Array(300), { sampleRate: 16000 });
    expect(r.frames.f0.length).toBe(0);
    expect(r.frames.rmsDbfs.length).toBe(0);
    expect(r.nuclei).toEqual([]);
    expect(r.functionals.f0MedianHz).toBeNull();
    expect(r.intonation.label).toBe('too_short');
    expect(extractF0Sync(new Float32Array(10), { sampleRate: 16000 }).f0.length).toBe(0);
  });

  it('NaN and Inf samples: ERR_INVALID_ARG naming the first bad index', () => {
    const x = voice(16000, 0.5);
    x[1234] = NaN;
    x[2000] = Infinity;
    expect(() => extractProsodySync(x, { sampleRate: 16000 })).toThrow(/sample 1234 is NaN/);
    const y = voice(16000, 0.5);
    y[77] = -Infinity;
    try {
      extractF0Sync(y, { sampleRate: 16000 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(EmotionThinkerError);
      expect((e as EmotionThinkerError).code).toBe('ERR_INVALID_ARG');
      expect((e as Error).message).toMatch(/sample 77 is -Infinity/);
    }
  });

  it('DC offset: same F0 and energy as without', () => {
    const x = voice(16000, 1.0);
    const y = Float32Array.from(x, (v) => v + 0.3);
    const a = extractProsodySync(x, { sampleRate: 16000 });
    const b = extractProsodySync(y, { sampleRate: 16000 });
    expect(b.functionals.f0MedianHz!).toBeCloseTo(a.functionals.f0MedianHz!, 0);
    expect(Math.abs(b.functionals.rmsMeanDbfs! - a.functionals.rmsMeanDbfs!)).toBeLessThan(0.5);
    expect(b.dcOffset).toBeCloseTo(0.3, 2);
  });

  it('clipping: F0 still tracked, clipping reported', () => {
    const x = Float32Array.from(voice(16000, 1.0, 180, 3), (v) => Math.max(-1, Math.min(1, v)));
    const r = extractProsodySync(x, { sampleRate: 16000 });
    expect(r.clippedRatio).toBeGreaterThan(0.05);
    expect(Math.abs(r.functionals.f0MedianHz! - 180)).toBeLessThan(4);
  });

  for (const rate of [8000, 11025, 16000, 22050, 44100, 48000, 96000]) {
    it(`${rate} Hz input is resampled and tracked`, () => {
      const r = extractProsodySync(voice(rate, 1.0, 200), { sampleRate: rate });
      expect(r.analysisRate).toBe(16000);
      expect(r.frames.f0.length).toBe(101);
      expect(Math.abs(median(voicedF0(r.frames.f0)) - 200)).toBeLessThan(3);
    });
  }

  it('rejects bad options and inputs', () => {
    const x = voice(16000, 0.3);
    expect(() => extractProsodySync(x, { sampleRate: 16000, f0Min: 700 })).toThrow(/f0Min/);
    expect(() => extractProsodySync(x, { sampleRate: 16000, hopSeconds: 0 })).toThrow(/hopSeconds/);
    expect(() => extractProsodySync(x, {})).toThrow(/sampleRate/);
    expect(() => extractProsodySync(x, { sampleRate: 16000, bogus: 1 } as never)).toThrow(/unknown option/);
    expect(() => extractProsodySync(x, { sampleRate: 16000, backend: 'cuda' })).toThrow(/runs on the CPU only/);
    expect(() => extractProsodySync(x, { sampleRate: 16000, backend: 'gpu' as never })).toThrow(/option "backend"/);
  });

  it('every tracker option reaches the tracker (voicing / range-prior / level options) and bad values are named', async () => {
    const { loadAudio } = await import('../src/index.js');
    const a = await loadAudio(path.resolve(__dirname, '../../shared/data/ravdess/03-01-05-02-01-01-14.wav'), { sampleRate: 16000, mono: true });
    const run = (o: object) => extractProsodySync(a.samples, { sampleRate: 16000, ...o }).frames.f0;
    const base = run({});
    const changed = (f0: Float32Array) => f0.some((v, i) => !(v === base[i] || (Number.isNaN(v) && Number.isNaN(base[i]))));
    const options: [string, number][] = [
      ['levelQuantile', 0.5], ['vuvLevelDb', 0], ['vuvMinFactor', 1], ['vuvMaxFactor', 1], ['rangePriorCost', 0],
      ['rangePriorWidth', 0], ['rangePriorWidthBelow', 0], ['rangePriorMinVoicedSeconds', 100],
      ['offsetVoicingBonus', 0.5], ['onsetVoicingBonus', 0.5], ['voicingTrendSeconds', 0.2],
    ];
    for (const [k, v] of options) expect(changed(run({ [k]: v })), k).toBe(true);
    // Two ways to turn the range prior off give the same track.
    expect(run({ rangePriorCost: 0 })).toEqual(run({ rangePriorMinVoicedSeconds: 100 }));
    const bad: [string, unknown, RegExp][] = [
      ['levelQuantile', 0, /"levelQuantile" must be in \(0, 1\]/], ['vuvLevelDb', -1, /vuvLevelDb/], ['vuvMinFactor', 2, /vuvMinFactor/],
      ['vuvMaxFactor', 0.5, /vuvMaxFactor/], ['rangePriorCost', 11, /rangePriorCost/], ['rangePriorWidth', -1, /"rangePriorWidth" must/],
      ['rangePriorWidthBelow', 20, /"rangePriorWidthBelow" must/], ['rangePriorMinVoicedSeconds', -1, /rangePriorMinVoicedSeconds/],
      ['offsetVoicingBonus', 2, /offsetVoicingBonus/], ['onsetVoicingBonus', -1, /onsetVoicingBonus/],
      ['voicingTrendSeconds', 0, /voicingTrendSeconds/], ['vuvLevelDb', 'loud', /option "vuvLevelDb" must be a number/],
      ['rangePriorCost', NaN, /option "rangePriorCost" must be finite/],
    ];
    for (const [k, v, re] of bad) expect(() => run({ [k]: v }), k).toThrow(re);
  });
});

describe('definitions', () => {
  it('frame i is centred at i·hop; voicing ≥ 0.5 exactly on voiced frames; best guess everywhere', () => {
    const r = extractProsodySync(voice(16000, 1.0), { sampleRate: 16000, hopSeconds: 0.005 });
    expect(r.frames.time[10]).toBeCloseTo(0.05, 9);
    for (let i = 0; i < r.frames.f0.length; i++) {
      expect(Number.isFinite(r.frames.f0[i])).toBe(r.frames.voicing[i] >= 0.5);
      expect(Number.isFinite(r.frames.bestF0[i])).toBe(true);
    }
  });

  it('RMS dBFS and Praat intensity of a full-scale sine: −3.01 dBFS and ≈ 91 dB', () => {
    const x = Float32Array.from({ length: 16000 }, (_, i) => Math.sin((2 * Math.PI * 440 * i) / 16000));
    const r = extractProsodySync(x, { sampleRate: 16000 });
    expect(r.frames.rmsDbfs[50]).toBeCloseTo(-3.01, 1);
    expect(r.frames.intensityDb[50]).toBeCloseTo(90.97, 1);
  });

  it('pauses, sounding segments, nuclei and rates on a synthetic utterance', () => {
    const rate = 16000;
    const a = voice(rate, 1.0), b = voice(rate, 1.0);
    const x = new Float32Array(rate * 2.6);
    x.set(a, 0);
    x.set(b, Math.round(rate * 1.6)); // 0.6 s silence in the middle
    const r = extractProsodySync(x, { sampleRate: rate });
    expect(r.segments.pauses.length).toBe(1);
    expect(r.segments.pauses[0].start).toBeGreaterThan(0.9);
    expect(r.segments.pauses[0].end).toBeLessThan(1.75);
    expect(r.functionals.syllableCount).toBe(8);
    expect(r.functionals.speechRate!).toBeCloseTo(8 / 2.6, 5);
    expect(r.functionals.articulationRate!).toBeGreaterThan(r.functionals.speechRate!);
    expect(r.segments.voiced.length).toBe(2);
    expect(r.segments.unvoiced.length).toBeGreaterThanOrEqual(1);
  });

  it('intonation: rising glide is "rising", falling glide is "falling", steady tone is "flat"', () => {
    const glide = (from: number, to: number) => {
      const n = 16000;
      let ph = 0;
      return Float32Array.from({ length: n }, (_, i) => {
        const f = from * (to / from) ** (i / n);
        ph += f / 16000;
        let v = 0;
        for (let h = 1; h < 10; h++) v += Math.sin(2 * Math.PI * h * ph) / h;
        return 0.2 * v;
      });
    };
    expect(extractProsodySync(glide(120, 240), { sampleRate: 16000 }).intonation.label).toBe('rising');
    expect(extractProsodySync(glide(240, 120), { sampleRate: 16000 }).intonation.label).toBe('falling');
    expect(extractProsodySync(glide(150, 152), { sampleRate: 16000 }).intonation.label).toBe('flat');
  });

  it('intonation: an arch and a dip are told apart by the sign of curvatureSt; a straight glide has no turn depth', () => {
    // F0 in semitones around 150 Hz following `st(u)` over one second, u in [0, 1].
    const contour = (st: (u: number) => number) => {
      const n = 16000;
      let ph = 0;
      return Float32Array.from({ length: n }, (_, i) => {
        ph += (150 * 2 ** (st(i / n) / 12)) / 16000;
        let v = 0;
        for (let h = 1; h < 10; h++) v += Math.sin(2 * Math.PI * h * ph) / h;
        return 0.2 * v;
      });
    };
    // 8 st parabolas turning mid-utterance: second derivative ∓64 st over the span.
    const arch = extractProsodySync(contour((u) => 8 - 32 * (u - 0.5) ** 2), { sampleRate: 16000 }).intonation;
    const dip = extractProsodySync(contour((u) => -8 + 32 * (u - 0.5) ** 2), { sampleRate: 16000 }).intonation;
    expect(arch.label).toBe('rising-falling');
    expect(dip.label).toBe('falling-rising');
    expect(arch.curvatureSt!).toBeGreaterThan(-72);
    expect(arch.curvatureSt!).toBeLessThan(-56);
    expect(dip.curvatureSt!).toBeGreaterThan(56);
    expect(dip.curvatureSt!).toBeLessThan(72);
    expect(arch.vertex!).toBeCloseTo(0.5, 1);
    expect(arch.turnDepthSt!).toBeGreaterThan(7);
    expect(arch.turnDepthSt!).toBeLessThan(9);
    // A glide bending slightly over 12 st: the vertex lies beyond the end, so no turn inside.
    const bent = extractProsodySync(contour((u) => 12 * u + 1 * u * u), { sampleRate: 16000 }).intonation;
    expect(bent.label).toBe('rising');
    expect(Math.abs(bent.vertex!)).toBeGreaterThan(1);
    expect(bent.turnDepthSt).toBe(0);
  });
});

describe('calibration, levels, caption, record', () => {
  it('fits tertiles per corpus and gender, falls back to pooled cuts under 50 clips, round-trips JSON', () => {
    const samples = [];
    for (let i = 0; i < 120; i++) samples.push({ corpus: 'big', gender: i % 2 ? ('male' as const) : ('female' as const), f0MedianHz: (i % 2 ? 100 : 200) + (i % 60), rmsDbfs: -40 + (i % 30), articulationRate: 3 + (i % 10) / 5 });
    for (let i = 0; i < 10; i++) samples.push({ corpus: 'small', gender: 'male' as const, f0MedianHz: 300, rmsDbfs: -10, articulationRate: 9 });
    const cal = fitCalibration(samples);
    expect(cal.corpora.big.pitchByGender.male!.cuts).not.toBeNull();
    expect(cal.corpora.small.energy).toBeNull();
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'et-cal-')), 'cal.json');
    saveCalibration(cal, file);
    const back = loadCalibration(file);
    expect(back).toEqual(JSON.parse(JSON.stringify(cal)));
    const feat = { functionals: { f0MedianHz: 100, rmsMeanDbfs: 0, articulationRate: 3 }, gender: { value: 'male' as const, source: 'metadata' as const } };
    const lv = assignLevels(feat, back, { corpus: 'big' });
    expect(lv).toMatchObject({ pitch_level: 'low', energy_level: 'high', speed_level: 'slow' });
    expect(lv.groups.pitch).toBe('big/male');
    expect(assignLevels(feat, back, { corpus: 'small' }).groups.energy).toBe('pooled');
  });

  it('default calibration ships and applies; record and caption are complete', async () => {
    const cal = defaultCalibration();
    expect(cal.corpora.ravdess.pitchByGender.female!.cuts).not.toBeNull();
    const r = await extractProsody(voice(16000, 1.5, 230), { sampleRate: 16000, calibration: cal, corpus: 'ravdess', gender: 'female' });
    expect(r.levels!.pitch_level).toBe('normal');
    expect(r.gender).toEqual({ value: 'female', source: 'metadata' });
    const rec = prosodyRecord(r, { audioPath: 'a.wav', emotion: 'happy', transcription: 'hi' });
    expect(Object.keys(rec)).toEqual(expect.arrayContaining(['audio_path', 'transcription', 'emotion', 'pitch_level', 'energy_level', 'speed_level', 'intonation', 'gender', 'stressed_words', 'functionals', 'caption']));
    expect(rec.stressed_words).toEqual([]);
    expect(rec.caption).toMatch(/^A female speaker talks with normal pitch/);
    const est = extractProsodySync(voice(16000, 1.0, 110), { sampleRate: 16000 });
    expect(est.gender).toEqual({ value: 'male', source: 'estimate' });
    expect(est.caption).toMatch(/\(estimated\)/);
    const s = calibrationSample(r);
    expect(s.f0MedianHz).toBeGreaterThan(200);
  });
});

const RAVDESS = path.resolve(import.meta.dirname, '../../shared/data/ravdess');

describe('batch and files', () => {
  it('extractProsodyBatch keeps input order and reports per-item errors', async () => {
    const wav = makeWav(voice(22050, 0.8), { sampleRate: 22050, format: 's16' });
    const bad = new Float32Array(100);
    bad[5] = NaN;
    const items = await extractProsodyBatch([wav, bad, { samples: voice(16000, 0.5), sampleRate: 16000, channels: 1 }], { concurrency: 2, sampleRate: 16000 });
    expect(items[0].result!.sampleRate).toBe(22050);
    expect(items[1].error!.code).toBe('ERR_INVALID_ARG');
    expect(items[2].result!.duration).toBeCloseTo(0.5, 5);
  });

  it('stereo: channel mix by default, one channel on request', () => {
    const l = voice(16000, 0.8, 150), r = voice(16000, 0.8, 250);
    const st = new Float32Array(l.length * 2);
    for (let i = 0; i < l.length; i++) { st[2 * i] = l[i]; st[2 * i + 1] = r[i]; }
    const audio = { samples: st, sampleRate: 16000, channels: 2 };
    expect(Math.abs(extractProsodySync(audio, { channel: 1 }).functionals.f0MedianHz! - 250)).toBeLessThan(4);
    expect(Math.abs(extractProsodySync(audio, { channel: 0 }).functionals.f0MedianHz! - 150)).toBeLessThan(4);
  });

  it.skipIf(!existsSync(RAVDESS))('syllable nuclei on 40 RAVDESS clips (7 syllables each): MAE ≤ 1.2', async () => {
    const files = readdirSync(RAVDESS).filter((f) => f.endsWith('.wav')).sort().filter((_, i) => i % 24 === 0);
    const items = await extractProsodyBatch(files.map((f) => path.join(RAVDESS, f)), { concurrency: 2 });
    const mae = items.reduce((s, it) => s + Math.abs(it.result!.nuclei.length - 7), 0) / items.length;
    console.log(`ravdess nuclei subset (${items.length} clips): MAE ${mae.toFixed(2)}`);
    expect(mae).toBeLessThanOrEqual(1.2);
  });

  it('CLI f0 prints time<TAB>f0 per frame with 0 for unvoiced; exit 1 on a bad file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'et-f0-'));
    const file = path.join(dir, 'v.wav');
    const sig = new Float32Array(16000 * 0.7);
    sig.set(voice(16000, 0.5, 200), 3200); // 0.2 s of silence first
    writeFileSync(file, makeWav(sig, { sampleRate: 16000, format: 's16' }));
    const cli = path.resolve(import.meta.dirname, '../src/cli.ts');
    // Node 20 cannot run TS directly: run the compiled CLI (built here if missing).
    const dist = path.resolve(import.meta.dirname, '../dist/cli.js');
    if (!existsSync(dist)) execFileSync('npx', ['tsc', '-p', path.resolve(import.meta.dirname, '../tsconfig.json')]);
    void cli;
    const out = execFileSync('node', [dist, 'f0', file], { encoding: 'utf8' });
    const lines = out.trim().split('\n');
    expect(lines.length).toBe(71);
    for (const l of lines) expect(l).toMatch(/^\d+\.\d{3}\t(0|\d+\.\d{2})$/);
    expect(lines[0]).toMatch(/^0\.000\t0$/);
    const voiced = lines.map((l) => Number(l.split('\t')[1])).filter((v) => v > 0);
    expect(Math.abs(median(voiced) - 200)).toBeLessThan(3);
    expect(lines[10].split('\t')[0]).toBe('0.100');
    const bad = spawnSync('node', [dist, 'f0', path.join(dir, 'missing.wav')], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/ERR_FILE/);
  });
});

// resample is re-exported and used by callers that pre-resample; keep the import exercised.
void resample;
