// Auditing a model's emotion explanations (issue #17 §3): every response verified against its
// clip (verifyReasoning), and per model the answer accuracy, the factual-alignment share per cue,
// the share of explanations citing a contradicted cue and the share citing no verifiable cue —
// the "prosody perception" comparison across SpeechLLMs, for anyone's models.
import path from 'node:path';
import { checkSignal, throwIfAborted } from '../abort.js';
import { EmotionThinkerError, invalidArg } from '../errors.js';
import { measureAudio, scoringContext, scoreResponse, singleRewards, type ReasoningVerification, type VerifyOptions } from './verify.js';
import type { ProsodyMeasurements } from './measure.js';

export const AUDIT_CUES = ['pitch', 'energy', 'speed', 'intonation'] as const;

/** One input line: `audio` (resolved against `baseDir`), `response`, optional `emotion` and `model`. */
export interface AuditRecord {
  audio: string;
  response: string;
  emotion?: string;
  model?: string;
}

export type AuditRow =
  | ({ line: number; audio: string; model: string; emotion: string | null; correct: boolean | null } & ReasoningVerification)
  | { line: number; audio: string | null; model: string | null; error: { code: string; message: string } };

export interface ModelSummary {
  model: string;
  responses: number;
  /** Responses with a reference emotion, and the share answered right (null without any). */
  withReference: number;
  accuracy: number | null;
  /** Per cue: verifiable claims and the share supported (null when the model made none). */
  faShare: Record<(typeof AUDIT_CUES)[number], { claims: number; share: number | null }>;
  /** Share of explanations with at least one contradicted claim. */
  contradictedShare: number;
  /** Share of explanations with no verifiable claim. */
  noVerifiableShare: number;
  meanReward: number;
}

export interface AuditOptions extends Omit<VerifyOptions, 'emotion' | 'signal'> {
  /** Directory relative audio paths are resolved against (the JSONL file's). */
  baseDir?: string;
  signal?: AbortSignal;
  /** Called after each record. */
  onProgress?: (done: number) => void;
}

/** Checks one parsed input line; throws ERR_INVALID_ARG naming the field. */
export function checkAuditRecord(v: unknown): AuditRecord {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidArg('the line must be a JSON object {audio, response, emotion?, model?}');
  const o = v as Record<string, unknown>;
  if (typeof o.audio !== 'string' || !o.audio) throw invalidArg('field "audio" must be a non-empty string (a path)');
  if (typeof o.response !== 'string') throw invalidArg('field "response" must be a string');
  if (o.emotion !== undefined && o.emotion !== null && typeof o.emotion !== 'string') throw invalidArg('field "emotion" must be a string');
  if (o.model !== undefined && o.model !== null && typeof o.model !== 'string') throw invalidArg('field "model" must be a string');
  return { audio: o.audio, response: o.response, emotion: (o.emotion as string | null) ?? undefined, model: (o.model as string | null) ?? undefined };
}

/**
 * Verifies records (one per input line: an AuditRecord, an Error for a line that could not be
 * parsed, null for a blank line), each clip measured once however many responses are about it.
 * Rows keep the input order and carry the line number.
 */
export async function auditRecords(records: (AuditRecord | Error | null)[], options: AuditOptions = {}): Promise<AuditRow[]> {
  const signal = checkSignal(options.signal, 'auditRecords');
  const { baseDir = process.cwd(), onProgress, signal: _s, ...verifyOpts } = options;
  const measured = new Map<string, Promise<ProsodyMeasurements>>();
  const rows: AuditRow[] = [];
  for (let i = 0; i < records.length; i++) {
    throwIfAborted(signal);
    const rec = records[i];
    const line = i + 1;
    if (rec === null) continue; // a blank line
    if (rec instanceof Error) {
      rows.push({ line, audio: null, model: null, error: { code: rec instanceof EmotionThinkerError ? rec.code : 'ERR_INVALID_ARG', message: rec.message } });
      continue;
    }
    const file = path.resolve(baseDir, rec.audio);
    try {
      let m = measured.get(file);
      if (!m) {
        m = measureAudio(file, { maxDuration: verifyOpts.maxDuration, signal, model: verifyOpts.model });
        m.catch(() => {});
        measured.set(file, m);
      }
      const prosody = await m;
      const s = scoreResponse(scoringContext(prosody, verifyOpts), rec.response, rec.emotion, false);
      s.result.reward = singleRewards([s])[0];
      rows.push({ line, audio: rec.audio, model: rec.model ?? 'unnamed', emotion: rec.emotion ?? null, correct: rec.emotion === undefined ? null : s.correct === 1, ...s.result });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      const e = err as EmotionThinkerError;
      rows.push({ line, audio: rec.audio, model: rec.model ?? 'unnamed', error: { code: e.code ?? 'ERR_INTERNAL', message: e.message } });
    }
    onProgress?.(i + 1);
  }
  return rows;
}

/** Per-model summary of audited rows (rows with an error are left out). */
export function summarizeAudit(rows: readonly AuditRow[]): ModelSummary[] {
  const by = new Map<string, Extract<AuditRow, { scores: unknown }>[]>();
  for (const r of rows) {
    if ('error' in r) continue;
    const list = by.get(r.model) ?? [];
    list.push(r);
    by.set(r.model, list);
  }
  return [...by.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([model, rs]) => {
    const ref = rs.filter((r) => r.correct !== null);
    const faShare = {} as ModelSummary['faShare'];
    for (const cue of AUDIT_CUES) {
      let claims = 0;
      let ok = 0;
      for (const r of rs) {
        for (const c of r.claims) {
          if (c.cue !== cue || c.verdict === 'unverifiable') continue;
          claims++;
          if (c.verdict === 'supported') ok++;
        }
      }
      faShare[cue] = { claims, share: claims ? ok / claims : null };
    }
    return {
      model,
      responses: rs.length,
      withReference: ref.length,
      accuracy: ref.length ? ref.filter((r) => r.correct).length / ref.length : null,
      faShare,
      contradictedShare: rs.filter((r) => r.claims.some((c) => c.verdict === 'contradicted')).length / rs.length,
      noVerifiableShare: rs.filter((r) => !r.claims.some((c) => c.verdict !== 'unverifiable')).length / rs.length,
      meanReward: rs.reduce((a, r) => a + r.reward, 0) / rs.length,
    };
  });
}

const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(1)} %`);

/** The summary as a plain-text table (what the CLI prints). */
export function auditTable(summary: readonly ModelSummary[]): string {
  const head = ['model', 'n', 'accuracy', ...AUDIT_CUES.map((c) => `FA ${c}`), 'contradicted', 'no verifiable', 'reward'];
  const body = summary.map((s) => [s.model, String(s.responses), pct(s.accuracy), ...AUDIT_CUES.map((c) => `${pct(s.faShare[c].share)} (${s.faShare[c].claims})`), pct(s.contradictedShare), pct(s.noVerifiableShare), s.meanReward.toFixed(3)]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd();
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...body.map(line)].join('\n') + '\n';
}
