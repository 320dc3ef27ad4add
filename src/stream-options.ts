// The live-stream option set owned by the TypeScript layer (turn segmentation, buffering), defined
// once: createProsodyStream reads its defaults from here. The tracker's own stream options
// (maxLagSeconds, referenceSeconds, referenceFloorDb, priorSeconds) are the native table
// ET_STREAM_OPTIONS (native/prosody/stream.hpp), exported as STREAM_NATIVE_OPTION_SPECS.
import { native } from './native.js';
import { ENERGY_OPTION_SPECS, optionDefault, optionSpec, tsOptionSpec, type OptionSpec } from './option-specs.js';
import { invalidArg } from './errors.js';

const spec = tsOptionSpec;

export const STREAM_OPTION_SPECS: readonly OptionSpec[] = [
  spec('endSilenceMs', 'number', 500, 'ms', 'silence that ends a turn (the VAD hangover before speech-end)', '[20, 10000]'),
  spec('minSpeechMs', 'number', 150, 'ms', 'speech needed before speech-start (shorter bursts are ignored)', '[10, 10000]'),
  spec('maxUtteranceSeconds', 'number', 30, 's', 'a turn longer than this is cut (speech-end with forced: true) and a new one starts', '[1, 300]'),
  spec('padMs', 'number', 100, 'ms', 'audio kept before speech-start and after speech-end in the analysed utterance', '[0, 1000]'),
  spec('energyRelativeDb', 'number', 30, 'dB', "energy VAD: a frame is speech when its RMS is within this of the loudest frame of the last energyPeakSeconds", '(0, 100]'),
  spec('energyPeakSeconds', 'number', 10, 's', 'energy VAD: the window of that loudest frame', '[1, 600]'),
  spec('energyFloorDb', 'number', -55, 'dBFS', 'energy VAD: frames quieter than this are never speech', '[-120, 0]'),
  spec('energyNoiseMarginDb', 'number', optionDefault(ENERGY_OPTION_SPECS, 'noiseMarginDb') as number, 'dB',
    "energy VAD: a frame is speech only when its RMS is this far above the noise floor of the last energyPeakSeconds (its noiseFloorQuantile; the offline rule's, never lifted within noiseMinRangeDb of the peak)", '[0, 100]'),
  spec('sileroThreshold', 'number', 0.5, '', 'silero VAD: a 32 ms window is speech at this probability', '(0, 1)'),
  spec('maxQueuedEvents', 'integer', 2048, 'events', 'events held for a slow reader before frame events are dropped (utterance, speech and error events never are)', '[16, 1000000]'),
  spec('highWaterSeconds', 'number', 10, 's', 'audio written but not yet processed above which write() returns false (backpressure; nothing is dropped)', '[0.1, 3600]'),
];

export const STREAM_DEFAULTS = Object.fromEntries(STREAM_OPTION_SPECS.map((s) => [s.key, s.default])) as {
  endSilenceMs: number; minSpeechMs: number; maxUtteranceSeconds: number; padMs: number; energyRelativeDb: number;
  energyPeakSeconds: number; energyFloorDb: number; energyNoiseMarginDb: number; sileroThreshold: number; maxQueuedEvents: number; highWaterSeconds: number;
};

/** The native stream table (native/prosody/stream.hpp ET_STREAM_OPTIONS). */
export const STREAM_NATIVE_OPTION_SPECS: readonly OptionSpec[] = native.streamOptionSpecs;

/** Checks one TS-owned stream option against its row; returns the value or the default. */
export function streamOption(options: Record<string, unknown>, key: keyof typeof STREAM_DEFAULTS): number {
  const s = optionSpec(STREAM_OPTION_SPECS, key);
  const v = options[key];
  if (v === undefined) return s.default as number;
  const [lo, hi] = (s.range ?? '').replace(/[[\]()]/g, '').split(',').map(Number);
  const loOpen = s.range?.startsWith('('), hiOpen = s.range?.endsWith(')');
  const ok = typeof v === 'number' && Number.isFinite(v) && (s.type !== 'integer' || Number.isInteger(v)) &&
    (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi);
  if (!ok) throw invalidArg(`option "${key}" must be ${s.type === 'integer' ? 'an integer' : 'a number'} in ${s.range}${s.unit ? ' ' + s.unit : ''}; got ${JSON.stringify(v)}`);
  return v as number;
}

