// `emotionthinker calibrate`: fits level cut points from annotate's records.
import { readFileSync } from 'node:fs';
import { fitCalibration, type Calibration, type CalibrationSample, type Gender } from '../level-calibration.js';
import { EmotionThinkerError, invalidArg } from '../errors.js';

export function calibrateFromRecords(text: string, input: string, groupBy: string[], options: { minGroup?: number; quantiles?: [number, number] } = {}): Calibration {
  for (const g of groupBy) if (g !== 'corpus' && g !== 'gender') throw invalidArg(`--group-by takes corpus and/or gender; got '${g}'`);
  const samples: CalibrationSample[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let r: { functionals?: Record<string, number | null>; gender?: Gender | null; corpus?: string };
    try {
      r = JSON.parse(line);
    } catch {
      throw new EmotionThinkerError('ERR_INVALID_ARG', `line ${i + 1} is not JSON`, { input });
    }
    if (!r.functionals || typeof r.functionals !== 'object') {
      throw new EmotionThinkerError('ERR_INVALID_ARG', `line ${i + 1} has no functionals (is this an annotate output?)`, { input });
    }
    samples.push({
      corpus: groupBy.includes('corpus') ? r.corpus ?? 'default' : undefined,
      gender: groupBy.includes('gender') ? r.gender ?? null : null,
      f0MedianHz: r.functionals.f0MedianHz ?? null,
      rmsDbfs: r.functionals.rmsMeanDbfs ?? null,
      articulationRate: r.functionals.articulationRate ?? null,
    });
  });
  if (!samples.length) throw new EmotionThinkerError('ERR_INVALID_ARG', 'no records to calibrate on', { input });
  return fitCalibration(samples, { ...options, source: `${samples.length} records from ${input}, grouped by ${groupBy.join(',') || 'nothing'}` });
}

export function readText(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new EmotionThinkerError('ERR_FILE', `cannot read (${(err as NodeJS.ErrnoException).code ?? err})`, { input: file });
  }
}
