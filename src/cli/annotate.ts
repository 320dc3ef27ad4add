// `emotionthinker annotate`: one EmotionCoT-compatible JSONL record per clip (SPEC §3).
// Resumable: a rerun skips clips already in the output. Each record is written with one
// synchronous write of a whole line, so an interrupted run leaves only whole records (a line cut
// by a hard kill is dropped, and redone, on the next run). Per-file failures are reported and
// counted; the run goes on.
import { appendFileSync, closeSync, existsSync, ftruncateSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { extractProsody, extractProsodyBatch, prosodyBackend, prosodyJsonReplacer, type ProsodyResult } from '../prosody.js';
import type { Backend } from '../backend.js';
import { prosodyRecord, type Calibration, type Gender } from '../prosody-calibration.js';
import { parseRavdessName } from '../train/ravdess.js';
import { EmotionThinkerError } from '../errors.js';
import { progress } from './progress.js';

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
}

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

/** Records already in `out`: their audio paths. Drops a trailing partial line left by a hard kill. */
function existingRecords(out: string): Set<string> {
  const done = new Set<string>();
  if (!existsSync(out)) return done;
  const text = readFileSync(out, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  if (end < text.length) {
    const fd = openSync(out, 'r+');
    ftruncateSync(fd, Buffer.byteLength(text.slice(0, end)));
    closeSync(fd);
  }
  text
    .slice(0, end)
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      try {
        const rec = JSON.parse(line) as { audio_path?: unknown };
        if (typeof rec.audio_path === 'string') done.add(rec.audio_path);
      } catch {
        throw new EmotionThinkerError('ERR_INVALID_ARG', `line ${i + 1} is not a JSON record; use --force to start the file again`, { input: out });
      }
    });
  return done;
}

/** Metadata a file name carries (RAVDESS: emotion, gender, sentence). */
function metadataOf(file: string): { emotion?: string; gender?: Gender; transcription?: string } {
  const r = parseRavdessName(file);
  if (typeof r === 'string') return {};
  return { emotion: r.emotion, gender: r.gender, transcription: RAVDESS_TEXT[r.statement] };
}

export async function annotate(files: string[], o: AnnotateOptions): Promise<AnnotateSummary> {
  const toStdout = o.out === '-';
  if (!toStdout && o.force) writeFileSync(o.out, '');
  const done = toStdout ? new Set<string>() : existingRecords(o.out);
  const todo = files.filter((f) => !done.has(f));
  const summary: AnnotateSummary = { total: files.length, written: 0, alreadyDone: files.length - todo.length, failed: [], interrupted: false };
  const signal = o.signal;
  const bar = progress(todo.length, 'annotate', { quiet: o.quiet || todo.length === 0 });
  const write = (file: string, p: ProsodyResult) => {
    const meta = metadataOf(file);
    const rec = prosodyRecord(p, { audioPath: file, emotion: meta.emotion, transcription: meta.transcription, corpus: o.corpus });
    const line = JSON.stringify(o.corpus ? { ...rec, corpus: o.corpus } : rec, prosodyJsonReplacer) + '\n';
    if (toStdout) process.stdout.write(line);
    else appendFileSync(o.out, line);
    summary.written++;
  };
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
      items.forEach((it, k) => {
        if (it.result) write(slice[k], it.result);
        else summary.failed.push({ file: slice[k], error: it.error?.message ?? 'unknown error', code: it.error?.code ?? 'ERR_INTERNAL' });
        bar.tick();
      });
    }
    bar.stop();
    summary.interrupted = !!signal?.aborted && summary.written + summary.failed.length < todo.length;
    return summary;
  }
  let next = 0;
  const worker = async () => {
    while (next < todo.length && !signal?.aborted) {
      const file = todo[next++];
      try {
        const p = await extractProsody(file, { calibration: o.calibration, corpus: o.corpus, gender: metadataOf(file).gender, backend: 'cpu', signal });
        write(file, p);
      } catch (err) {
        // An abandoned clip is not a failed one: a rerun does it.
        if (signal?.aborted) break;
        const e = err as EmotionThinkerError;
        summary.failed.push({ file, error: e.message, code: e.code ?? 'ERR_INTERNAL' });
      }
      bar.tick();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, worker));
  bar.stop();
  summary.interrupted = !!signal?.aborted && summary.written + summary.failed.length < todo.length;
  return summary;
}
