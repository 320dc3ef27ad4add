// verifyReasoning and `emotionthinker verify` (issue #17 §1): claim extraction and answer mapping
// measured on the hand-written fixture set, verdicts against real RAVDESS measurements, scores,
// the reward with SPEC §4's weights, speaker-relative cut points, and bad input.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import {
  analyze,
  assignLevels,
  defaultModel,
  DEFAULT_ANSWER_VOCABULARY,
  EmotionThinkerError,
  extractClaims,
  extractProsody,
  INTONATION_THRESHOLDS,
  mapAnswer,
  measureAudio,
  parseReasoningText,
  verifyReasoning,
  type CutPointSource,
} from '../src/index.js';
import { claimKeys, FIXTURE_DIR, loadExplanations } from './helpers/explanations.js';
import { makeWav } from './helpers/wav.js';
import { rng } from './helpers/rng.js';

const root = path.resolve(__dirname, '..');
const RAVDESS = path.resolve(root, '../shared/data/ravdess');
// Actor 01 (male), angry, strong intensity; actor 02 (female), sad, normal intensity.
const ANGRY = path.join(RAVDESS, '03-01-05-02-01-01-01.wav');
const SAD = path.join(RAVDESS, '03-01-04-01-01-01-02.wav');

const effortLevel = (e: number) => {
  const c = defaultModel().file.perception!.effortCuts;
  return e < c[0] ? 'low' : e >= c[1] ? 'high' : 'normal';
};

function score(dir: string) {
  const items = loadExplanations(dir);
  let tp = 0, fp = 0, fn = 0, labels = 0, utp = 0, ufn = 0;
  const misses: string[] = [];
  for (const it of items) {
    const p = parseReasoningText(it.text);
    if (mapAnswer(p.answer) === it.label) labels++;
    else misses.push(`${it.file}:${it.line} label ${mapAnswer(p.answer)} ≠ ${it.label}`);
    const got = claimKeys(extractClaims(it.text, p.thinkStart, p.thinkStart + p.think.length));
    const want = new Set(it.claims);
    for (const k of want) got.known.has(k) ? tp++ : (fn++, misses.push(`${it.file}:${it.line} missed ${k}`));
    for (const k of got.known) if (!want.has(k)) (fp++, misses.push(`${it.file}:${it.line} extra ${k}`));
    for (const k of it.unknown) got.unknown.has(k) ? utp++ : ufn++;
  }
  return { items, precision: tp / (tp + fp), recall: tp / (tp + fn), answer: labels / items.length, unknownRecall: utp / Math.max(1, utp + ufn), claims: tp + fn, misses };
}

describe('claim extraction and answer mapping on the fixture set', () => {
  it('≥ 150 varied explanations: precision and recall ≥ 0.95, answer mapping ≥ 0.98', () => {
    const s = score(FIXTURE_DIR);
    expect(s.items.length).toBeGreaterThanOrEqual(150);
    // The set covers the styles the issue names: tags, key-value, Markdown, negation, no claims, other languages.
    expect(s.items.filter((i) => i.claims.length === 0).length).toBeGreaterThanOrEqual(8);
    expect(s.items.filter((i) => i.claims.some((c) => c.startsWith('!'))).length).toBeGreaterThanOrEqual(10);
    expect(s.items.filter((i) => /^\s*[-*|#]|\*\*/m.test(i.text)).length).toBeGreaterThanOrEqual(8);
    expect(s.items.filter((i) => !/<answer>/i.test(i.text)).length).toBeGreaterThanOrEqual(10);
    expect(s.claims).toBeGreaterThanOrEqual(300);
    expect(s.precision, s.misses.join('\n')).toBeGreaterThanOrEqual(0.95);
    expect(s.recall, s.misses.join('\n')).toBeGreaterThanOrEqual(0.95);
    expect(s.answer, s.misses.join('\n')).toBeGreaterThanOrEqual(0.98);
    expect(s.unknownRecall).toBeGreaterThanOrEqual(0.95);
  });

  it('held-out explanations (three batches written after tuning) stay above 0.9', () => {
    const s = score(path.join(FIXTURE_DIR, 'holdout'));
    expect(s.items.length).toBeGreaterThanOrEqual(90);
    expect(s.precision, s.misses.join('\n')).toBeGreaterThanOrEqual(0.9);
    expect(s.recall, s.misses.join('\n')).toBeGreaterThanOrEqual(0.9);
  });

  it('maps answer forms onto labels (default vocabulary, upstream labels, Markdown, sentences)', () => {
    const cases: [string, string | null][] = [
      ['anger', 'angry'], ['Angry', 'angry'], ['happiness', 'happy'], ['joy', 'happy'], ['sadness', 'sad'], ['fear', 'fearful'],
      ['surprise', 'surprised'], ['contempt or disgust', 'disgust'], ['Contempt', 'disgust'], ['confused', 'confused'], ['whisper', 'whisper'],
      ['neutral', 'neutral'], ['calm', 'calm'], ['The emotion is anger.', 'angry'], ['**sad**', 'sad'], ['not angry, just sad', 'sad'],
      ['happy or sad', null], ['bored', null], ['', null], ['made', null], ['madness', null],
    ];
    for (const [a, want] of cases) expect(mapAnswer(parseReasoningText(`<answer>${a}</answer>`).answer), a).toBe(want);
    // A custom vocabulary replaces the default.
    const vocab = { positive: ['happy', 'joy'], negative: ['sad', 'angry'] };
    expect(mapAnswer('joy', vocab)).toBe('positive');
    expect(mapAnswer('fear', vocab)).toBe(null);
    expect(Object.keys(DEFAULT_ANSWER_VOCABULARY)).toContain('whisper');
  });

  it('gives claims spans and sentences in the original text', () => {
    const text = '<think>Her pitch is HIGH; she is not loud at all.</think><answer>fear</answer>';
    const cs = extractClaims(text);
    expect(cs.map((c) => [c.cue, c.value, c.negated])).toEqual([['pitch', 'high', false], ['energy', 'low', false]]);
    expect(text.slice(...cs[0].span)).toBe('pitch is HIGH');
    expect(cs[1].sentence).toBe('she is not loud at all.');
  });
});

describe('claim extraction on random word salad', () => {
  it('never throws; spans lie in the text, in order, and cover what they name', () => {
    const words = ['the', 'pitch', 'energy', 'is', 'not', 'high', 'low', 'neither', 'nor', 'loud', 'at', 'all', 'rises', 'falls', 'then', 'and', 'but',
      'than', 'usual', 'rate', 'fast', 'slow', 'monotone', 'trembling', ',', '.', ':', ';', '\n', '**', '<think>', '</answer>', 'é', '—', 'goes', 'up', 'down',
      'in', 'the', 'middle', 'normal', 'anything', 'far', 'from', 'volume', 'level', 'of', '-', 'rising-falling', 'sing-song', '漢字', '\u0000'];
    const r = rng(17);
    for (let n = 0; n < 400; n++) {
      const len = Math.floor(r() * 60);
      const text = Array.from({ length: len }, () => words[Math.floor(r() * words.length)]).join(r() < 0.5 ? ' ' : '');
      const claims = extractClaims(text);
      let prev = -1;
      for (const c of claims) {
        expect(c.span[0]).toBeGreaterThanOrEqual(0);
        expect(c.span[1]).toBeLessThanOrEqual(text.length);
        expect(c.span[0]).toBeLessThan(c.span[1]);
        expect(c.span[0]).toBeGreaterThanOrEqual(prev);
        prev = c.span[0];
        expect(typeof c.sentence).toBe('string');
        expect(['pitch', 'energy', 'speed', 'intonation', 'voice_quality', 'vocalization', 'fluency', 'stress']).toContain(c.cue);
        // The span's text is the claim's own words: lower-cased it contains a lexicon word, never only markup.
        expect(text.slice(...c.span).replace(/[^a-z]/gi, '').length).toBeGreaterThan(0);
      }
    }
  });
});

describe('verifyReasoning on real audio', () => {
  it('supports claims that match the calibration levels, contradicts the others, with the cut points used', async () => {
    const model = defaultModel();
    const p = await measureAudio(ANGRY);
    // Actor 01 is a man; angry, he speaks above the F0 rule's 160 Hz, so the prosody layer alone
    // guesses female. The measurement carries the gender analyze judges with: the model's estimate.
    expect((await extractProsody(ANGRY)).gender?.value).toBe('female');
    expect(p.gender).toEqual({ value: 'male', source: 'estimate' });
    expect(p.gender).toEqual((await analyze(ANGRY)).prosody.gender);
    const lv = assignLevels(p, model.file.calibration, { corpus: model.file.corpus });
    expect(lv.groups.pitch).toMatch(/\/male$/);
    expect(lv.pitch_level).not.toBeNull();
    // Energy: the vocal effort against the model's effort cut points (as analyze judges it).
    lv.energy_level = effortLevel(p.effortDb!);
    const opposite: Record<string, string> = { low: 'high', high: 'low', normal: 'high', slow: 'fast', fast: 'slow' };
    const truthful = `<think>The pitch is ${lv.pitch_level}. The energy is ${lv.energy_level}. The speaking rate is ${lv.speed_level}. The voice is trembling.</think><answer>anger</answer>`;
    const lying = `<think>The pitch is ${opposite[lv.pitch_level!]}. The energy is ${opposite[lv.energy_level!]}. The speaking rate is ${opposite[lv.speed_level!]}.</think><answer>anger</answer>`;
    const t = await verifyReasoning(ANGRY, truthful, { emotion: 'angry' });
    expect(Object.keys(t).sort()).toEqual(['answer', 'claims', 'label', 'reward', 'scores']);
    expect(Object.keys(t.scores).sort()).toEqual(['cc', 'fa', 'fs', 'iq']);
    expect(t.label).toBe('angry');
    expect(t.claims.map((c) => c.verdict)).toEqual(['supported', 'supported', 'supported', 'unverifiable']);
    const pitch = t.claims[0];
    expect(pitch.measurement?.name).toBe('f0MedianHz');
    expect(pitch.measurement?.value).toBe(p.functionals.f0MedianHz);
    const g = lv.groups.pitch.split('/');
    const cuts = g[0] === 'pooled' ? model.file.calibration.pooled.pitchByGender[g[1] as 'male']!.cuts : model.file.calibration.corpora[g[0]].pitchByGender[g[1] as 'male']!.cuts;
    expect(pitch.cutPoints).toEqual(cuts);
    expect(t.claims[3]).toMatchObject({ cue: 'voice_quality', value: 'trembling', verdict: 'unverifiable', measurement: null, cutPoints: null });
    expect(t.scores.fa).toBe(5);
    expect(t.scores.fs).toBe(5);

    const l = await verifyReasoning(ANGRY, lying, { emotion: 'angry' });
    expect(l.claims.map((c) => c.verdict)).toEqual(['contradicted', 'contradicted', 'contradicted']);
    expect(l.scores.fa).toBe(1);
    expect(l.reward).toBeLessThan(t.reward);
    // Same prosody given as an analysis instead of audio: the same result.
    expect(await verifyReasoning(p, truthful, { emotion: 'angry' })).toEqual(t);
  });

  it('intonation claims carry the contour number that decides them and the classifier\'s own cut points', async () => {
    const th = INTONATION_THRESHOLDS;
    expect(Object.isFrozen(th)).toBe(true);
    expect(th.flatBelowSt).toBeLessThan(th.expressiveAboveSt);
    const text = '<think>The intonation is flat. The pitch rises at the end. It is not falling. The pitch goes up in the middle and comes down at the end. The melody is lively.</think><answer>happy</answer>';
    // Clips of both actors and several emotions, plus two synthetic glides (a rise and an arch).
    const files = ['03-01-01-01-01-01-01', '03-01-03-02-02-01-02', '03-01-04-01-01-01-02', '03-01-05-02-01-01-01', '03-01-08-02-02-02-01', '03-01-06-01-02-02-02'].map((f) => path.join(RAVDESS, `${f}.wav`));
    const glide = (f0: (t: number) => number) => {
      const x = new Float32Array(16000 * 1.5);
      let ph = 0;
      for (let i = 0; i < x.length; i++) {
        ph += (2 * Math.PI * f0(i / 16000)) / 16000;
        x[i] = 0.3 * (Math.sin(ph) + 0.5 * Math.sin(2 * ph));
      }
      return makeWav(x);
    };
    const inputs: (string | Uint8Array)[] = [...files, glide((t) => 120 * 2 ** ((8 * t) / 1.5 / 12)), glide((t) => 150 * 2 ** ((6 * Math.sin((Math.PI * t) / 1.5)) / 12))];
    const seen = new Set<string>();
    for (const input of inputs) {
      const p = await measureAudio(input);
      const i = p.intonation;
      const r = await verifyReasoning(p, text);
      const byValue = Object.fromEntries(r.claims.map((c) => [`${c.negated ? '!' : ''}${c.value}`, c]));
      expect(Object.keys(byValue).sort()).toEqual(['!falling', 'expressive', 'flat', 'rising', 'rising-falling']);
      const check = (key: string, name: string, value: number | null, cuts: [number, number], cls: string | null) => {
        const c = byValue[key];
        expect(c.measurement).toMatchObject({ name, value, unit: 'st' });
        expect(c.cutPoints).toEqual(cuts);
        expect(c.measurement!.contour!.thresholds).toEqual(th);
        if (i.label === 'too_short' || i.label === 'uncertain') {
          expect(c.verdict).toBe('unverifiable');
          return;
        }
        // The class the classifier reported is the one its numbers and these cut points give.
        expect(c.measurement!.level).toBe(cls);
        seen.add(`${name}:${cls}`);
      };
      const rangeCls = i.rangeSt === null ? null : i.rangeSt < th.flatBelowSt ? 'flat' : i.rangeSt > th.expressiveAboveSt ? 'expressive' : 'moderate';
      const dirCls = i.directionSt === null ? null : i.directionSt >= th.directionSt ? 'rising' : i.directionSt <= -th.directionSt ? 'falling' : 'level';
      expect(i.rangeClass).toBe(rangeCls);
      expect(i.direction).toBe(dirCls);
      check('flat', 'rangeSt', i.rangeSt, [th.flatBelowSt, th.expressiveAboveSt], rangeCls);
      check('expressive', 'rangeSt', i.rangeSt, [th.flatBelowSt, th.expressiveAboveSt], rangeCls);
      check('rising', 'directionSt', i.directionSt, [-th.directionSt, th.directionSt], dirCls);
      check('!falling', 'directionSt', i.directionSt, [-th.directionSt, th.directionSt], dirCls);
      check('rising-falling', 'turnDepthSt', i.turnDepthSt, [th.turnDepthSt, th.turnDepthSt], i.turn);
      if (i.label === 'too_short' || i.label === 'uncertain') continue;
      // Verdicts follow the numbers: a rise is supported exactly when end − start reaches the upper cut.
      expect(byValue.rising.verdict).toBe(i.directionSt! >= th.directionSt ? 'supported' : 'contradicted');
      expect(byValue['!falling'].verdict).toBe(i.directionSt! <= -th.directionSt ? 'contradicted' : 'supported');
      expect(byValue.expressive.verdict).toBe(i.rangeSt! > th.expressiveAboveSt ? 'supported' : 'contradicted');
      if (i.turn === 'rising-falling') expect(i.turnDepthSt!).toBeGreaterThanOrEqual(th.turnDepthSt);
      expect(byValue['rising-falling'].verdict).toBe(i.turn === 'rising-falling' ? 'supported' : 'contradicted');
    }
    // The glides reach the rising and turning classes; the clips at least one other direction.
    expect(seen.has('directionSt:rising')).toBe(true);
    expect(seen.has('turnDepthSt:rising-falling')).toBe(true);
    expect([...seen].filter((k) => k.startsWith('directionSt:')).length).toBeGreaterThanOrEqual(2);
  });

  it('the reference emotion is a label or a form of one; anything else is ERR_INVALID_ARG naming it (it scored every answer wrong)', async () => {
    const p = await measureAudio(SAD);
    const text = '<think>No cue stands out.</think><answer>sad</answer>';
    const right = await verifyReasoning(p, text, { emotion: 'sad' });
    for (const form of ['SAD', 'Sadness', ' sad ']) expect((await verifyReasoning(p, text, { emotion: form })).reward).toBe(right.reward);
    const angry = await verifyReasoning(p, text, { emotion: 'anger' });
    expect(right.reward - angry.reward).toBeCloseTo(1.0, 12);
    // A misspelt option is named, not ignored (it turned the outcome term off).
    await expect(verifyReasoning(p, text, { emotoin: 'sad' } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(/unknown option "emotoin"/) });
    for (const bad of ['robot', '', 'not sad', 'happy or sad']) {
      const err = await verifyReasoning(p, text, { emotion: bad }).then(() => null, (e) => e);
      expect(err?.code, bad).toBe('ERR_INVALID_ARG');
      expect(err.message).toContain(`reference emotion ${JSON.stringify(bad)}`);
    }
  });

  it('reward: SPEC §4 weights (α_f 0.3, α_o 1, α_t 0.5, equal judge weights)', async () => {
    const p = await measureAudio(SAD);
    const text = '<think>No cue stands out.</think><answer>sad</answer>';
    const right = await verifyReasoning(p, text, { emotion: 'sad' });
    const wrong = await verifyReasoning(p, text, { emotion: 'angry' });
    const none = await verifyReasoning(p, text);
    expect(right.reward - wrong.reward).toBeCloseTo(1.0, 12);
    expect(none.reward).toBeCloseTo(wrong.reward, 12);
    const s = right.scores;
    expect(right.reward).toBeCloseTo(0.3 * 1 + 1.0 * 1 + 0.5 * ((s.fa + s.iq + s.cc + s.fs) / 4 / 5), 12);
    // Not in the strict form: no format reward.
    const loose = await verifyReasoning(p, 'Answer: sad', { emotion: 'sad' });
    expect(loose.reward).toBeCloseTo(1.0 + 0.5 * ((loose.scores.fa + loose.scores.iq + loose.scores.cc + loose.scores.fs) / 4 / 5), 12);
  });

  it('a speaker session replaces the calibration cut points where it has them', async () => {
    const p = await measureAudio(SAD);
    const f0 = p.functionals.f0MedianHz!;
    const session: CutPointSource = { name: 'actor02', cutPoints: (cue) => (cue === 'pitch' ? [f0 - 40, f0 - 20] : null) };
    const text = '<think>The pitch is high and the energy is low.</think><answer>sad</answer>';
    const r = await verifyReasoning(p, text, { session });
    expect(r.claims[0]).toMatchObject({ cue: 'pitch', verdict: 'supported', cutPoints: [f0 - 40, f0 - 20] });
    expect(r.claims[0].measurement?.source).toBe('session actor02');
    expect(r.claims[1].measurement?.source).toMatch(/^vocal effort re /);
    const low: CutPointSource = { cutPoints: (cue) => (cue === 'pitch' ? [f0 + 10, f0 + 20] : undefined) };
    expect((await verifyReasoning(p, text, { session: low })).claims[0].verdict).toBe('contradicted');
    await expect(verifyReasoning(p, text, { session: {} as CutPointSource })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
  });
});

describe('verifyReasoning bad input', () => {
  it('empty, huge, garbage, other-language text and unknown answers give clear results', async () => {
    const p = await measureAudio(SAD);
    const empty = await verifyReasoning(p, '');
    expect(empty).toMatchObject({ answer: null, label: null, claims: [] });
    expect(empty.scores.fs).toBe(1);
    const huge = 'The pitch is high and the tempo is slow. '.repeat(25_000); // ~1 MB
    expect(huge.length).toBeGreaterThan(1_000_000);
    await expect(verifyReasoning(p, huge)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(/text is 1025000 characters; at most 262144/) });
    // Just under the limit: every claim found, none lost.
    const long = 'The pitch is high and the tempo is slow. '.repeat(6_000);
    const h = await verifyReasoning(p, long);
    expect(h.claims.length).toBe(12_000);
    expect(h.answer).toBeNull();
    let seed = 7;
    const garbage = Buffer.from(Array.from({ length: 65536 }, () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff)).toString('latin1');
    const g = await verifyReasoning(p, garbage);
    expect(Array.isArray(g.claims)).toBe(true);
    const other = await verifyReasoning(p, '<think>La voz es baja y lenta, con un tono triste.</think><answer>triste</answer>');
    expect(other).toMatchObject({ answer: 'triste', label: null, claims: [] });
    const unknown = await verifyReasoning(p, '<think>The pitch is low.</think><answer>melancholic boredom</answer>');
    expect(unknown.label).toBe('sad'); // "melancholic" is in the default vocabulary
    const outside = await verifyReasoning(p, '<think>The pitch is low.</think><answer>bored</answer>');
    expect(outside).toMatchObject({ answer: 'bored', label: null });
    for (const bad of [null, 42, undefined]) {
      await expect(verifyReasoning(p, bad as unknown as string)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(/text must be a string/) });
    }
    await expect(verifyReasoning({} as never, 'x')).rejects.toBeInstanceOf(EmotionThinkerError);
  });

  it('missing, unreadable and silent audio', async () => {
    await expect(verifyReasoning('/nonexistent/clip.wav', 'x')).rejects.toMatchObject({ code: 'ERR_FILE' });
    await expect(verifyReasoning(new Uint8Array([1, 2, 3, 4]), 'x')).rejects.toMatchObject({ code: 'ERR_AUDIO_UNSUPPORTED' });
    const silence = makeWav(new Float32Array(16000 * 2));
    const r = await verifyReasoning(silence, '<think>The pitch is high and the speaker talks fast; the intonation is flat.</think><answer>happy</answer>');
    expect(r.claims.map((c) => c.verdict)).toEqual(['unverifiable', 'unverifiable', 'unverifiable']);
    expect(r.scores.fa).toBe(3);
  });
});

describe('emotionthinker verify', () => {
  const cli = path.join(root, 'dist', 'cli.js');
  it('reads the response from stdin and prints the JSON fields of the issue', () => {
    const r = spawnSync(process.execPath, [cli, 'verify', ANGRY, '--text', '-', '--json', '--emotion', 'angry'], {
      input: '**Answer:** anger\nThe speaker is shouting, with a high pitch.', encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j).sort()).toEqual(['answer', 'claims', 'label', 'reward', 'scores']);
    expect(j.label).toBe('angry');
    expect(j.claims.map((c: { cue: string }) => c.cue)).toEqual(['energy', 'pitch']);
    for (const c of j.claims) expect(Object.keys(c).sort()).toEqual(['cue', 'cutPoints', 'measurement', 'negated', 'sentence', 'span', 'value', 'verdict']);
    const human = spawnSync(process.execPath, [cli, 'verify', ANGRY, '--text', '-'], { input: '<think>Loud.</think><answer>angry</answer>', encoding: 'utf8' });
    // Energy is the vocal effort (dB of spectral balance), not the absolute level in dBFS.
    expect(human.stdout).toMatch(/energy high — measured -?\d+\.\d dB \(high\), normal -?\d+\.\d–-?\d+\.\d dB \(vocal effort re /);
    const missing = spawnSync(process.execPath, [cli, 'verify', ANGRY, '--text', '/nonexistent.txt'], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/nonexistent\.txt: cannot read --text .*\[ERR_FILE\]/);
  });
});
