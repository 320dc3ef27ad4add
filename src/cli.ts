#!/usr/bin/env node
// emotionthinker command line. Exit codes: 0 success, 1 some input failed, 2 usage error.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { intFlag, specFlag } from './cli/flags.js';
import { AUDIO_LIMITS } from './audio-limits.js';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadAudio, sniffContainer } from './audio.js';
import { readAudioStdin } from './audio-read.js';
import { backends } from './backend.js';
import { EmotionThinkerError, invalidArg } from './errors.js';
import { packageRoot } from './package-root.js';
import { extractF0, extractProsody, prosodyJsonReplacer } from './prosody.js';
import { summarizeAudio } from './summary.js';
import { analyze } from './analyze.js';
import { analyzeSpeaker } from './speaker-session.js';
import { loadModel, modelFile, saveModel, type EmotionModel } from './inference/model.js';
import { genderModel, withModelGender } from './model-gender.js';
import { expandInputs } from './cli/inputs.js';
import { annotate, MAX_ANNOTATE_CONCURRENCY } from './cli/annotate.js';
import { parseRavdessName } from './train/ravdess.js';
import { calibrateFromRecords, readText } from './cli/calibrate.js';
import { actorsFlag, parseRange } from './cli/ranges.js';
import { progress } from './cli/progress.js';
import { registerExportOnnx } from './cli/export-onnx.js';
import { registerVerify } from './cli/verify.js';
import { registerServe } from './cli/serve.js';
import { registerAudit } from './cli/audit.js';
import { registerListen } from './cli/listen.js';
import { defaultCalibration, loadCalibration } from './level-calibration.js';
import { existsSync, readdirSync } from 'node:fs';
import { checkNotAnInput, checkOutputWritable, sameFile, writeFileAtomic } from './atomic-file.js';
import { terminalSafe } from './cli/terminal-text.js';
import { F0_OPTION_SPECS, optionHelp, optionSpec } from './option-specs.js';
import { spawnSync } from 'node:child_process';
import { prepareRavdess } from './train/corpus.js';
import { DEFAULT_RL_STEPS, DEFAULT_SFT_STEPS, train, TRAIN_MODES, type TrainMode } from './train/trainer.js';
import { loadCheckpoint } from './train/checkpoint-schema.js';
import { evaluatePolicy } from './train/evaluate.js';
import { EMOTIONS } from './inference/vocab.js';
import { perceptionOf } from './train/confidence.js';
import { DEFAULT_ENSEMBLE_MEMBERS, memberSeed } from './train/ensemble-recipe.js';
import { MAX_ENSEMBLE_MEMBERS } from './inference/ensemble.js';
import { EXIT_INTERRUPTED, isAbortError, watchInterrupt } from './cli/interrupt.js';

const version = (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

const program = new Command();
// Ctrl-C aborts this signal; every long call below takes it (exit code 130, see cli/interrupt.ts).
const interrupt = watchInterrupt();
const { signal } = interrupt;
program
  .name('emotionthinker')
  .description('Prosody and explainable speech-emotion reasoning for Node.js')
  .version(version)
  .exitOverride()
  .showHelpAfterError()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

/** --gender, shared by the commands that take speaker metadata; `estimate` says how the command estimates it without. */
const genderOption = (estimate: string) => new Option('--gender <gender>', `speaker gender from metadata (default: estimated ${estimate})`).choices(['male', 'female']);

/** --gender-model, shared by the model-free prosody commands (src/model-gender.ts). */
const genderModelOption = () =>
  new Option(
    '--gender-model <file>',
    "judge the gender of clips without metadata by this emotion model's classifier ('default': the bundled model) instead of the F0 rule (median < 160 Hz: male), which calls a raised, aroused male voice female; on calm speech the F0 rule is as good",
  );

/** An audio argument: a path, or '-' for the file's bytes on standard input (bounded: src/audio-read.ts). */
async function audioArg(file: string): Promise<string | Uint8Array> {
  return file === '-' ? readAudioStdin(sniffContainer, signal) : file;
}

/** Prints an error the way every subcommand does and sets the exit code. */
function fail(cmd: string, err: unknown, exitCode = 1) {
  if (isAbortError(err)) {
    process.stderr.write(`emotionthinker ${cmd}: interrupted\n`);
    process.exitCode = EXIT_INTERRUPTED;
    return;
  }
  const code = err instanceof EmotionThinkerError ? err.code : 'ERR_INTERNAL';
  process.stderr.write(`emotionthinker ${cmd}: ${terminalSafe((err as Error).message)} [${code}]\n`);
  process.exitCode = exitCode;
}

/**
 * Refuses to replace an existing output file unless --force, and an output that cannot be
 * written (ERR_FILE, exit 1) before any work is done.
 */
/** A refused argument or file (ERR_INVALID_ARG) is a usage error, exit 2; anything else 1. */
const exitCodeOf = (err: unknown) => (err instanceof EmotionThinkerError && err.code === 'ERR_INVALID_ARG' ? 2 : 1);

/** A usage error: the message on stderr, exit code 2. */
function usageError(cmd: string, message: string): void {
  process.stderr.write(`emotionthinker ${cmd}: ${terminalSafe(message)}\n`);
  process.exitCode = 2;
}

/** The files under a directory (recursively; [] when it is not one): the data an output must not replace. */
function listFiles(dir: string): string[] {
  try {
    return (readdirSync(dir, { recursive: true }) as string[]).map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

/** Whether a file is a readable checkpoint (the trainer's own, to be replaced as it goes). */
function isCheckpoint(file: string): boolean {
  try {
    loadCheckpoint(file);
    return true;
  } catch {
    return false;
  }
}

function guardOutput(cmd: string, out: string, force?: boolean, inputs: readonly string[] = []): boolean {
  if (out === '-') return true;
  if (out.trim() === '') {
    process.stderr.write(`emotionthinker ${cmd}: the output path is empty\n`);
    process.exitCode = 2;
    return false;
  }
  try {
    // Not writable (a directory, a device, a missing directory): ERR_FILE before "exists".
    checkOutputWritable(out);
    checkNotAnInput(out, inputs);
  } catch (err) {
    fail(cmd, err, exitCodeOf(err));
    return false;
  }
  if (existsSync(out) && !force) {
    process.stderr.write(`emotionthinker ${cmd}: ${terminalSafe(out)} exists; pass --force to overwrite it\n`);
    process.exitCode = 2;
    return false;
  }
  return true;
}

program
  .command('info')
  .description('decode audio files and print a summary of each (rate, channels, duration, levels)')
  .argument('<audio...>', 'audio files (WAV, FLAC, MP3, Ogg Vorbis)')
  .option('--json', 'print one JSON object per file')
  .option('--rate <hz>', 'resample to this rate before summarising', intFlag(AUDIO_LIMITS.minSampleRate, AUDIO_LIMITS.maxSampleRate))
  .option('--mono', 'mix channels to mono first')
  .action(async (files: string[], opts: { json?: boolean; rate?: number; mono?: boolean }) => {
    let failed = 0;
    for (const file of files) {
      try {
        const audio = await loadAudio(await audioArg(file), { sampleRate: opts.rate, mono: opts.mono, signal });
        const s = summarizeAudio(audio);
        if (opts.json) {
          process.stdout.write(JSON.stringify({ file, ...s, ...(audio.truncated ? { truncated: true } : {}) }) + '\n');
        } else {
          process.stdout.write(
            `${terminalSafe(file)}: ${s.encoding}, ${s.sampleRate} Hz, ${s.channels} ch, ${s.durationSeconds.toFixed(3)} s, ` +
              `peak ${s.peakDbfs.toFixed(1)} dBFS, RMS ${s.rmsDbfs.toFixed(1)} dBFS, active ${(100 * s.activeRatio).toFixed(0)}%` +
              (audio.truncated ? ' (truncated: the file is shorter than its header declares; decoded what is there)' : '') +
              '\n',
          );
        }
      } catch (err) {
        if (isAbortError(err)) return fail('info', err);
        failed++;
        const code = err instanceof EmotionThinkerError ? err.code : 'ERR_INTERNAL';
        process.stderr.write(`emotionthinker info: ${terminalSafe((err as Error).message)} [${code}]\n`);
      }
    }
    if (failed) process.exitCode = 1;
  });

program
  .command('f0')
  .description('track F0 and print one line per frame: time_seconds<TAB>f0_hz (0 = unvoiced); frame i is centred at i*hop')
  .argument('<audio>', 'audio file (WAV, FLAC, MP3, Ogg Vorbis)')
  .option('--hop <seconds>', optionHelp(optionSpec(F0_OPTION_SPECS, 'hopSeconds')), specFlag(optionSpec(F0_OPTION_SPECS, 'hopSeconds')))
  .option('--min <hz>', optionHelp(optionSpec(F0_OPTION_SPECS, 'f0Min')), specFlag(optionSpec(F0_OPTION_SPECS, 'f0Min')))
  .option('--max <hz>', optionHelp(optionSpec(F0_OPTION_SPECS, 'f0Max')), specFlag(optionSpec(F0_OPTION_SPECS, 'f0Max')))
  .action(async (file: string, opts: { hop?: number; min?: number; max?: number }) => {
    try {
      const r = await extractF0(await audioArg(file), { hopSeconds: opts.hop, f0Min: opts.min, f0Max: opts.max, signal });
      const lines: string[] = [];
      for (let i = 0; i < r.f0.length; i++) {
        const f = r.f0[i];
        lines.push(`${r.time[i].toFixed(3)}\t${Number.isFinite(f) ? f.toFixed(2) : '0'}`);
      }
      process.stdout.write(lines.length ? lines.join('\n') + '\n' : '');
    } catch (err) {
      if (isAbortError(err)) return fail('f0', err);
      const code = err instanceof EmotionThinkerError ? err.code : 'ERR_INTERNAL';
      process.stderr.write(`emotionthinker f0: ${terminalSafe((err as Error).message)} [${code}]\n`);
      process.exitCode = 1;
    }
  });

program
  .command('analyze')
  .description('explain the emotion in each clip: prosody, cue claims with their evidence, and the answer')
  .argument('<audio...>', 'audio files (WAV, FLAC, MP3, Ogg Vorbis)')
  .option('--json', 'print one JSON object per file (file, emotion, probabilities, reasoning, claims, prosody)')
  .option('--model <file>', 'a model trained with emotionthinker (default: the bundled model)')
  .addOption(genderOption("by the model's gender classifier; with --speaker, once from all the speaker's clips"))
  .option('--speaker <id>', 'all files are one speaker: explain each against that speaker\'s statistics over all of them (records carry speaker)', (v: string) => {
    if (v.trim() === '') throw new InvalidArgumentError('Expected a non-empty speaker id.');
    return v;
  })
  .option('--level-calibrated', 'the input\'s level is calibrated to the training recordings: energy claims from absolute RMS dBFS')
  .action(async (files: string[], opts: { json?: boolean; model?: string; gender?: string; speaker?: string; levelCalibrated?: boolean }) => {
    let model;
    try {
      model = opts.model ? loadModel(opts.model) : undefined;
    } catch (err) {
      return fail('analyze', err);
    }
    let failed = 0;
    // --speaker: one batch, one speaker's statistics (analyzeSpeaker); results in file order.
    // A clip that cannot be read is named and left out; the rest are one speaker's batch.
    let speakerResults: Awaited<ReturnType<typeof analyzeSpeaker>> | null = null;
    const speakerErrors = new Map<number, EmotionThinkerError>();
    if (opts.speaker !== undefined) {
      try {
        speakerResults = await analyzeSpeaker(await Promise.all(files.map(audioArg)), {
          id: opts.speaker, model, gender: opts.gender as 'male' | 'female' | undefined, signal, onClipError: (err, i) => speakerErrors.set(i, err),
        });
      } catch (err) {
        return fail('analyze', err);
      }
    }
    for (const [fi, file] of files.entries()) {
      try {
        if (speakerErrors.has(fi)) throw speakerErrors.get(fi);
        const r = speakerResults ? speakerResults[fi]! : await analyze(await audioArg(file), { model, gender: opts.gender as 'male' | 'female' | undefined, levelCalibrated: !!opts.levelCalibrated, signal });
        if (opts.json) {
          process.stdout.write(JSON.stringify({ file, ...r }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n');
        } else {
          const p = (r.emotion ? ` (${(100 * r.probabilities[r.emotion]).toFixed(0)}%)` : '') + (r.uncertain && r.emotion ? ` [uncertain: ${r.uncertainty.map((u) => u.detail).join('; ')}]` : '');
          process.stdout.write(`${terminalSafe(file)}: ${r.emotion ?? 'insufficient evidence'}${p}\n  ${r.reasoning}\n  ${r.prosody.caption}\n`);
        }
      } catch (err) {
        if (isAbortError(err)) return fail('analyze', err);
        failed++;
        const code = err instanceof EmotionThinkerError ? err.code : 'ERR_INTERNAL';
        process.stderr.write(`emotionthinker analyze: ${terminalSafe((err as Error).message)} [${code}]\n`);
      }
    }
    if (failed) process.exitCode = 1;
  });

program
  .command('prosody')
  .description('measure prosody: functionals, intonation, levels and a caption per file (text, --json or --csv)')
  .argument('<audio...>', 'audio files, or - for one file on stdin')
  .option('--json', 'one JSON object per file')
  .option('--csv', 'a header row, then one row of functionals per file')
  .option('--frames', 'with --json: include the per-frame tracks (time, f0, voicing, rmsDbfs, intensityDb)')
  .option('--calibration <file>', 'level cut points (default: the bundled RAVDESS calibration)')
  .addOption(genderOption("from F0, or by --gender-model; a RAVDESS file name's actor is metadata"))
  .addOption(genderModelOption())
  .action(async (files: string[], opts: { json?: boolean; csv?: boolean; frames?: boolean; calibration?: string; gender?: string; genderModel?: string }) => {
    if (opts.json && opts.csv) {
      process.stderr.write('error: --json and --csv cannot be combined\n');
      process.exitCode = 2;
      return;
    }
    let calibration, byModel: EmotionModel | undefined;
    try {
      calibration = opts.calibration ? loadCalibration(opts.calibration) : defaultCalibration();
      if (opts.genderModel !== undefined) byModel = genderModel(opts.genderModel);
    } catch (err) {
      return fail('prosody', err);
    }
    let header: string[] | null = null;
    let failed = 0;
    for (const file of files) {
      try {
        const audio = await audioArg(file);
        // Metadata: --gender, else a RAVDESS file name's actor (as annotate reads it).
        const named = file === '-' ? null : parseRavdessName(file);
        const gender = (opts.gender as 'male' | 'female' | undefined) ?? (named && typeof named !== 'string' ? named.gender : undefined);
        let p = await extractProsody(audio, { calibration, gender, signal });
        if (byModel) p = await withModelGender(audio, p, { model: byModel, metadata: gender, calibration, signal });
        const levels = p.levels;
        if (opts.csv) {
          const names = Object.keys(p.functionals);
          if (!header) {
            header = names;
            process.stdout.write(['file', ...names, 'intonation', 'pitch_level', 'energy_level', 'speed_level', 'gender'].join(',') + '\n');
          }
          const cell = (v: unknown) => (v === null || v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
          const row = [file, ...header.map((k) => p.functionals[k]), p.intonation.label, levels?.pitch_level, levels?.energy_level, levels?.speed_level, p.gender?.value];
          process.stdout.write(row.map(cell).join(',') + '\n');
        } else if (opts.json) {
          const { frames, ...rest } = p;
          const out = opts.frames ? { file, ...rest, frames: { time: frames.time, f0: frames.f0, voicing: frames.voicing, rmsDbfs: frames.rmsDbfs, intensityDb: frames.intensityDb } } : { file, ...rest };
          process.stdout.write(JSON.stringify(out, prosodyJsonReplacer) + '\n');
        } else {
          const f = p.functionals;
          const num = (v: number | null | undefined, d = 1) => (v === null || v === undefined ? 'n/a' : v.toFixed(d));
          process.stdout.write(
            `${terminalSafe(file)}: ${p.caption}\n  F0 median ${num(f.f0MedianHz, 0)} Hz, range 5–95% ${num(f.f0Range5to95St)} st; RMS ${num(f.rmsMeanDbfs)} dBFS; ` +
              `${num(f.articulationRate)} syllables/s articulation; ${f.pauseCount ?? 0} pauses; intonation ${p.intonation.label}\n`,
          );
        }
      } catch (err) {
        if (isAbortError(err)) return fail('prosody', err);
        failed++;
        fail('prosody', err);
      }
    }
    if (failed) process.exitCode = 1;
  });

program
  .command('annotate')
  .description('write one EmotionCoT-compatible JSONL record per clip; reruns skip clips already written')
  .argument('<inputs...>', 'directories, glob patterns, list files (.txt) or - for a list on stdin')
  .requiredOption('--out <file>', 'output JSONL (- for stdout); an existing file is resumed, --force starts it again')
  .option('--calibration <file>', 'level cut points (default: the bundled RAVDESS calibration)')
  .option('--corpus <name>', 'corpus name: picks the calibration group and is stored in each record')
  .option('--concurrency <n>', `clips in flight, 1 to ${MAX_ANNOTATE_CONCURRENCY} (default: twice the cores)`, intFlag(1, MAX_ANNOTATE_CONCURRENCY), 2 * os.availableParallelism())
  .option('--force', 'start the output file again')
  .option('--quiet', 'no progress output')
  .addOption(new Option('--backend <backend>', 'cpu, or cuda: the GPU batch (falls back to the CPU with the reason when no GPU is present); auto: the GPU when present').choices(['auto', 'cpu', 'cuda']).default('cpu'))
  .addOption(genderModelOption())
  .action(async (inputs: string[], opts: { out: string; calibration?: string; corpus?: string; concurrency: number; force?: boolean; quiet?: boolean; backend: 'auto' | 'cpu' | 'cuda'; genderModel?: string }) => {
    try {
      const files = expandInputs(inputs);
      const calibration = opts.calibration ? loadCalibration(opts.calibration) : defaultCalibration();
      const byModel = opts.genderModel !== undefined ? genderModel(opts.genderModel) : undefined;
      const t0 = Date.now();
      const s = await annotate(files, { out: opts.out, calibration, corpus: opts.corpus, concurrency: opts.concurrency, force: !!opts.force, quiet: opts.quiet, backend: opts.backend, signal, genderModel: byModel });
      // Each message already starts with the file it is about.
      for (const f of s.failed) process.stderr.write(`  failed: ${terminalSafe(f.error.startsWith(f.file) ? f.error : `${f.file}: ${f.error}`)} [${f.code}]\n`);
      process.stderr.write(
        `annotate: ${s.written} written, ${s.alreadyDone} already in ${terminalSafe(opts.out)}, ${s.failed.length} failed, of ${s.total} clips in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
      );
      if (s.failed.length) process.exitCode = 1;
      if (s.interrupted) {
        process.stderr.write(`annotate: interrupted; the ${s.written} records written are kept and a rerun goes on from there\n`);
        process.exitCode = EXIT_INTERRUPTED;
      }
    } catch (err) {
      // A refused output (not annotate JSONL, another gender estimator, one of the inputs) or a bad
      // --gender-model is a usage error, like an output that exists without --force.
      fail('annotate', err, exitCodeOf(err));
    }
  });

program
  .command('calibrate')
  .description('fit level cut points (tertiles by default) from annotate records')
  .argument('<records>', 'JSONL from annotate, or - for stdin')
  .requiredOption('--out <file>', 'calibration JSON to write')
  .option('--group-by <keys>', 'corpus,gender (pitch cuts per gender; groups under --min-group clips use pooled cuts)', 'corpus,gender')
  .option('--min-group <n>', 'smallest group with its own cut points', intFlag(1), 50)
  .option('--force', 'overwrite --out')
  .action((records: string, opts: { out: string; groupBy: string; minGroup: number; force?: boolean }) => {
    if (!guardOutput('calibrate', opts.out, opts.force, [records])) return;
    try {
      const cal = calibrateFromRecords(readText(records), records, opts.groupBy.split(',').map((s) => s.trim()).filter(Boolean), { minGroup: opts.minGroup });
      writeFileAtomic(opts.out, JSON.stringify(cal, null, 2) + '\n');
      process.stderr.write(`calibrate: ${terminalSafe(cal.source ?? '')}; wrote ${terminalSafe(opts.out)}\n`);
    } catch (err) {
      fail('calibrate', err);
    }
  });

program
  .command('train')
  .description('train an explainable emotion model on a RAVDESS-layout directory with GRPO-PTR (or an ablation)')
  .requiredOption('--data <dir>', 'directory of 03-01-EE-II-SS-RR-AA.wav clips')
  .requiredOption('--out <file>', 'model JSON to write')
  .option('--train-actors <list>', 'e.g. 1-12 (default 1-12)', actorsFlag('--train-actors'))
  .option('--val-actors <list>', 'e.g. 13-16 (default 13-16; empty: no validation; never a training actor)', actorsFlag('--val-actors'))
  .addOption(new Option('--mode <mode>', 'ablation row or full GRPO-PTR').choices(TRAIN_MODES).default('ptr'))
  .option('--seed <n>', 'random seed', intFlag(1), 1)
  .option('--members <n>', `ensemble members, member k trained at seed + 1000·k (1 to ${MAX_ENSEMBLE_MEMBERS}; the bundled models have ${DEFAULT_ENSEMBLE_MEMBERS})`, intFlag(1, MAX_ENSEMBLE_MEMBERS), 1)
  .option('--steps <n>', 'RL steps', intFlag(1))
  .option('--sft-steps <n>', 'supervised warm-start steps', intFlag(1))
  .option('--metrics <file>', 'stream per-step metrics as JSONL')
  .option('--checkpoint <file>', 'checkpoint file (written every 50 steps)')
  .option('--resume <file>', 'resume from a checkpoint')
  .option('--cache <file>', 'feature cache', '.cache/features.json')
  .option('--strict', 'fail on the first unusable dataset entry instead of skipping it')
  .option('--force', 'overwrite --out')
  .action(async (opts: Record<string, string | number | boolean | undefined>) => {
    // Training runs synchronously between its feature extraction steps: Ctrl-C ends it the default way.
    interrupt.dispose();
    const out = String(opts.out);
    const trainActors = (opts.trainActors as unknown as number[] | undefined) ?? parseRange('1-12', '--train-actors');
    const valActors = (opts.valActors as unknown as number[] | undefined) ?? parseRange('13-16', '--val-actors');
    // Validation on training speakers would be reported as speaker-independent.
    const shared = valActors.filter((a) => trainActors.includes(a));
    if (shared.length) return usageError('train', `--val-actors and --train-actors share actor${shared.length > 1 ? 's' : ''} ${shared.join(', ')}; validation must be on other speakers`);
    if (!trainActors.length) return usageError('train', '--train-actors is empty');
    // The outputs are four different files, none of them an input (a clip of --data, or --resume
    // for any but --checkpoint): --out x --metrics x lost the metrics, --cache on a clip overwrote it.
    const outputs = ([['--out', out], ['--metrics', opts.metrics], ['--checkpoint', opts.checkpoint], ['--cache', opts.cache]] as [string, unknown][]).filter(([, v]) => typeof v === 'string') as [string, string][];
    for (let i = 0; i < outputs.length; i++) {
      for (let j = i + 1; j < outputs.length; j++) {
        if (sameFile(outputs[i][1], outputs[j][1])) return usageError('train', `${outputs[i][0]} and ${outputs[j][0]} are the same file (${outputs[i][1]}); each output needs its own`);
      }
    }
    const dataFiles = listFiles(String(opts.data));
    const inputs = [...dataFiles, ...(opts.resume ? [String(opts.resume)] : [])];
    for (const [flag, file] of outputs) {
      const against = flag === '--checkpoint' ? dataFiles : inputs; // resuming from the checkpoint it keeps writing is normal
      if (against.some((f) => sameFile(f, file))) return usageError('train', `${flag} ${file} is one of the inputs; writing it would destroy it`);
    }
    // An existing --checkpoint that is not a checkpoint is someone's file.
    if (opts.checkpoint && existsSync(String(opts.checkpoint)) && !opts.force && !isCheckpoint(String(opts.checkpoint))) {
      return usageError('train', `--checkpoint ${String(opts.checkpoint)} exists and is not a checkpoint; it was left unchanged (pass --force to replace it)`);
    }
    if (!guardOutput('train', out, opts.force as boolean)) return;
    const mode = String(opts.mode) as TrainMode;
    // A fresh run starts --metrics again (one line per step), so an existing one needs --force;
    // a resumed run keeps its lines up to the checkpoint.
    if (opts.metrics && !opts.resume && !guardOutput('train', String(opts.metrics), opts.force as boolean)) return;
    try {
      const members = opts.members as number;
      // One metrics stream and one checkpoint describe one training run.
      if (members > 1 && (opts.metrics || opts.checkpoint || opts.resume)) throw invalidArg('--metrics, --checkpoint and --resume follow one training run; use them with --members 1');
      // Every output and a --resume checkpoint are checked before the (long) feature extraction.
      if (opts.metrics) checkOutputWritable(String(opts.metrics), { append: true });
      if (opts.checkpoint) checkOutputWritable(String(opts.checkpoint));
      if (existsSync(path.dirname(String(opts.cache)))) checkOutputWritable(String(opts.cache));
      if (opts.resume) loadCheckpoint(String(opts.resume));
      const prep = progress(1, 'features', { quiet: true });
      const corpus = await prepareRavdess(String(opts.data), { trainActors, valActors, cacheFile: String(opts.cache), strict: !!opts.strict });
      prep.stop();
      if (corpus.skipped.length) {
        process.stderr.write(`train: skipped ${corpus.skipped.length} dataset entries:\n`);
        for (const s of corpus.skipped.slice(0, 20)) process.stderr.write(`  ${terminalSafe(s.reason.startsWith(s.file) ? s.reason : `${s.file}: ${s.reason}`)}\n`);
        if (corpus.skipped.length > 20) process.stderr.write(`  … and ${corpus.skipped.length - 20} more\n`);
      }
      const total = ((opts.sftSteps as number | undefined) ?? DEFAULT_SFT_STEPS) + ((opts.steps as number | undefined) ?? DEFAULT_RL_STEPS);
      const bar = progress(total * members, `train ${mode}`);
      const policies = Array.from({ length: members }, (_, k) => train({
        data: corpus.train, associations: corpus.associations, mode, seed: memberSeed(opts.seed as number, k),
        sftSteps: opts.sftSteps as number | undefined, steps: opts.steps as number | undefined,
        metricsFile: opts.metrics as string | undefined, checkpointFile: opts.checkpoint as string | undefined,
        resume: opts.resume as string | undefined, onStep: () => bar.tick(),
      }).policy);
      bar.stop();
      const info: Record<string, unknown> = { data: String(opts.data), trainActors, mode, seed: opts.seed, clips: corpus.train.x.length, ...(members > 1 ? { members, memberSeeds: policies.map((_, k) => memberSeed(opts.seed as number, k)) } : {}) };
      if (corpus.val.x.length) {
        const e = evaluatePolicy(policies, corpus.val, corpus.associations);
        Object.assign(info, { valActors, valAccuracy: e.accuracy, valMacroF1: e.macroF1, valFactualShare: e.factualShare });
        process.stdout.write(JSON.stringify({ valActors, accuracy: e.accuracy, macroF1: e.macroF1, factualShare: e.factualShare, fa: e.fa, iq: e.iq, cc: e.cc, fs: e.fs, confusion: e.confusion, emotions: EMOTIONS }) + '\n');
      }
      saveModel(out, modelFile(policies, { standardizer: corpus.standardizer, calibration: corpus.calibration, corpus: 'ravdess', associations: corpus.associations, info, perception: perceptionOf(corpus.effortCuts, corpus.train.x, corpus.standardizer.mean.length, null, undefined, corpus.train.clips.map((c) => c.gender)) }));
      process.stderr.write(`train: wrote ${terminalSafe(out)}\n`);
      // Some input failed, the rest was used: exit 1, as every command does.
      if (corpus.skipped.length) process.exitCode = 1;
    } catch (err) {
      // A refused argument or file (a --cache that is not a cache, --members with --resume) is a usage error.
      fail('train', err, exitCodeOf(err));
    }
  });

program
  .command('eval')
  .description('evaluate a model on RAVDESS-layout clips: accuracy, macro-F1, confusion, FA/IQ/CC/FS')
  .requiredOption('--data <dir>', 'directory of 03-01-EE-II-SS-RR-AA.wav clips')
  .option('--model <file>', 'model JSON (default: the bundled model)')
  .option('--actors <list>', 'actors to evaluate on (default 13-16)', actorsFlag('--actors'))
  .option('--cache <file>', 'feature cache', '.cache/features.json')
  .action(async (opts: { data: string; model?: string; actors?: number[]; cache: string }) => {
    interrupt.dispose();
    if (listFiles(opts.data).some((f) => sameFile(f, opts.cache))) return usageError('eval', `--cache ${opts.cache} is one of the inputs; writing it would destroy it`);
    try {
      const { evaluateModelOnRavdess } = await import('./train/evaluate-model.js');
      const e = await evaluateModelOnRavdess(opts.model ? loadModel(opts.model) : undefined, opts.data, opts.actors ?? parseRange('13-16', '--actors'), opts.cache);
      const { skippedEntries, ...result } = e;
      for (const s of skippedEntries.slice(0, 20)) process.stderr.write(`eval: skipped ${terminalSafe(s.reason.startsWith(s.file) ? s.reason : `${s.file}: ${s.reason}`)}\n`);
      if (skippedEntries.length > 20) process.stderr.write(`eval: … and ${skippedEntries.length - 20} more skipped\n`);
      process.stdout.write(JSON.stringify({ ...result, emotions: EMOTIONS }) + '\n');
      if (skippedEntries.length) process.exitCode = 1;
    } catch (err) {
      fail('eval', err, exitCodeOf(err));
    }
  });

program
  .command('bench')
  .description('run the CPU benchmarks (each prints its ratio table against its anchor)')
  .argument('[names...]', 'decode-resample, f0-accuracy, prosody-speed, grpo-cpu, vad, ser (default: all but ser)')
  .action((names: string[]) => {
    // The benchmarks run as child processes that get the same Ctrl-C: end the default way.
    interrupt.dispose();
    const all = ['decode-resample', 'f0-accuracy', 'prosody-speed', 'grpo-cpu', 'vad', 'ser'];
    const chosen = names.length ? names : all.filter((n) => n !== 'ser');
    for (const n of chosen) {
      if (!all.includes(n)) {
        process.stderr.write(`error: unknown benchmark '${n}'; choose from ${all.join(', ')}\n`);
        process.exitCode = 2;
        return;
      }
    }
    // The npm package leaves benchmarks/ out (it needs the repository's ../shared data and dev
    // tools): say so instead of a Node "Cannot find module" per benchmark.
    const dir = path.join(packageRoot, 'benchmarks');
    if (!existsSync(dir)) {
      process.stderr.write(`error: the benchmarks are not part of the npm package (no ${dir}); run them from a git checkout of emotionthinker with ../shared beside it\n`);
      process.exitCode = 2;
      return;
    }
    for (const n of chosen) {
      process.stdout.write(`\n=== ${n} ===\n`);
      const r = spawnSync(process.execPath, [path.join(dir, `${n}.mjs`)], { stdio: 'inherit' });
      if (r.status !== 0) process.exitCode = 1;
    }
  });

program
  .command('report')
  .description('write a self-contained HTML report: waveform, F0, intensity, pauses, nuclei, levels, reasoning')
  .argument('<audio>', 'one audio file')
  .requiredOption('--out <file>', 'HTML file to write')
  .option('--model <file>', 'model JSON (default: the bundled model)')
  .addOption(genderOption("by the model's gender classifier"))
  .option('--force', 'overwrite --out')
  .action(async (audio: string, opts: { out: string; model?: string; gender?: 'male' | 'female'; force?: boolean }) => {
    if (!guardOutput('report', opts.out, opts.force, [audio])) return;
    try {
      const { buildReport } = await import('./report.js');
      writeFileAtomic(opts.out, await buildReport(audio, { model: opts.model, gender: opts.gender, signal }));
      process.stderr.write(`report: wrote ${terminalSafe(opts.out)}\n`);
    } catch (err) {
      fail('report', err);
    }
  });

registerExportOnnx(program, { fail, guardOutput });
registerVerify(program, { fail, signal });
registerServe(program, { fail });
registerAudit(program, { fail, guardOutput, signal });
registerListen(program, { fail, signal });

program
  .command('backends')
  .description('print the compute backends this build can use, as JSON')
  .action(() => {
    process.stdout.write(JSON.stringify(backends(), null, 2) + '\n');
  });

try {
  await program.parseAsync(process.argv);
  if (signal.aborted) process.exitCode = EXIT_INTERRUPTED;
} catch (err) {
  if (err instanceof CommanderError) {
    // help and version exit 0; every usage problem exits 2
    process.exitCode = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0 ? 0 : 2;
  } else {
    process.stderr.write(`emotionthinker: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
} finally {
  interrupt.dispose();
}
