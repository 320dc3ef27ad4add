// RAVDESS speech clips from their file names: 03-01-EE-II-SS-RR-AA.wav (docs/formulas.md#ravdess-file-names).
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { EmotionThinkerError } from '../errors.js';
import { EMOTIONS, type Emotion } from '../inference/vocab.js';

export interface Clip {
  file: string;
  emotion: Emotion;
  actor: number;
  gender: 'male' | 'female';
  intensity: 'normal' | 'strong';
  statement: 1 | 2;
}

export interface DatasetReport {
  clips: Clip[];
  /** Files that were skipped, with the reason. */
  skipped: { file: string; reason: string }[];
}

const NAME = /^(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)\.wav$/i;

/** Parses one file name; returns a reason string when it is not a usable RAVDESS speech clip. */
export function parseRavdessName(file: string): Omit<Clip, 'file'> | string {
  const m = NAME.exec(path.basename(file));
  if (!m) return 'file name is not 03-01-EE-II-SS-RR-AA.wav';
  const [, modality, channel, ee, ii, ss, , aa] = m;
  if (modality !== '03' || channel !== '01') return `not an audio-only speech clip (modality ${modality}, channel ${channel})`;
  const e = Number(ee);
  if (e < 1 || e > 8) return `unknown emotion code ${ee}`;
  const actor = Number(aa);
  if (actor < 1 || actor > 24) return `unknown actor ${aa}`;
  if (ii !== '01' && ii !== '02') return `unknown intensity ${ii}`;
  if (ss !== '01' && ss !== '02') return `unknown statement ${ss}`;
  return {
    emotion: EMOTIONS[e - 1],
    actor,
    gender: actor % 2 === 1 ? 'male' : 'female',
    intensity: ii === '01' ? 'normal' : 'strong',
    statement: ss === '01' ? 1 : 2,
  };
}

/**
 * Lists a RAVDESS directory. Unusable entries are reported and skipped, or, with `strict`, the
 * first one is an ERR_INVALID_ARG error naming the file.
 */
export function loadRavdess(dir: string, options: { strict?: boolean } = {}): DatasetReport {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new EmotionThinkerError('ERR_FILE', 'dataset directory not found', { input: dir });
  }
  const clips: Clip[] = [];
  const skipped: { file: string; reason: string }[] = [];
  for (const name of readdirSync(dir).sort()) {
    const file = path.join(dir, name);
    if (!name.toLowerCase().endsWith('.wav')) continue;
    const parsed = parseRavdessName(name);
    let reason = typeof parsed === 'string' ? parsed : null;
    if (!reason) {
      // A dangling link or a file gone meanwhile is one skipped entry, not the whole run's end.
      let size: number | null = null;
      try {
        const st = statSync(file);
        size = st.isFile() ? st.size : null;
        if (!st.isFile()) reason = 'not a regular file';
      } catch (err) {
        reason = `cannot read it (${(err as NodeJS.ErrnoException).code ?? err})`;
      }
      if (!reason && size !== null && size < 44) reason = 'file too small to hold audio';
    }
    if (reason) {
      if (options.strict) throw new EmotionThinkerError('ERR_INVALID_ARG', reason, { input: file });
      skipped.push({ file, reason });
      continue;
    }
    clips.push({ file, ...(parsed as Omit<Clip, 'file'>) });
  }
  return { clips, skipped };
}
