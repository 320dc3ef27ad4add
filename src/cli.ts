#!/usr/bin/env node
// emotionthinker command line. Exit codes: 0 success, 1 some input failed, 2 usage error.
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadAudio } from './audio.js';
import { backends } from './backend.js';
import { EmotionThinkerError } from './errors.js';
import { packageRoot } from './native.js';
import { extractF0 } from './prosody.js';
import { summarizeAudio } from './summary.js';
import { analyze } from './analyze.js';
import { loadModel } from './train/model.js';

const version = (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

const program = new Command();
program
  .name('emotionthinker')
  .description('Prosody and explainable speech-emotion reasoning for Node.js')
  .version(version)
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

program
  .command('info')
  .description('decode audio files and print a summary of each (rate, channels, duration, levels)')
  .argument('<audio...>', 'audio files (WAV, FLAC, MP3, Ogg Vorbis)')
  .option('--json', 'print one JSON object per file')
  .option('--rate <hz>', 'resample to this rate before summarising', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new CommanderError(2, 'emotionthinker.invalidRate', `error: --rate must be a positive integer, got '${v}'`);
    return n;
  })
  .option('--mono', 'mix channels to mono first')
  .action(async (files: string[], opts: { json?: boolean; rate?: number; mono?: boolean }) => {
    let failed = 0;
    for (const file of files) {
      try {
        const audio = await loadAudio(file, { sampleRate: opts.rate, mono: opts.mono });
        const s = summarizeAudio(audio);
        if (opts.json) {
          process.stdout.write(JSON.stringify({ file, ...s }) + '\n');
        } else {
          process.stdout.write(
            `${file}: ${s.encoding}, ${s.sampleRate} Hz, ${s.channels} ch, ${s.durationSeconds.toFixed(3)} s, ` +
              `peak ${s.peakDbfs.toFixed(1)} dBFS, RMS ${s.rmsDbfs.toFixed(1)} dBFS, active ${(100 * s.activeRatio).toFixed(0)}%\n`,
          );
        }
      } catch (err) {
        failed++;
        const code = err instanceof EmotionThinkerError ? err.code : 'ERR_INTERNAL';
        process.stderr.write(`emotionthinker info: ${(err as Error).message} [${code}]\n`);
      }
    }
    if (failed) process.exitCode = 1;
  });

program
  .command('f0')
  .description('track F0 and print one line per frame: time_seconds<TAB>f0_hz (0 = unvoiced); frame i is centred at i*hop')
  .argument('<audio>', 'audio file (WAV, FLAC, MP3, Ogg Vorbis)')
  .option('--hop <seconds>', 'frame hop in seconds (default 0.01)', Number)
  .option('--min <hz>', 'lowest F0 (default 60)', Number)
  .option('--max <hz>', 'highest F0 (default 600)', Number)
  .action(async (file: string, opts: { hop?: number; min?: number; max?: number }) => {
    try {
      const r = await extractF0(file, { hopSeconds: opts.hop, f0Min: opts.min, f0Max: opts.max });
      const lines: string[] = [];
      for (let i = 0; i < r.f0.length; i++) {
        const f = r.f0[i];
        lines.push(`${r.time[i].toFixed(3)}\t${Number.isFinite(f) ? f.toFixed(2) : '0'}`);
      }
      process.stdout.write(lines.length ? lines.join('\n') + '\n' : '');
    } catch (err) {
      const code = err instanceof EmotionThinkerError ? err.code : 'ERR_INTERNAL';
      process.stderr.write(`emotionthinker f0: ${(err as Error).message} [${code}]\n`);
      process.exitCode = 1;
    }
  });

program
  .command('analyze')
  .description('explain the emotion in each clip: prosody, cue claims with their evidence, and the answer')
  .argument('<audio...>', 'audio files (WAV, FLAC, MP3, Ogg Vorbis)')
  .option('--json', 'print one JSON object per file (file, emotion, probabilities, reasoning, claims, prosody)')
  .option('--model <file>', 'a model trained with emotionthinker (default: the bundled model)')
  .option('--gender <male|female>', 'speaker gender from metadata (default: estimated from F0)')
  .action(async (files: string[], opts: { json?: boolean; model?: string; gender?: string }) => {
    if (opts.gender !== undefined && opts.gender !== 'male' && opts.gender !== 'female') {
      process.stderr.write(`error: --gender must be 'male' or 'female', got '${opts.gender}'\n`);
      process.exitCode = 2;
      return;
    }
    let model;
    try {
      model = opts.model ? loadModel(opts.model) : undefined;
    } catch (err) {
      process.stderr.write(`emotionthinker analyze: ${(err as Error).message}\n`);
      process.exitCode = 1;
      return;
    }
    let failed = 0;
    for (const file of files) {
      try {
        const r = await analyze(file, { model, gender: opts.gender as 'male' | 'female' | undefined });
        if (opts.json) {
          process.stdout.write(JSON.stringify({ file, ...r }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n');
        } else {
          const p = r.emotion ? ` (${(100 * r.probabilities[r.emotion]).toFixed(0)}%)` : '';
          process.stdout.write(`${file}: ${r.emotion ?? 'insufficient evidence'}${p}\n  ${r.reasoning}\n  ${r.prosody.caption}\n`);
        }
      } catch (err) {
        failed++;
        const code = err instanceof EmotionThinkerError ? err.code : 'ERR_INTERNAL';
        process.stderr.write(`emotionthinker analyze: ${(err as Error).message} [${code}]\n`);
      }
    }
    if (failed) process.exitCode = 1;
  });

program
  .command('backends')
  .description('print the compute backends this build can use, as JSON')
  .action(() => {
    process.stdout.write(JSON.stringify(backends(), null, 2) + '\n');
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // help and version exit 0; every usage problem exits 2
    process.exitCode = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0 ? 0 : 2;
  } else {
    process.stderr.write(`emotionthinker: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
