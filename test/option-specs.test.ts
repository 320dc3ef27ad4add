// One owner per option set (issue #15): the native tables define keys, defaults, ranges and
// meanings; the CPU entry and the CUDA host entry resolve every prosody option identically
// (resolve only: no GPU needed); the generated option types are current; the voice reader no
// longer ignores wrong types or replaces bad values.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ENERGY_OPTION_SPECS,
  F0_OPTION_SPECS,
  PROSODY_OPTION_SPECS,
  VOICE_OPTION_SPECS,
  extractProsodySync,
  optionHelp,
  resolveProsodyOptions,
  type OptionSpec,
} from '../src/index.js';
import { voiceStats } from '../src/features.js';
import { optionTypesSource, RESAMPLE_OPTION_SPECS } from '../src/option-specs.js';
import { ENERGY_SEGMENT_OPTION_SPECS, VAD_OPTION_SPECS } from '../src/vad-options.js';

/** A valid value other than the default: halfway towards the lower bound (or the upper one). */
function changed(s: OptionSpec): number | boolean {
  if (s.type === 'boolean') return !s.default;
  const d = s.default as number;
  if (s.type === 'integer') return d > (s.min as number) ? d - 1 : d + 1;
  return d > (s.min as number) ? (d + (s.min as number)) / 2 : (d + (s.max as number)) / 2;
}

const SETS: [string, readonly OptionSpec[]][] = [
  ['prosody/F0', F0_OPTION_SPECS],
  ['energy/rate', ENERGY_OPTION_SPECS],
];

describe('option tables', () => {
  it('exports every set with keys, defaults, ranges and meanings', () => {
    expect(F0_OPTION_SPECS.length).toBe(27);
    expect(ENERGY_OPTION_SPECS.length).toBe(11);
    expect(VOICE_OPTION_SPECS.map((s) => s.key)).toContain('minStretchFrames');
    for (const s of [...PROSODY_OPTION_SPECS, ...VOICE_OPTION_SPECS]) {
      expect(s.meaning.length, s.key).toBeGreaterThan(3);
      if (s.type !== 'boolean') expect(s.min! <= (s.default as number) && (s.default as number) <= s.max!, s.key).toBe(true);
    }
    expect(optionHelp(F0_OPTION_SPECS.find((s) => s.key === 'f0Min')!)).toBe('lowest F0 searched (below f0Max) (default 60 Hz; [20, 2000] Hz)');
  });

  for (const [name, specs] of SETS) {
    it(`${name}: the CPU entry and the CUDA host entry resolve defaults and each changed option identically`, () => {
      const cpu = resolveProsodyOptions({}, 'cpu');
      expect(resolveProsodyOptions({}, 'cuda')).toEqual(cpu);
      for (const s of PROSODY_OPTION_SPECS) expect(cpu[s.key as keyof typeof cpu], s.key).toBe(s.default);
      for (const s of specs) {
        const o = { [s.key]: changed(s) };
        const c = resolveProsodyOptions(o, 'cpu');
        expect(c[s.key as keyof typeof c], s.key).toBe(changed(s));
        if (s.key === 'analysisRate') {
          // The CUDA batch analyses at 16 kHz only; extractProsody routes other rates to the CPU.
          expect(() => resolveProsodyOptions(o, 'cuda')).toThrow(/analysisRate .* needs the CPU backend/);
          continue;
        }
        expect(resolveProsodyOptions(o, 'cuda'), s.key).toEqual(c);
        if (s.type === 'boolean') continue;
        // Just outside the range: both entries refuse it, with the same message naming the option.
        const bad = { [s.key]: (s.max as number) + 1 };
        let cpuErr = '';
        try {
          resolveProsodyOptions(bad, 'cpu');
        } catch (e) {
          cpuErr = (e as Error).message;
        }
        expect(cpuErr, s.key).toMatch(new RegExp(`"(${s.key}|f0Min)"`));
        expect(() => resolveProsodyOptions(bad, 'cuda'), s.key).toThrow(cpuErr);
      }
    });
  }

  it('validates once in the core, with the range in the message', () => {
    const x = new Float32Array(16000);
    expect(() => extractProsodySync(x, { sampleRate: 16000, hopSeconds: 0.5 })).toThrow('option "hopSeconds" must be in [0.001, 0.1] s; got 0.5');
    expect(() => extractProsodySync(x, { sampleRate: 16000, maxCandidates: 2.5 })).toThrow(/option "maxCandidates" must be an integer in 1\.\.50/);
    expect(() => extractProsodySync(x, { sampleRate: 16000, f0Min: 300, f0Max: 200 })).toThrow(/option "f0Min" must be below f0Max/);
  });

  it('src/option-types.ts is generated from the current tables', () => {
    expect(readFileSync(new URL('../src/option-types.ts', import.meta.url), 'utf8')).toBe(optionTypesSource());
  });
});

describe('voice options', () => {
  const x = new Float32Array(16000).map((_, i) => Math.sin((2 * Math.PI * 150 * i) / 16000) * 0.5);
  const f0 = new Float32Array(101).fill(150);
  it('refuses a bad minStretchFrames instead of replacing it, and wrong types instead of ignoring them', () => {
    expect(() => voiceStats(x, 16000, f0, 0.01, { minStretchFrames: 0 })).toThrow(/option "minStretchFrames" must be an integer in 1\.\.1000000/);
    expect(() => voiceStats(x, 16000, f0, 0.01, { minStretchFrames: 2.5 })).toThrow(/"minStretchFrames" must be an integer/);
    expect(() => voiceStats(x, 16000, f0, 0.01, { hnrPeriods: '3' as unknown as number })).toThrow(/option "hnrPeriods" must be a number/);
    expect(() => voiceStats(x, 16000, f0, 0.01, { markSearch: 0.5 })).toThrow(/option "markSearch" must be in \(0, 0\.5\) periods/);
    // The default, given explicitly, changes nothing.
    expect(voiceStats(x, 16000, f0, 0.01, { minStretchFrames: 3 })).toEqual(voiceStats(x, 16000, f0, 0.01));
  });
});

describe('VAD and resample option sets', () => {
  const source = readFileSync(new URL('../src/vad.ts', import.meta.url), 'utf8');
  const block = (name: string) => source.slice(source.indexOf(`export interface ${name} {`), source.indexOf('\n}\n', source.indexOf(`export interface ${name} {`)));
  /** The "(default X" of the doc comment right above `key?:` in an interface of src/vad.ts. */
  const documented = (text: string, key: string): string | undefined => {
    const at = text.indexOf(`  ${key}?:`);
    const doc = text.slice(text.lastIndexOf('/**', at), at);
    return /\bdefault ([−-]?[\d.]+|true|false)/.exec(doc)?.[1]?.replace('−', '-');
  };
  it('every documented default in src/vad.ts is the table\'s', () => {
    let checked = 0;
    for (const [name, specs] of [['DetectSpeechOptions', VAD_OPTION_SPECS], ['EnergySegmentOptions', ENERGY_SEGMENT_OPTION_SPECS]] as const) {
      const text = block(name);
      for (const s of specs) {
        const doc = documented(text, s.key);
        expect(doc, `${name}.${s.key}`).toBeDefined();
        expect(doc, `${name}.${s.key}`).toBe(String(s.default));
        checked++;
      }
    }
    expect(checked).toBe(VAD_OPTION_SPECS.length + ENERGY_SEGMENT_OPTION_SPECS.length);
  });
  it('the energy segmenter shares the prosody energy defaults instead of restating them', () => {
    const d = (specs: readonly OptionSpec[], k: string) => specs.find((s) => s.key === k)!.default as number;
    expect(d(ENERGY_SEGMENT_OPTION_SPECS, 'relativeDb')).toBe(d(ENERGY_OPTION_SPECS, 'silenceDb'));
    expect(d(ENERGY_SEGMENT_OPTION_SPECS, 'minPauseMs')).toBe(d(ENERGY_OPTION_SPECS, 'minPauseSeconds') * 1000);
    expect(d(ENERGY_SEGMENT_OPTION_SPECS, 'windowMs')).toBe(d(ENERGY_OPTION_SPECS, 'rmsWindowSeconds') * 1000);
  });
  it('exports the resampler design table', () => {
    expect(RESAMPLE_OPTION_SPECS.map((s) => [s.key, s.default])).toEqual([['passband', 0.9], ['stopband', 1], ['attenuationDb', 100]]);
  });
});
