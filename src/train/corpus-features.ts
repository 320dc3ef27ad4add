// Features of a whole corpus for training and evaluation: extracted a few files at a time and
// cached on disk under the extractor's fingerprint, and the standardiser fitted on a training
// split. The features of one clip are defined in src/inference/featurize.ts.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../atomic-file.js';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmotionThinkerError } from '../errors.js';
import { nativePath } from '../native.js';
import { extractUtteranceFeatures, FEATURE_NAMES, FEATURE_VERSION, type Standardizer, type UtteranceFeatures } from '../inference/featurize.js';

interface CacheFile {
  version: number;
  /** Features of the bundled sample clip under the extractor that wrote the cache. */
  fingerprint?: string;
  entries: Record<string, { size: number; mtimeMs: number; features: UtteranceFeatures }>;
}

/**
 * A digest of the extractor: the native addon's bytes, the code of the TS modules between a file
 * and its features, and the features of the bundled sample clip (samples/hello.wav). FEATURE_VERSION names the feature list, not the
 * extractor: a change in the F0 tracker or the spectral code changes the values under the same
 * names, and a cache written before it would be served as if current (that happened: a benchmark
 * table was computed from features of an older tracker). The sample's features alone missed a
 * change that the sample does not exercise (the intonation turn depth of clips whose fitted
 * curve turns outside the utterance), hence the code digests. The cache is valid only under the
 * extractor whose fingerprint it records; a rebuilt addon costs one re-extraction.
 */
async function extractorFingerprint(): Promise<string> {
  const here = fileURLToPath(import.meta.url);
  const sample = path.resolve(path.dirname(here), '../../samples/hello.wav');
  const { features } = await extractUtteranceFeatures(sample);
  const hash = createHash('sha256').update(readFileSync(nativePath));
  // The modules on the path from a file to its features (.ts under the tests, .js from dist/).
  const ext = path.extname(here);
  for (const m of ['inference/featurize', 'audio', 'audio-wasm', 'prosody', 'features']) {
    hash.update(readFileSync(path.resolve(path.dirname(here), '..', m + ext)));
  }
  return hash.update(JSON.stringify(features.values)).digest('hex').slice(0, 16);
}

/** The cache file's content when it is a feature cache; otherwise ERR_INVALID_ARG naming it (left unchanged). */
function readOwnCache(file: string): CacheFile {
  const refuse = (why: string) =>
    new EmotionThinkerError('ERR_INVALID_ARG', `exists and is not a feature cache (${why}); it was left unchanged: choose another cache path or remove it`, { input: file });
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    throw new EmotionThinkerError('ERR_FILE', `cannot read the feature cache (${(err as NodeJS.ErrnoException).code ?? err})`, { input: file, cause: err });
  }
  if (!st.isFile()) throw refuse('not a regular file');
  let c: unknown;
  try {
    c = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw refuse('not JSON');
  }
  const o = c as Partial<CacheFile> | null;
  if (!o || typeof o !== 'object' || Array.isArray(o) || typeof o.version !== 'number' || !o.entries || typeof o.entries !== 'object' || Array.isArray(o.entries)) {
    throw refuse('no version and entries');
  }
  return o as CacheFile;
}

/** Features of the current shape: FEATURE_NAMES values, each a finite number or null, and a functionals object. */
function wellFormed(f: unknown): f is UtteranceFeatures {
  const v = (f as UtteranceFeatures | null)?.values;
  return (
    !!f && typeof f === 'object' && Array.isArray(v) && v.length === FEATURE_NAMES.length && v.every((x) => x === null || (typeof x === 'number' && Number.isFinite(x))) &&
    typeof (f as UtteranceFeatures).functionals === 'object' && (f as UtteranceFeatures).functionals !== null
  );
}

/**
 * Features for many files, `concurrency` at a time, cached in `cacheFile` (keyed by path, size
 * and modification time, valid only for the extractor that wrote it: see extractorFingerprint).
 * Files that fail are reported, not fatal, unless `strict`.
 */
export async function extractCorpusFeatures(
  files: string[],
  options: { cacheFile?: string; concurrency?: number; strict?: boolean; onProgress?: (done: number, total: number) => void } = {},
): Promise<{ features: Map<string, UtteranceFeatures>; failed: { file: string; error: string }[] }> {
  const fingerprint = options.cacheFile ? await extractorFingerprint() : undefined;
  let cache: CacheFile = { version: FEATURE_VERSION, fingerprint, entries: {} };
  if (options.cacheFile && existsSync(options.cacheFile)) {
    // A file that is not a feature cache (notes, a clip of the corpus itself) is someone's data:
    // refused untouched. It used to be "rebuilt", i.e. overwritten. A cache of another extractor
    // or feature version is ours and is rebuilt.
    const c = readOwnCache(options.cacheFile);
    if (c.version === FEATURE_VERSION && c.fingerprint === fingerprint) cache = c;
  }
  const out = new Map<string, UtteranceFeatures>();
  const failed: { file: string; error: string }[] = [];
  const todo: string[] = [];
  for (const f of files) {
    const e = cache.entries[f];
    let st: { size: number; mtimeMs: number } | null = null;
    try {
      st = statSync(f);
    } catch {
      st = null;
    }
    // An entry whose features do not have the current shape is extracted again, not trusted.
    if (e && st && e.size === st.size && e.mtimeMs === st.mtimeMs && wellFormed(e.features)) out.set(f, e.features);
    else todo.push(f);
  }
  let done = files.length - todo.length;
  const concurrency = Math.max(1, options.concurrency ?? 2);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < todo.length) {
        const f = todo[next++];
        try {
          const { features } = await extractUtteranceFeatures(f);
          const st = statSync(f);
          out.set(f, features);
          cache.entries[f] = { size: st.size, mtimeMs: st.mtimeMs, features };
        } catch (err) {
          if (options.strict) throw err instanceof EmotionThinkerError ? err : new EmotionThinkerError('ERR_INTERNAL', String(err), { input: f });
          failed.push({ file: f, error: (err as Error).message });
        }
        options.onProgress?.(++done, files.length);
      }
    }),
  );
  if (options.cacheFile && todo.length) {
    mkdirSync(path.dirname(options.cacheFile), { recursive: true });
    writeFileAtomic(options.cacheFile, JSON.stringify(cache));
  }
  return { features: out, failed };
}

export function fitStandardizer(rows: (number | null)[][]): Standardizer {
  const d = rows[0]?.length ?? 0;
  const mean = new Array(d).fill(0), std = new Array(d).fill(1);
  for (let j = 0; j < d; j++) {
    let s = 0, n = 0;
    for (const r of rows) if (r[j] !== null) s += r[j]!, n++;
    const m = n ? s / n : 0;
    let q = 0;
    for (const r of rows) if (r[j] !== null) q += (r[j]! - m) ** 2;
    mean[j] = m;
    std[j] = n > 1 && q > 0 ? Math.sqrt(q / (n - 1)) : 1;
  }
  return { mean, std };
}
