// `emotionthinker verify <audio> --text FILE|-`: checks a model's free-text emotion explanation
// against the clip (src/verify/verify.ts) and prints the claims with their verdicts and the scores.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DEFAULT_ANSWER_VOCABULARY, referenceLabel } from '../verify/answer.js';
import { EmotionThinkerError } from '../errors.js';
import { verifyReasoning } from '../verify/verify.js';
import { terminalSafe } from './terminal-text.js';

interface Helpers {
  fail: (cmd: string, err: unknown) => void;
  signal: AbortSignal;
}

function readTextArg(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new EmotionThinkerError('ERR_FILE', `cannot read --text (${(err as NodeJS.ErrnoException).code ?? err})`, { input: file === '-' ? 'standard input' : file, cause: err });
  }
}

export function registerVerify(program: Command, { fail, signal }: Helpers): void {
  program
    .command('verify')
    .description("verify a speech LLM's emotion explanation against the audio: claims, verdicts, FA/CC/FS/IQ and the GRPO-PTR reward")
    .argument('<audio>', 'the clip the explanation is about')
    .requiredOption('--text <file>', "the model's response (<think>…</think><answer>…</answer> or free text); - for standard input")
    .option('--emotion <label>', `reference emotion (turns on the outcome term of the reward): ${Object.keys(DEFAULT_ANSWER_VOCABULARY).join(', ')}, or a form of one (anger, fear, Happy)`, (v: string) => {
      try {
        return referenceLabel(v);
      } catch (err) {
        throw new InvalidArgumentError((err as Error).message);
      }
    })
    .addOption(new Option('--gender <gender>', "speaker gender from metadata (default: estimated by the bundled model's gender classifier, as analyze estimates it)").choices(['male', 'female']))
    .option('--level-calibrated', "the input's level is calibrated to the training recordings: energy claims judged by absolute RMS dBFS (default: by the vocal effort, independent of the gain)")
    .option('--json', 'print the result as one JSON object')
    .action(async (audio: string, opts: { text: string; emotion?: string; gender?: 'male' | 'female'; levelCalibrated?: boolean; json?: boolean }) => {
      try {
        const text = readTextArg(opts.text);
        const r = await verifyReasoning(audio, text, { emotion: opts.emotion, gender: opts.gender, levelCalibrated: !!opts.levelCalibrated, signal });
        if (opts.json) {
          process.stdout.write(JSON.stringify(r) + '\n');
          return;
        }
        const lines = [`answer: ${r.answer === null ? '(none)' : terminalSafe(r.answer)} → ${r.label ?? 'unknown label'}`];
        for (const c of r.claims) {
          const m = c.measurement;
          const meas = m ? ` — measured ${typeof m.value === 'number' ? `${m.value.toFixed(1)} ${m.unit}` : m.value ?? 'nothing'}${m.level ? ` (${m.level})` : ''}` : '';
          const cuts = c.cutPoints ? `, normal ${c.cutPoints[0].toFixed(1)}–${c.cutPoints[1].toFixed(1)} ${m?.unit ?? ''} (${m?.source})` : '';
          lines.push(`  ${c.verdict.padEnd(12)} ${c.cue} ${c.negated ? 'not ' : ''}${c.value}${meas}${cuts}: "${terminalSafe(c.sentence)}"`);
        }
        if (r.claims.length === 0) lines.push('  (no prosodic claims found)');
        const s = r.scores;
        lines.push(`scores: FA ${s.fa.toFixed(2)}, CC ${s.cc.toFixed(2)}, FS ${s.fs.toFixed(2)}, IQ ${s.iq.toFixed(2)}; reward ${r.reward.toFixed(4)}`);
        process.stdout.write(lines.join('\n') + '\n');
      } catch (err) {
        fail('verify', err);
      }
    });
}
