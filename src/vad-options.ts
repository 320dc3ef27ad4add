// The VAD option sets, defined once: Silero detection (detectSpeech) and the energy segmenter
// (energySegments). src/vad.ts reads its defaults from here; test/option-specs.test.ts checks the
// "(default …)" of every documented option in src/vad.ts against these tables. The energy
// segmenter's level rule is the prosody energy segmentation's, so its shared defaults come from
// that table (native/prosody/prosody.hpp ET_ENERGY_OPTIONS) rather than being restated.
import { ENERGY_OPTION_SPECS, F0_OPTION_SPECS, optionDefault, tsOptionSpec, type OptionSpec } from './option-specs.js';

const spec = tsOptionSpec;

/** Silero speech detection (detectSpeech / detectSpeechBatch). */
export const VAD_OPTION_SPECS: readonly OptionSpec[] = [
  spec('threshold', 'number', 0.5, '', "speech starts when a window's probability reaches this", '(0, 1)'),
  spec('minSpeechMs', 'number', 250, 'ms', 'segments shorter than this are dropped', '≥ 0'),
  spec('minSilenceMs', 'number', 100, 'ms', 'silence shorter than this does not end a segment', '≥ 0'),
  spec('startPadMs', 'number', 30, 'ms', "padding before each segment's start where it is not refined", '≥ 0'),
  spec('endPadMs', 'number', 0, 'ms', "padding after each segment's end where it is not refined", '≥ 0'),
  spec('endLagMs', 'number', 32, 'ms', 'moves each unrefined segment end this much earlier before padding', '≥ 0'),
  spec('refine', 'boolean', true, '', 'refine each segment boundary to the signal'),
  spec('extendStart', 'boolean', true, '', 'start segments at the leading windows ≥ negThreshold'),
  spec('normalize', 'number', 0.5, '', 'peak level the audio is scaled to before the model (false: off)', '(0, 1]'),
  spec('windowSize', 'integer', 512, 'samples', 'samples per model window at 16 kHz', '512, 1024 or 1536'),
];

/** negThreshold defaults to threshold − this (never below NEG_THRESHOLD_FLOOR). */
export const NEG_THRESHOLD_GAP = 0.15;
export const NEG_THRESHOLD_FLOOR = 0.01;

const ms = (key: string) => Math.round((optionDefault(ENERGY_OPTION_SPECS, key) as number) * 1000 * 1e6) / 1e6;

/** The energy segmenter (energySegments); the level rule's defaults are the prosody energy table's. */
export const ENERGY_SEGMENT_OPTION_SPECS: readonly OptionSpec[] = [
  spec('frameMs', 'number', Math.round((optionDefault(F0_OPTION_SPECS, 'hopSeconds') as number) * 1000 * 1e6) / 1e6, 'ms', 'hop between frames', '> 0'),
  spec('windowMs', 'number', ms('rmsWindowSeconds'), 'ms', 'RMS window length, centred on each frame', '> 0'),
  spec('quantile', 'number', 0.99, '', 'the loud reference: this quantile of frame levels', '(0, 1]'),
  spec('relativeDb', 'number', optionDefault(ENERGY_OPTION_SPECS, 'silenceDb') as number, 'dB', 'speech is louder than the reference minus this', '≥ 0'),
  spec('floorDb', 'number', -70, 'dBFS', 'frames quieter than this are never speech'),
  spec('noiseMarginDb', 'number', optionDefault(ENERGY_OPTION_SPECS, 'noiseMarginDb') as number, 'dB', "speech is also this much over the clip's noise floor", '≥ 0'),
  spec('highPassHz', 'number', 80, 'Hz', 'high-pass cutoff before measuring energy (0: off)', '[0, rate/2)'),
  spec('minPauseMs', 'number', ms('minPauseSeconds'), 'ms', 'quieter stretches shorter than this do not split speech', '≥ 0'),
  spec('minSpeechMs', 'number', 100, 'ms', 'sounding runs shorter than this are dropped', '≥ 0'),
];

const table = (specs: readonly OptionSpec[]) => Object.fromEntries(specs.map((s) => [s.key, s.default])) as Record<string, number | boolean>;
/** Defaults by key. */
export const VAD_DEFAULTS = table(VAD_OPTION_SPECS) as {
  threshold: number; minSpeechMs: number; minSilenceMs: number; startPadMs: number; endPadMs: number; endLagMs: number;
  refine: boolean; extendStart: boolean; normalize: number; windowSize: number;
};
export const ENERGY_SEGMENT_DEFAULTS = table(ENERGY_SEGMENT_OPTION_SPECS) as {
  frameMs: number; windowMs: number; quantile: number; relativeDb: number; floorDb: number; noiseMarginDb: number; highPassHz: number; minPauseMs: number; minSpeechMs: number;
};
