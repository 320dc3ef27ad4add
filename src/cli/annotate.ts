// `emotionthinker annotate`: one EmotionCoT-compatible JSONL record per clip (docs/formulas.md#emotioncot-record).
// Resumable: a rerun skips clips already in the output. Each record is written with one
// synchronous write of a whole line, so an interrupted run leaves only whole records (a line cut
// by a hard kill is dropped, and redone, on the next run). Per-file failures are reported and
// counted; the run goes on. An existing output that is not annotate JSONL is never changed
// without --force, and a failed write (full disk) ends the run once, with ERR_FILE.
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { checkNotAnInput, checkOutputWritable } from '../atomic-file.js';
import { extractProsody, extractProsodyBatch, prosodyBackend, prosodyJsonReplacer, type ProsodyResult } from '../prosody.js';
import type { Backend } from '../backend.js';
import type { Calibration, Gender } from '../level-calibration.js';
import { prosodyRecord } from '../prosody-caption.js';
import { parseRavdessName } from '../train/ravdess.js';
import { EmotionThinkerError } from '../errors.js';
import { progress } from './progress.js';
import pMap from 'p-map';
import type { EmotionModel } from '../inference/model.js';
import { genderEstimator, withModelGender } from '../model-gender.js';

const RAVDESS_TEXT = { 1: 'Kids are talking by the door', 2: 'Dogs are sitting by the door' } as const;

export interface AnnotateOptions {
  out: string;
  calibration: Calibration;
  corpus?: string;
  concurrency: number;
  force: boolean;
  quiet?: boolean;
  /** 'cuda' (or 'auto' with a GPU): clips go to the GPU in slices of GPU_SLICE files. */
  backend?: Backend;
  /** Stops the run: clips in flight are abandoned, the lines already written stay. */
  signal?: AbortSignal;
  /** Judge the gender of clips without metadata by this model's classifier (src/model-gender.ts) instead of the F0 rule. */
  genderModel?: EmotionModel;
}

/**
 * Most clips in flight (--concurrency). Each holds its decoded audio and analysis; far past the
 * thread pool's size more only costs memory (a billion workers exhausted the heap before the first
 * record).
 */
export const MAX_ANNOTATE_CONCURRENCY = 1024;

/** Files per GPU batch in annotate: each slice's records are written when the slice is done. */
const GPU_SLICE = 512;

export interface AnnotateSummary {
  total: number;
  written: number;
  alreadyDone: number;
  failed: { file: string; error: string; code: string }[];
  /** The signal stopped the run before every clip was done. */
  interrupted: boolean;
}

/** The start of every record annotate writes: a torn last line starting so is our own crash. */
const RECORD_START = '{"audio_path":';

/** An open output: its fd, where the next record goes, and the audio paths it already holds. */
interface Output {
  fd: number;
  pos: number;
  done: Set<string>;
}

/**
 * Opens `out` for appending after checking that all of it is annotate JSONL: one record object
 * with a string audio_path and a functionals object (what calibrate reads) per line. The file is only changed (a torn last line cut, a missing
 * final newline added) once the whole of it has passed; anything else is refused untouched, since
 * a file that is not ours may be someone's data. --force starts the file again.
 */
function openOutput(out: string, force: boolean, estimator: string): Output {
  checkOutputWritable(out, { append: true });
  const fail = (err: unknown): never => {
    throw new EmotionThinkerError('ERR_FILE', `cannot open the output (${(err as NodeJS.ErrnoException).code ?? err})`, { input: out, cause: err });
  };
  let fd: number;
  try {
    fd = openSync(out, force ? 'w+' : 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') fail(err);
    try {
      fd = openSync(out, 'w');
    } catch (e) {
      return fail(e);
    }
    return { fd, pos: 0, done: new Set() };
  }
  try {
    const text = readFileSync(fd, 'utf8');
    const done = new Set<string>();
    const lines = text.split('\n');
    // A complete file ends with '\n', so its last split element is ''.
    const last = lines.pop()!;
    const notOurs = (i: number, why: string) =>
      new EmotionThinkerError('ERR_INVALID_ARG', `line ${i + 1} ${why}, so this is not an annotate output; it was left unchanged (pass --force to replace it)`, { input: out });
    type Rec = { audio_path: string; gender_source?: unknown; gender_estimator?: unknown };
    const record = (line: string): Rec | null => {
      try {
        const rec = JSON.parse(line) as { audio_path?: unknown; functionals?: unknown } | null;
        const ok = rec && typeof rec === 'object' && !Array.isArray(rec) && typeof rec.audio_path === 'string' && !!rec.functionals && typeof rec.functionals === 'object';
        return ok ? (rec as Rec) : null;
      } catch {
        return null;
      }
    };
    // A resumed file keeps one gender estimator: records by the F0 rule and by a classifier would
    // read alike (gender_source "estimate") and mix two rules in one training set. Records written
    // before gender_estimator existed estimated by the F0 rule.
    let other = null as { estimator: string; line: number } | null;
    const noteEstimator = (rec: Rec, i: number) => {
      if (other || rec.gender_source !== 'estimate') return;
      const e = typeof rec.gender_estimator === 'string' ? rec.gender_estimator : 'f0-rule';
      if (e !== estimator) other = { estimator: e, line: i + 1 };
    };
    const why = (line: string) => (line.startsWith('{') ? 'is not an annotate record (audio_path and functionals)' : 'is not a JSON record');
    lines.forEach((line, i) => {
      if (!line) return;
      const rec = record(line);
      if (!rec) throw notOurs(i, why(line));
      done.add(rec.audio_path);
      noteEstimator(rec, i);
    });
    const lastRec = last ? record(last) : null;
    const torn = !!last && !lastRec && (last.startsWith(RECORD_START) || RECORD_START.startsWith(last));
    if (last && !lastRec && !torn) throw notOurs(lines.length, why(last));
    if (lastRec) {
      done.add(lastRec.audio_path);
      noteEstimator(lastRec, lines.length);
    }
    // Checked before the file is touched below.
    if (other) {
      throw new EmotionThinkerError(
        'ERR_INVALID_ARG',
        `line ${other.line} estimated its gender by ${other.estimator}, this run by ${estimator}; resume with the same --gender-model (${other.estimator === 'f0-rule' ? 'none' : 'the same model'}), or pass --force to start the file again`,
        { input: out },
      );
    }
    let pos = Buffer.byteLength(text);
    if (lastRec) {
      // A whole record without its newline (edited by hand): keep it, end its line.
      writeSync(fd, '\n', pos);
      pos += 1;
    } else if (torn) {
      // Our own record cut by a hard kill mid-write: drop it; its clip is redone.
      pos -= Buffer.byteLength(last);
      ftruncateSync(fd, pos);
    }
    return { fd, pos, done };
  } catch (err) {
    closeSync(fd);
    if (err instanceof EmotionThinkerError) throw err;
    return fail(err);
  }
}

/** Metadata a file name carries (RAVDESS: emotion, gender, sentence). */
function metadataOf(file: string): { emotion?: string; gender?: Gender; transcription?: string } {
  const r = parseRavdessName(file);
  if (typeof r === 'string') return {};
  return { emotion: r.emotion, gender: r.gender, transcription: RAVDESS_TEXT[r.statement] };
}

export async function annotate(files: string[], o: AnnotateOptions): Promise<AnnotateSummary> {
  const toStdout = o.out === '-';
  // Opened (and checked) before any clip is analysed: an unwritable output fails once, up front.
  const estimator = genderEstimator(o.genderModel);
  // --force restarts the output, never an input: `annotate a.wav --out a.wav --force` emptied the audio.
  if (!toStdout) checkNotAnInput(o.out, files);
  const output = toStdout ? null : openOutput(o.out, o.force, estimator);
  const done = output?.done ?? new Set<string>();
  const todo = files.filter((f) => !done.has(f));
  const summary: AnnotateSummary = { total: files.length, written: 0, alreadyDone: files.length - todo.length, failed: [], interrupted: false };
  const signal = o.signal;
  const bar = progress(todo.length, 'annotate', { quiet: o.quiet || todo.length === 0 });
  // A failed write (full disk, size limit, read-only remount) ends the run: every later record
  // would fail the same way.
  let writeError: EmotionThinkerError | null = null;
  // --gender-model: a clip without metadata gets the classifier's gender, and its levels and
  // caption are restated with it (its own calibration and corpus).
  const judged = async (file: string, p: ProsodyResult): Promise<ProsodyResult> =>
    o.genderModel ? withModelGender(file, p, { model: o.genderModel, metadata: metadataOf(file).gender, calibration: o.calibration, corpus: o.corpus, signal }) : p;
  const write = (file: string, p: ProsodyResult) => {
    const meta = metadataOf(file);
    const rec = prosodyRecord(p, { audioPath: file, emotion: meta.emotion, transcription: meta.transcription, corpus: o.corpus });
    const out: Record<string, unknown> = { ...rec };
    if (rec.gender_source === 'estimate') out.gender_estimator = estimator;
    if (o.corpus) out.corpus = o.corpus;
    const line = JSON.stringify(out, prosodyJsonReplacer) + '\n';
    if (!output) {
      process.stdout.write(line);
    } else {
      const bytes = Buffer.from(line, 'utf8');
      try {
        for (let off = 0; off < bytes.length; ) off += writeSync(output.fd, bytes, off, bytes.length - off, output.pos + off);
      } catch (err) {
        // Leave only whole records: cut what part of this one reached the disk.
        try {
          ftruncateSync(output.fd, output.pos);
        } catch {
          // the next run drops a torn last line anyway
        }
        const code = (err as NodeJS.ErrnoException).code ?? String(err);
        writeError = new EmotionThinkerError('ERR_FILE', `cannot write the output (${code}) after ${summary.written} new records; the file holds whole records only and a rerun resumes`, { input: o.out, cause: err });
        throw writeError;
      }
      output.pos += bytes.length;
    }
    summary.written++;
  };
  try {
    const choice = prosodyBackend({ backend: o.backend ?? 'cpu' }, true);
    if (choice.reason && !o.quiet) process.stderr.write(`annotate: ${choice.reason}\n`);
    if (choice.backend === 'cuda') {
      for (let a = 0; a < todo.length && !signal?.aborted; a += GPU_SLICE) {
        const slice = todo.slice(a, a + GPU_SLICE);
        let items;
        try {
          items = await extractProsodyBatch(slice, {
            backend: 'cuda',
            calibration: o.calibration,
            corpus: o.corpus,
            genders: slice.map((f) => metadataOf(f).gender),
            concurrency: o.concurrency,
            signal,
          });
        } catch (err) {
          if (signal?.aborted) break;
          throw err;
        }
        // --gender-model's pass over the clips runs on the CPU, --concurrency of them at a time.
        // A clip the signal stops before its gender is judged is abandoned (null), not written with
        // the F0 rule's; a rerun does it.
        const results = await pMap(items, async (it, k) => {
          if (!it.result) return it;
          if (o.genderModel && signal?.aborted) return null;
          try {
            return { ...it, result: await judged(slice[k], it.result) };
          } catch (err) {
            return signal?.aborted ? null : { ...it, result: undefined, error: err as EmotionThinkerError };
          }
        }, { concurrency: Math.max(1, o.concurrency) });
        results.forEach((it, k) => {
          if (it === null) return;
          if (it.result) write(slice[k], it.result);
          else summary.failed.push({ file: slice[k], error: it.error?.message ?? 'unknown error', code: it.error?.code ?? 'ERR_INTERNAL' });
          bar.tick();
        });
      }
      summary.interrupted = !!signal?.aborted && summary.written + summary.failed.length < todo.length;
      return summary;
    }
    let next = 0;
    const worker = async () => {
      while (next < todo.length && !writeError && !signal?.aborted) {
        const file = todo[next++];
        let p: ProsodyResult;
        try {
          p = await judged(file, await extractProsody(file, { calibration: o.calibration, corpus: o.corpus, gender: metadataOf(file).gender, backend: 'cpu', signal }));
        } catch (err) {
          // An abandoned clip is not a failed one: a rerun does it.
          if (signal?.aborted) return;
          const e = err as EmotionThinkerError;
          summary.failed.push({ file, error: e.message, code: e.code ?? 'ERR_INTERNAL' });
          bar.tick();
          continue;
        }
        if (writeError) return;
        write(file, p);
        bar.tick();
      }
    };
    await Promise.all(Array.from({ length: Math.min(todo.length, Math.max(1, o.concurrency)) }, worker));
    summary.interrupted = !!signal?.aborted && summary.written + summary.failed.length < todo.length;
    return summary;
  } finally {
    bar.stop();
    if (output) closeSync(output.fd);
  }
}

