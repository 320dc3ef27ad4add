// Expands CLI audio arguments: directories (recursively), glob patterns, list files (.txt/.lst,
// one path per line) and '-' (a list on stdin), into a sorted, de-duplicated list of files.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';
import { EmotionThinkerError } from '../errors.js';

export const AUDIO_EXTENSIONS = ['.wav', '.flac', '.mp3', '.ogg', '.oga'];
const isAudio = (f: string) => AUDIO_EXTENSIONS.includes(path.extname(f).toLowerCase());

export function expandInputs(args: string[], readStdin: () => string = () => readFileSync(0, 'utf8')): string[] {
  const out = new Set<string>();
  const addList = (text: string, base: string) => {
    for (const line of text.split(/\r?\n/)) {
      const t = line.trim();
      if (t && !t.startsWith('#')) out.add(path.resolve(base, t));
    }
  };
  for (const arg of args) {
    if (arg === '-') {
      addList(readStdin(), process.cwd());
      continue;
    }
    if (isDynamicPattern(arg)) {
      for (const f of globSync(arg, { absolute: true, onlyFiles: true })) if (isAudio(f)) out.add(f);
      continue;
    }
    let st;
    try {
      st = statSync(arg);
    } catch {
      // A missing file is kept: it is reported as a per-file failure, not a usage error.
      out.add(path.resolve(arg));
      continue;
    }
    if (st.isDirectory()) {
      for (const f of globSync(AUDIO_EXTENSIONS.map((e) => `**/*${e}`), { cwd: arg, absolute: true, caseSensitiveMatch: false })) out.add(f);
    } else if (/\.(txt|lst|list)$/i.test(arg)) {
      addList(readFileSync(arg, 'utf8'), path.dirname(path.resolve(arg)));
    } else {
      out.add(path.resolve(arg));
    }
  }
  if (out.size === 0) throw new EmotionThinkerError('ERR_INVALID_ARG', `no audio files found in ${args.join(' ')}`);
  return [...out].sort();
}
