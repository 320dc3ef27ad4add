// Issue #16: the answer describes the utterance, not the silence the file puts around it. RAVDESS
// files carry about a second of silence on each side; feature set 5 had learnt it (rates per
// second of file, phonation ratio, level percentiles over the silence), so the same clip cut at its
// speech, as a voice agent's VAD turn is, changed its emotion on 44 % of the validation clips.
// Feature set 6 measures the speech span (± 0.1 s) of any clip with more silence than that.
// Here: 40 clips of actors 13–16 as 16-bit WAV, whole and cut 0.05 s outside their first and last
// sounding stretch (a tighter cut than the span's own pad, at other sample boundaries). On all 240
// clips feature set 5 gave the same emotion on 55.4 %, feature set 6 on 98.3 % (40 of these 40).
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { analyze, extractProsody, loadAudio, verifyReasoning, type AnalysisResult } from '../src/index.js';
import { makeWav } from './helpers/wav.js';

const RAVDESS = path.resolve(__dirname, '../../shared/data/ravdess');
const files = readdirSync(RAVDESS).filter((f) => /-1[3-6]\.wav$/.test(f)).sort().filter((_, i) => i % 6 === 0);
const CUES = ['pitch', 'energy', 'speed', 'intonation'] as const;
const claimOf = (r: AnalysisResult, cue: string) => r.claims.find((c) => c.cue === cue)?.claim ?? 'not_mentioned';

describe('the utterance, not the file: a clip cut at its speech gets the same answer', () => {
  it('emotion, claims and measurements of 40 validation clips agree whole and cut at the speech', async () => {
    let same = 0, n = 0, worstF0Cents = 0, worstSpan = 0;
    const cueSame = { pitch: 0, energy: 0, speed: 0, intonation: 0 };
    for (const f of files) {
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
      worstF0Cents = Math.max(worstF0Cents, Math.abs(1200 * Math.log2(f0w / f0c)));
      // The summary describes the span: its duration is the speech's, not the file's.
      worstSpan = Math.max(worstSpan, Math.abs(whole.prosody.duration - cut.prosody.duration));
    }
    console.log(`utterance span: ${n} clips, emotion same ${same}, claims same ${JSON.stringify(cueSame)}, worst F0 median ${worstF0Cents.toFixed(1)} cents, worst duration difference ${worstSpan.toFixed(3)} s`);
    expect(same / n).toBeGreaterThanOrEqual(0.95);
    // Speed is the cut-sensitive claim: phonation time counts edge silences shorter than
    // minPauseSeconds as sounding, so a 0.05 s margin against the span's 0.1 s moves the
    // articulation rate by a few per cent (all 240 validation clips: speed the same on 77.9 %,
    // 72.5 % under feature set 5; pitch 99.6, energy 95.8, intonation 98.8 %).
    for (const c of ['pitch', 'energy', 'intonation'] as const) expect(cueSame[c] / n, c).toBeGreaterThanOrEqual(0.9);
    expect(cueSame.speed / n, 'speed').toBeGreaterThanOrEqual(0.7);
    expect(worstF0Cents).toBeLessThan(25);
    expect(worstSpan).toBeLessThan(0.3);
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
