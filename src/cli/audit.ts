// `emotionthinker audit <responses.jsonl> --out audit.jsonl [--html audit.html]`: verifies every
// response of a JSONL file against its clip and prints a per-model summary (src/verify/audit.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Command } from 'commander';
import { writeFileAtomic } from '../atomic-file.js';
import { EmotionThinkerError } from '../errors.js';
import { auditRecords, auditTable, checkAuditRecord, summarizeAudit, type AuditRecord } from '../verify/audit.js';
import { auditHtml } from '../verify/audit-html.js';

interface Helpers {
  fail: (cmd: string, err: unknown) => void;
  guardOutput: (cmd: string, out: string, force?: boolean, inputs?: readonly string[]) => boolean;
  signal: AbortSignal;
}

function parseLines(text: string): (AuditRecord | Error | null)[] {
  return text.split('\n').map((l) => {
    if (!l.trim()) return null;
    try {
      return checkAuditRecord(JSON.parse(l));
    } catch (err) {
      const msg = err instanceof EmotionThinkerError ? err.message : `not JSON (${(err as Error).message})`;
      return new EmotionThinkerError('ERR_INVALID_ARG', msg);
    }
  });
}

export function registerAudit(program: Command, { fail, guardOutput, signal }: Helpers): void {
  program
    .command('audit')
    .description("verify a model's emotion explanations: per response the claims and verdicts, per model accuracy and factual alignment per cue")
    .argument('<responses>', 'JSONL, one {audio, response, emotion?, model?} per line (audio paths relative to the file)')
    .requiredOption('--out <file>', 'JSONL with one verification per input line')
    .option('--html <file>', 'also write a self-contained HTML page with the summary and plots')
    .option('--force', 'overwrite existing outputs')
    .action(async (input: string, opts: { out: string; html?: string; force?: boolean }) => {
      if (!guardOutput('audit', opts.out, opts.force, [input])) return;
      if (opts.html && !guardOutput('audit', opts.html, opts.force, [input, opts.out])) return;
      try {
        let text: string;
        try {
          text = readFileSync(input, 'utf8');
        } catch (err) {
          throw new EmotionThinkerError('ERR_FILE', `cannot read the responses (${(err as NodeJS.ErrnoException).code})`, { input, cause: err });
        }
        const rows = await auditRecords(parseLines(text), { baseDir: path.dirname(path.resolve(input)), signal });
        writeFileAtomic(opts.out, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
        const summary = summarizeAudit(rows);
        if (opts.html) writeFileAtomic(opts.html, auditHtml(summary, rows, `emotionthinker audit: ${path.basename(input)}`));
        process.stdout.write(auditTable(summary));
        const failed = rows.filter((r) => 'error' in r);
        for (const f of failed) if ('error' in f) process.stderr.write(`audit: line ${f.line}: ${f.error.message} [${f.error.code}]\n`);
        process.stderr.write(`audit: ${rows.length - failed.length} verified, ${failed.length} failed; wrote ${opts.out}${opts.html ? ` and ${opts.html}` : ''}\n`);
        if (failed.length) process.exitCode = 1;
      } catch (err) {
        fail('audit', err);
      }
    });
}
