// `emotionthinker calibrate`: fits level cut points from annotate's records.
import { readFileSync } from 'node:fs';
import { fitCalibration, MEASURE_RANGES, type Calibration, type CalibrationSample, type Gender } from '../level-calibration.js';
import { EmotionThinkerError, invalidArg } from '../errors.js';
import { FORBIDDEN_KEYS } from '../json-check.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function calibrateFromRecords(text: string, input: string, groupBy: string[], options: { minGroup?: number; quantiles?: [number, number] } = {}): Calibration {
  for (const g of groupBy) if (g !== 'corpus' && g !== 'gender') throw invalidArg(`--group-by takes corpus and/or gender; got '${g}'`);
  const samples: CalibrationSample[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const bad = (why: string) => new EmotionThinkerError('ERR_INVALID_ARG', `line ${i + 1}: ${why}`, { input });
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch {
      throw bad('not JSON');
    }
    if (!isObject(r)) throw bad('not a JSON object (an annotate record)');
    const f = r.functionals;
    if (!isObject(f)) throw bad('has no functionals object (is this an annotate output?)');
    // Each measure a number in its physical range, or null (not measured): a string, an array or a
    // negative F0 became null cut points or cuts no voice has, and calibrate exited 0.
    const measure = (key: string, lo: number, hi: number): number | null => {
      const v = f[key];
      if (v === undefined || v === null) return null;
      if (typeof v !== 'number' || !(v >= lo && v <= hi)) throw bad(`functionals.${key} is ${JSON.stringify(v)}; expected a number in [${lo}, ${hi}] or null`);
      return v;
    };
    const corpus = r.corpus;
    if (corpus !== undefined && corpus !== null && (typeof corpus !== 'string' || corpus === '' || FORBIDDEN_KEYS.has(corpus))) {
      throw bad(`corpus is ${JSON.stringify(corpus)}; expected a non-empty string other than ${[...FORBIDDEN_KEYS].map((k) => JSON.stringify(k)).join(', ')} (a calibration file cannot hold those keys)`);
    }
    const gender = r.gender;
    if (gender !== undefined && gender !== null && gender !== 'male' && gender !== 'female') throw bad(`gender is ${JSON.stringify(gender)}; expected "male", "female" or null`);
    samples.push({
      corpus: groupBy.includes('corpus') ? (corpus as string | null | undefined) ?? 'default' : undefined,
      gender: groupBy.includes('gender') ? (gender as Gender | null | undefined) ?? null : null,
      f0MedianHz: measure('f0MedianHz', ...MEASURE_RANGES.f0MedianHz),
      rmsDbfs: measure('rmsMeanDbfs', -400, 24),
      articulationRate: measure('articulationRate', ...MEASURE_RANGES.articulationRate),
    });
  });
  if (!samples.length) throw new EmotionThinkerError('ERR_INVALID_ARG', 'no records to calibrate on', { input });
  // Cut points from no values at all would be null: say which measure no record has.
  for (const [key, name] of [['f0MedianHz', 'f0MedianHz'], ['rmsDbfs', 'rmsMeanDbfs'], ['articulationRate', 'articulationRate']] as const) {
    if (samples.every((s) => s[key] === null)) throw new EmotionThinkerError('ERR_INVALID_ARG', `no record has functionals.${name}; the cut points need some (are these records of silence?)`, { input });
  }
  return fitCalibration(samples, { ...options, source: `${samples.length} records from ${input}, grouped by ${groupBy.join(',') || 'nothing'}` });
}

export function readText(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new EmotionThinkerError('ERR_FILE', `cannot read (${(err as NodeJS.ErrnoException).code ?? err})`, { input: file });
  }
}
