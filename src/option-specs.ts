// The native option tables as data (native/common/options.hpp): keys, defaults, ranges and
// meanings of the prosody/F0, energy/rate and voice option sets, defined once in C++ and read
// here for key lists, help texts and the generated option types (src/option-types.ts).
import { native } from './native.js';
import type { OptionSpec } from './option-spec-types.js';

export type { OptionSpec } from './option-spec-types.js';

/** F0 tracker options (native/prosody/f0.hpp ET_F0_OPTIONS). */
export const F0_OPTION_SPECS: readonly OptionSpec[] = native.prosodyOptionSpecs.f0;
/** Energy, pause and rate options (native/prosody/prosody.hpp ET_ENERGY_OPTIONS). */
export const ENERGY_OPTION_SPECS: readonly OptionSpec[] = native.prosodyOptionSpecs.energy;
/** Every option of the raw prosody calls. */
export const PROSODY_OPTION_SPECS: readonly OptionSpec[] = [...F0_OPTION_SPECS, ...ENERGY_OPTION_SPECS];
/** Resampler design (native/audio/resample.hpp ET_RESAMPLE_OPTIONS; fixed at these defaults). */
export const RESAMPLE_OPTION_SPECS: readonly OptionSpec[] = native.resampleOptionSpecs;
/** Voice quality options (native/features/voice.hpp ET_VOICE_OPTIONS). */
export const VOICE_OPTION_SPECS: readonly OptionSpec[] = native.voiceOptionSpecs;

/** One row of an option table the TypeScript layer owns (VAD, streams): the OptionSpec fields in order. */
export const tsOptionSpec = (key: string, type: OptionSpec['type'], def: number | boolean, unit: string, meaning: string, range?: string): OptionSpec =>
  ({ key, type, default: def, unit, meaning, range });

export function optionSpec(specs: readonly OptionSpec[], key: string): OptionSpec {
  const s = specs.find((x) => x.key === key);
  if (!s) throw new Error(`no option "${key}" in the table`);
  return s;
}

/** The default of an option, from its table. */
export function optionDefault(specs: readonly OptionSpec[], key: string): number | boolean {
  return optionSpec(specs, key).default;
}

/** "meaning (default D; range R)": the help text of an option, for CLI flags and docs. */
export function optionHelp(spec: OptionSpec): string {
  const unit = spec.unit && spec.type !== 'boolean' ? ` ${spec.unit}` : '';
  const range = spec.range ? `; ${spec.type === 'integer' ? 'an integer in ' : ''}${spec.range}` : '';
  return `${spec.meaning} (default ${String(spec.default)}${unit}${range})`;
}

function members(specs: readonly OptionSpec[]): string {
  return specs
    .map((s) => `  /** ${optionHelp(s).replace(/\*\//g, '* /')} */\n  ${s.key}?: ${s.type === 'boolean' ? 'boolean' : 'number'};\n`)
    .join('');
}

/** The source of src/option-types.ts (scripts/gen-option-types.mjs writes it; a test compares). */
export function optionTypesSource(): string {
  return (
    '// Generated from the native option tables by scripts/gen-option-types.mjs (test/option-specs.test.ts\n' +
    '// checks it is current): edit ET_F0_OPTIONS (native/prosody/f0.hpp), ET_ENERGY_OPTIONS\n' +
    '// (native/prosody/prosody.hpp) or ET_VOICE_OPTIONS (native/features/voice.hpp), then regenerate.\n\n' +
    '/**\n' +
    ' * Options of the prosody analysis itself: the F0 tracker, energy, pauses, syllable nuclei and\n' +
    ' * analysis rate (camelCase, all optional; the core validates ranges). src/native.ts takes its\n' +
    ' * RawProsodyOptions from this type.\n' +
    ' */\n' +
    'export interface ProsodyAnalysisOptions {\n' +
    members(PROSODY_OPTION_SPECS) +
    '}\n\n' +
    '/** Options of voiceStats (the core validates ranges). src/native.ts takes its RawVoiceOptions from this type. */\n' +
    'export interface VoiceOptions {\n' +
    members(VOICE_OPTION_SPECS) +
    '}\n'
  );
}
