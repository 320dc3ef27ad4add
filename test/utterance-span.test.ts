// Issue #16: the answer describes the utterance, not the silence the file puts around it. RAVDESS
// files carry about a second of silence on each side; feature set 5 had learnt it (rates per
// second of file, phonation ratio, level percentiles over the silence), so the same clip cut at its
// speech, as a voice agent's VAD turn is, changed its emotion on 44 % of the validation clips.
// Feature set 6 measures the speech span (± 0.1 s) of any clip with more silence than that.
// Here: the 240 clips of actors 13–16 as 16-bit WAV, whole and cut 0.05 s outside their first and
// last sounding stretch (a tighter cut than the span's own pad, at other sample boundaries): feature
// set 5 gave the same emotion on 55.4 %, feature set 6 on 98.3 %, feature set 7 on 98.3 % (and the
// speed claim on 98.3 % instead of 77.9 %: the quiet margins no longer count as phonation).
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { analyze, extractProsody, loadAudio, verifyReasoning, type AnalysisResult } from '../src/index.js';
import { makeWav } from './helpers/wav.js';
import { applyGain, quantize16 } from '../src/train/augment.js';

const RAVDESS = path.resolve(__dirname, '../../shared/data/ravdess');
const allFiles = readdirSync(RAVDESS).filter((f) => /-1[3-6]\.wav$/.test(f)).sort();
const files = allFiles.filter((_, i) => i % 6 === 0);
const CUES = ['pitch', 'energy', 'speed', 'intonation'] as const;
const claimOf = (r: AnalysisResult, cue: string) => r.claims.find((c) => c.cue === cue)?.claim ?? 'not_mentioned';

describe('the utterance, not the file: a clip cut at its speech gets the same answer', () => {
  it('emotion, claims and measurements of the 240 validation clips agree whole and cut at the speech', async () => {
    let same = 0, n = 0, worstSpan = 0;
    const f0Cents: number[] = [];
    const cueSame = { pitch: 0, energy: 0, speed: 0, intonation: 0 };
    for (const f of allFiles) {
      const audio = await loadAudio(path.join(RAVDESS, f), { sampleRate: 16000, mono: true });
      const s = (await extractProsody(audio)).segments.sounding;
      const a = Math.max(0, Math.round((s[0].start - 0.05) * 16000));
      const b = Math.min(audio.samples.length, Math.round((s[s.length - 1].end + 0.05) * 16000));
      expect(audio.samples.length - (b - a)).toBeGreaterThan(0.4 * 16000); // RAVDESS pads its files
      const whole = await analyze(makeWav(audio.samples, { format: 's16' }));
      const cut = await analyze(makeWav(audio.samples.slice(a, b), { format: 's16' }));
      n++;
      if (whole.emotion === cut.emotion) same++;
      for (const c of CUES) if (claimOf(whole, c) === claimOf(cut, c)) cueSame[c]++;
      const f0w = whole.prosody.functionals.f0MedianHz!, f0c = cut.prosody.functionals.f0MedianHz!;
      f0Cents.push(Math.abs(1200 * Math.log2(f0w / f0c)));
      // The summary describes the span: its duration is the speech's, not the file's.
      worstSpan = Math.max(worstSpan, Math.abs(whole.prosody.duration - cut.prosody.duration));
    }
    f0Cents.sort((a, b) => a - b);
    const within25 = f0Cents.filter((c) => c < 25).length / n;
    console.log(`utterance span: ${n} clips, emotion same ${same}, claims same ${JSON.stringify(cueSame)}, F0 median within 25 cents on ${(100 * within25).toFixed(1)} % (worst ${f0Cents[n - 1].toFixed(1)} cents), worst duration difference ${worstSpan.toFixed(3)} s`);
    expect(same / n).toBeGreaterThanOrEqual(0.95);
    // Until feature set 7 speed was the cut-sensitive claim (phonation counted the quiet margins):
    // the same on 77.9 % of these clips under feature set 6, 72.5 % under 5. Feature set 7: emotion 98.3 %, pitch 99.6, energy 99.6, speed 98.3, intonation 99.2 %.
    for (const c of CUES) expect(cueSame[c] / n, c).toBeGreaterThanOrEqual(0.95);
    // One fearful clip (03-01-06-02-01-01-14) is tracked an octave apart whole and cut (203 vs
    // 449 Hz median, the same under feature set 6): the tracker's path depends on where the clip starts.
    expect(f0Cents[Math.floor(n / 2)]).toBeLessThan(1);
    expect(within25).toBeGreaterThanOrEqual(0.98);
    expect(worstSpan).toBeLessThan(0.3);
  });

  it('the quiet edges of a clip cut at its speech do not sound: phonation and level percentiles are the speech\'s, at any 16-bit gain', async () => {
    // A quiet run at either end of a clip is outside the utterance whatever its length (until
    // feature set 7 the 0.1 s margins were counted as sounding when shorter than minPauseSeconds:
    // phonation grew by the margins and the 5th level percentile read the room noise, ~44 dB under
    // the speech instead of ~21, and moved when a 16-bit file was made 20 dB quieter).
    let worstPhonation = 0, sumPhonation = 0, n = 0, worstP5 = 0, worstGainP5 = 0;
    for (const f of files.slice(0, 20)) {
      const audio = await loadAudio(path.join(RAVDESS, f), { sampleRate: 16000, mono: true });
      const whole = await extractProsody(audio);
      const s = whole.segments.sounding;
      for (const margin of [0.03, 0.1, 0.2]) {
        const a = Math.max(0, Math.round((s[0].start - margin) * 16000));
        const b = Math.min(audio.samples.length, Math.round((s[s.length - 1].end + margin) * 16000));
        const p5 = async (gainDb: number) => {
          const p = await extractProsody({ samples: quantize16(applyGain(audio.samples.slice(a, b), gainDb)), sampleRate: 16000, channels: 1 });
          return { p, rel: p.functionals.rmsP5Dbfs! - p.functionals.rmsP95Dbfs! };
        };
        const cut = await p5(0), quiet = await p5(-20);
        const dPhonation = Math.abs(cut.p.functionals.phonationTimeS! - whole.functionals.phonationTimeS!);
        worstPhonation = Math.max(worstPhonation, dPhonation);
        sumPhonation += dPhonation, n++;
        worstP5 = Math.max(worstP5, Math.abs(cut.rel - (whole.functionals.rmsP5Dbfs! - whole.functionals.rmsP95Dbfs!)));
        worstGainP5 = Math.max(worstGainP5, Math.abs(quiet.rel - cut.rel));
      }
    }
    console.log(`quiet edges: phonation difference mean ${(sumPhonation / n).toFixed(3)} s, worst ${worstPhonation.toFixed(3)} s, worst P5-P95 difference ${worstP5.toFixed(2)} dB (cut vs whole), ${worstGainP5.toFixed(2)} dB (-20 dB in 16-bit vs cut)`);
    // Feature set 6 measured a mean 0.2 s, up to 0.4 s, 26 dB and 13 dB here. What is left: an
    // inner quiet run near minPauseSeconds can fall on the other side of it when the threshold
    // (the clip's 99th intensity percentile − silenceDb) moves with the cut.
    expect(sumPhonation / n).toBeLessThan(0.02);
    expect(worstPhonation).toBeLessThan(0.15);
    expect(worstP5).toBeLessThan(2);
    expect(worstGainP5).toBeLessThan(1);
  });

  it("verifyReasoning measures the span as analyze does: analyze's own reasoning is supported", async () => {
    let claims = 0, supported = 0;
    for (const f of files.slice(0, 12)) {
      const bytes = makeWav((await loadAudio(path.join(RAVDESS, f), { sampleRate: 16000, mono: true })).samples, { format: 's16' });
      const r = await analyze(bytes);
      const v = await verifyReasoning(bytes, r.reasoning);
      for (const c of v.claims) {
        // The level cues: each verdict matches analyze's own check of its claim against the same
        // measurement (intonation verdicts read contour numbers that analyze's classes summarise).
        if (c.verdict === 'unverifiable' || c.cue === 'intonation') continue;
        claims++;
        const mine = r.claims.find((x) => x.cue === c.cue);
        expect(c.measurement?.name).toBe(mine?.measurement?.name);
        expect(c.measurement!.value).toBeCloseTo(mine!.measurement!.value as number, 9);
        if ((c.verdict === 'supported') === (mine?.agrees ?? false)) supported++;
      }
    }
    expect(claims).toBeGreaterThan(15);
    expect(supported).toBe(claims);
  });
});
