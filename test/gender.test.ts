// Speaker gender without metadata (issue #16, "Gender"): the prosody layer's F0 rule (median under
// 160 Hz: male) calls an angry or fearful man female; the model's classifier over the
// standardised features (src/inference/gender.ts) does not, and analyze, sessions and
// verification judge pitch by it. Real clips: RAVDESS men in aroused emotions, and the FDA
// corpus (another corpus, microphone and text, which the bundled classifier never heard).
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  analyze, analyzeSpeaker, createSpeakerSession, EmotionThinkerError, extractProsody, fitGenderClassifier, loadModel, maleProbability, measureAudio, restoreSpeakerSession, verifyReasoning,
  type EmotionModelFile,
} from '../src/index.js';
import { parseModel } from '../src/inference/model.js';
import { extractUtteranceFeatures, standardize } from '../src/inference/featurize.js';
import { thrownError } from './helpers/thrown.js';

const ROOT = path.resolve(__dirname, '..');
const RAVDESS = path.resolve(ROOT, '../shared/data/ravdess');
const FDA = path.resolve(ROOT, '../shared/data/fda-ue');
const MODEL = path.join(ROOT, 'models', 'default.json');
// Angry and fearful, strong intensity, statement 1, of the eight male actors.
const AROUSED_MEN = [1, 3, 5, 7, 9, 11, 13, 15].flatMap((a) => ['05', '06'].map((e) => `03-01-${e}-02-01-01-${String(a).padStart(2, '0')}.wav`));
const fileJson = (): EmotionModelFile => JSON.parse(readFileSync(MODEL, 'utf8'));

describe('speaker gender from the model', () => {
  it('aroused men: the F0 rule says female for many, analyze says male, and states pitch and caption by it', async () => {
    let ruleWrong = 0, modelWrong = 0;
    for (const f of AROUSED_MEN) {
      const file = path.join(RAVDESS, f);
      const rule = (await extractProsody(file)).gender;
      if (rule?.value !== 'male') ruleWrong++;
      const r = await analyze(file);
      if (r.prosody.gender?.value !== 'male') modelWrong++;
      expect(r.prosody.gender?.source).toBe('estimate');
      // The caption and the pitch claim's reference speak of the gender judged by.
      expect(r.prosody.caption.startsWith(`A ${r.prosody.gender!.value} (estimated) speaker`)).toBe(true);
      const pitch = r.claims.find((c) => c.cue === 'pitch');
      if (pitch) expect(pitch.relativeTo).toContain(`${r.prosody.gender!.value} voices`);
    }
    expect(ruleWrong).toBeGreaterThanOrEqual(6); // 16 clips: the F0 rule misses at least six
    expect(modelWrong).toBeLessThanOrEqual(1);
  });

  it('another corpus (FDA, one man and one woman): at least 18 of 20 clips right', async () => {
    const files = readdirSync(FDA).filter((f) => f.endsWith('.wav')).sort();
    const pick = [...files.filter((f) => f.startsWith('rl')).slice(0, 10), ...files.filter((f) => f.startsWith('sb')).slice(0, 10)];
    let right = 0;
    for (const f of pick) if ((await analyze(path.join(FDA, f))).prosody.gender?.value === (f.startsWith('rl') ? 'male' : 'female')) right++;
    expect(right).toBeGreaterThanOrEqual(18);
  });

  it('metadata wins; a model without a classifier keeps the F0 rule', async () => {
    const file = path.join(RAVDESS, AROUSED_MEN[0]); // actor 01, angry: the F0 rule says female
    expect((await extractProsody(file)).gender?.value).toBe('female');
    expect((await analyze(file, { gender: 'female' })).prosody.gender).toEqual({ value: 'female', source: 'metadata' });
    const json = fileJson();
    delete json.perception!.gender;
    const bare = parseModel(json, 'no classifier');
    const r = await analyze(file, { model: bare });
    expect(r.prosody.gender).toEqual({ value: 'female', source: 'estimate' });
    expect(r.claims.find((c) => c.cue === 'pitch')?.relativeTo ?? 'female voices').toContain('female voices');
  });

  it("a speaker session judges every clip by the speaker's gender, which one misjudged clip cannot flip", async () => {
    // Actor 13 (a man), angry, strong, statement 2, second take: at 351 Hz the bundled classifier
    // alone calls it female (P(male) 0.26). Should a retrained model get it right, pick another
    // clip it misjudges (maleProbability over the standardised features of the 960 clips).
    const odd = path.join(RAVDESS, '03-01-05-02-02-02-13.wav');
    expect((await analyze(odd)).prosody.gender).toEqual({ value: 'female', source: 'estimate' });
    const usual = ['01', '02'].flatMap((e) => ['01-01', '01-02', '02-01', '02-02'].map((s) => path.join(RAVDESS, `03-01-${e}-01-${s}-13.wav`))); // neutral, calm
    // One speaker's batch: one gender for all of it, the caption and pitch evidence by it.
    const batch = await analyzeSpeaker([odd, ...usual]);
    for (const r of batch) expect(r.prosody.gender).toEqual({ value: 'male', source: 'estimate' });
    expect(batch[0].prosody.caption.startsWith('A male (estimated) speaker')).toBe(true);
    expect((await analyzeSpeaker([...usual].reverse().concat(odd))).map((r) => r.prosody.gender?.value)).toEqual(batch.map(() => 'male'));
    // A live session: its first clip is judged alone; once the speaker's usual clips are known,
    // the same clip is judged male, also after a save and restore.
    const live = createSpeakerSession({ id: 'actor 13' });
    const first = await live.analyze(odd);
    expect(first.prosody.gender?.value).toBe('female');
    // It is in the statistics, so the next clip is judged with it and itself (each clip is added
    // before it is judged): the speaker's pitch prior follows the gender judged.
    expect(first.inBaseline).toBe(true);
    for (const f of usual) expect((await live.analyze(f)).prosody.gender?.value).toBe('male');
    const again = await live.analyze(odd);
    expect(again.prosody.gender?.value).toBe('male');
    // The cut points verification reads from the session are the ones its pitch claim was stated with.
    expect(live.cutPoints('pitch')).toEqual(again.claims.find((c) => c.cue === 'pitch')!.cutPoints);
    expect((await restoreSpeakerSession(JSON.stringify(live)).analyze(odd)).prosody.gender?.value).toBe('male');
    // Metadata still wins.
    expect((await analyzeSpeaker([odd, usual[0]], { gender: 'female' }))[0].prosody.gender).toEqual({ value: 'female', source: 'metadata' });
  });

  it('verification judges with the same gender as analyze', async () => {
    const files = AROUSED_MEN.slice(0, 1).map((f) => path.join(RAVDESS, f));
    // Verification: the measurement carries analyze's gender, and the pitch claim's cut points are its.
    const m = await measureAudio(files[0]);
    const a = await analyze(files[0]);
    expect(m.gender).toEqual(a.prosody.gender);
    const v = await verifyReasoning(files[0], '<think>The pitch is high.</think><answer>angry</answer>');
    const cuts = loadModel(MODEL).file.calibration.corpora.ravdess.pitchByGender[a.prosody.gender!.value]!.cuts;
    expect(v.claims[0].cutPoints).toEqual(cuts);
  });

  it('bad input: a model file with a wrong classifier; a fit without both genders', async () => {
    const json = fileJson();
    json.perception!.gender!.weights = json.perception!.gender!.weights.slice(1);
    const e = thrownError(() => parseModel(json, 'short.json'));
    expect(e).toBeInstanceOf(EmotionThinkerError);
    expect((e as EmotionThinkerError).code).toBe('ERR_MODEL_FORMAT');
    expect(e.message).toMatch(/perception\.gender\.weights/);
    const json2 = fileJson();
    (json2.perception!.gender as { bias: unknown }).bias = 'x';
    expect(thrownError(() => parseModel(json2, 'bias.json')).message).toMatch(/perception\.gender\.bias/);
    expect(() => fitGenderClassifier([new Float64Array(3)], ['male'], 3)).toThrow(/both genders/);
    expect(() => fitGenderClassifier([new Float64Array(3)], [], 3)).toThrow(/1 inputs but 0 genders/);
  });

  it('fitGenderClassifier on real features: learnt on actors 01-12, right on 13-16 where the F0 rule is not; deterministic', async () => {
    const model = loadModel(MODEL);
    const clipsOf = (actors: number[]) => actors.flatMap((a) => ['03', '04', '05', '06', '08'].flatMap((e) => ['01', '02'].map((s) => ({ file: `03-01-${e}-02-${s}-01-${String(a).padStart(2, '0')}.wav`, gender: (a % 2 ? 'male' : 'female') as 'male' | 'female' }))));
    const featuresOf = async (clips: { file: string }[]) => Promise.all(clips.map(async (c) => {
      const { features, prosody } = await extractUtteranceFeatures(path.join(RAVDESS, c.file));
      return { x: standardize(features.values, model.file.standardizer), rule: prosody.gender?.value };
    }));
    const trainClips = clipsOf([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), testClips = clipsOf([13, 14, 15, 16]);
    const tr = await featuresOf(trainClips), te = await featuresOf(testClips);
    const F = model.file.featureNames.length;
    const c = fitGenderClassifier(tr.map((r) => r.x), trainClips.map((c) => c.gender), F);
    expect(c.weights).toHaveLength(F);
    expect(fitGenderClassifier(tr.map((r) => r.x), trainClips.map((c) => c.gender), F)).toEqual(c);
    const wrong = te.filter((r, i) => (maleProbability(r.x, c) >= 0.5 ? 'male' : 'female') !== testClips[i].gender).length;
    const ruleWrong = te.filter((r, i) => r.rule !== testClips[i].gender).length;
    // 40 clips: the F0 rule misses 10 (aroused men); the classifier 1 when written.
    expect(wrong).toBeLessThanOrEqual(2);
    expect(ruleWrong).toBeGreaterThanOrEqual(wrong + 6);
  });
});
