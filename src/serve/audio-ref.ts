// An audio reference in a request: base64 bytes ("data:…;base64,…", "base64:…", or a bare base64
// string that decodes to a known container), or a path that must lie inside one of the server's
// audio roots (after resolving symbolic links). Refusals are 403 with ERR_INVALID_ARG.
import { createHash } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { SERVE_DEFAULTS } from './options.js';
import path from 'node:path';
import { EmotionThinkerError, invalidArg } from '../errors.js';

export class HttpError extends EmotionThinkerError {
  readonly status: number;
  constructor(status: number, err: EmotionThinkerError) {
    super(err.code, err.message, { cause: err.cause });
    this.status = status;
  }
}

const forbidden = (message: string) => new HttpError(403, invalidArg(message));

const MAGIC = ['RIFF', 'fLaC', 'OggS', 'ID3', 'RF64', 'FORM'];
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

function asBase64(s: string): Uint8Array | null {
  const m = /^data:[^,;]*;base64,(.*)$/s.exec(s) ?? /^base64:(.*)$/s.exec(s);
  if (m) return Buffer.from(m[1], 'base64');
  // A bare string: base64 only if it decodes to an audio container (an MP3 frame sync, or a magic).
  if (s.length < 64 || !BASE64.test(s.slice(0, 4096).replace(/\s/g, ''))) return null;
  const head = Buffer.from(s.slice(0, 16), 'base64');
  const tag = head.subarray(0, 4).toString('latin1');
  if (MAGIC.some((m) => tag.startsWith(m)) || (head[0] === 0xff && (head[1] & 0xe0) === 0xe0)) return Buffer.from(s, 'base64');
  return null;
}

/**
 * Content keys of files already read, by real path, valid while the file's identity, size and
 * modification time are unchanged: a clip named again is neither read nor hashed again.
 */
const fileKeys = new Map<string, { ino: number; size: number; mtimeMs: number; key: string }>();
const MAX_FILE_KEYS = 100_000;

/**
 * The real path of each audio root, resolved once (the roots are the server's fixed
 * configuration): every request with a path needs them, and resolving them again each time cost
 * as much as resolving the clip. A root that does not resolve is tried again next time.
 */
const rootReal = new Map<string, string>();
async function rootRealpath(root: string): Promise<string | null> {
  const known = rootReal.get(root);
  if (known !== undefined) return known;
  const r = await realpath(root).catch(() => null);
  if (r !== null) rootReal.set(root, r);
  return r;
}

/** Paths resolved within the last SERVE_DEFAULTS.pathMemoMs: their real path and file identity. */
const recent = new Map<string, { at: number; real: string; ino: number; size: number; mtimeMs: number }>();

/** Reads a file and hashes it, remembering the key under its identity (fileKeys). */
async function readFileKeyed(real: string, st: { ino: number; size: number; mtimeMs: number }, field: string, audio: string): Promise<{ bytes: Uint8Array; key: string }> {
  let b: Buffer;
  try {
    b = await readFile(real);
  } catch (err) {
    throw new HttpError(422, new EmotionThinkerError('ERR_FILE', `${field}: cannot read the audio (${(err as NodeJS.ErrnoException).code})`, { input: audio }));
  }
  const key = createHash('sha256').update(b).digest('hex');
  if (fileKeys.size >= MAX_FILE_KEYS) fileKeys.clear();
  fileKeys.set(real, { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, key });
  return { bytes: b, key };
}

export interface ResolvedAudio {
  /**
   * SHA-256 of the bytes (the prosody cache key). For a file seen before and unchanged since
   * (same inode, size and modification time) it is the remembered one: use it only to look up
   * the cache, and `read()` when it misses.
   */
  key: string;
  /** The bytes and their key, reading (and hashing) the file again if they were not read. */
  read: () => Promise<{ bytes: Uint8Array; key: string }>;
  /** For messages: the path, or "base64 audio". */
  name: string;
}

/** Resolves `audio` (field `field` of the request) to its bytes. */
export async function resolveAudio(audio: unknown, roots: readonly string[], field: string): Promise<ResolvedAudio> {
  if (typeof audio !== 'string' || audio.length === 0) throw new HttpError(400, invalidArg(`${field} must be a non-empty string: a path under an --audio-root or base64 audio bytes`));
  const b64 = asBase64(audio);
  if (b64) {
    if (b64.length === 0) throw new HttpError(400, invalidArg(`${field} holds no audio bytes`));
    const bytes = b64;
    const done = { bytes, key: createHash('sha256').update(bytes).digest('hex') };
    return { key: done.key, name: 'base64 audio', read: async () => done };
  } else {
    if (roots.length === 0) throw forbidden(`${field}: the server has no --audio-root, so audio paths are refused; send base64 bytes`);
    if (audio.includes('\0')) throw forbidden(`${field}: the path contains a NUL byte`);
    if (audio.split(/[\\/]/).includes('..')) throw forbidden(`${field}: the path "${audio}" contains ".."`);
    const candidate = path.isAbsolute(audio) ? audio : path.join(roots[0], audio);
    // A path resolved, checked and stat'ed less than SERVE_DEFAULTS.pathMemoMs ago (with these roots) is taken as
    // it was: a trainer names each clip over and over, and the two file-system calls per request
    // were a quarter of the server's time. A file replaced in place is seen that much later.
    const memoKey = `${roots.join('\u0000')}\u0001${candidate}`;
    const seen = recent.get(memoKey);
    if (seen && performance.now() - seen.at < SERVE_DEFAULTS.pathMemoMs) {
      const known = fileKeys.get(seen.real);
      if (known && known.ino === seen.ino && known.size === seen.size && known.mtimeMs === seen.mtimeMs) {
        return { key: known.key, name: audio, read: () => readFileKeyed(seen.real, seen, field, audio) };
      }
    }
    let real: string;
    try {
      real = await realpath(candidate);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new HttpError(code === 'ENOENT' ? 404 : 422, new EmotionThinkerError('ERR_FILE', `${field}: cannot open the audio (${code})`, { input: audio }));
    }
    let inside = false;
    for (const r of roots) {
      const rr = await rootRealpath(r);
      if (!rr) continue;
      const rel = path.relative(rr, real);
      if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) inside = true;
    }
    if (!inside) throw forbidden(`${field}: "${audio}" is outside the audio roots`);
    try {
      const st = await stat(real);
      if (!st.isFile()) throw new HttpError(422, new EmotionThinkerError('ERR_FILE', `${field}: "${audio}" is not a regular file`, { input: audio }));
      if (st.size > SERVE_DEFAULTS.maxAudioFileBytes) throw new HttpError(413, invalidArg(`${field}: "${audio}" is ${st.size} bytes; at most ${SERVE_DEFAULTS.maxAudioFileBytes} are read`));
      const readNow = () => readFileKeyed(real, st, field, audio);
      if (recent.size >= MAX_FILE_KEYS) recent.clear();
      recent.set(memoKey, { at: performance.now(), real, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
      const known = fileKeys.get(real);
      if (known && known.ino === st.ino && known.size === st.size && known.mtimeMs === st.mtimeMs) {
        return { key: known.key, name: audio, read: readNow };
      }
      const done = await readNow();
      return { key: done.key, name: audio, read: async () => done };
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(422, new EmotionThinkerError('ERR_FILE', `${field}: cannot read the audio (${(err as NodeJS.ErrnoException).code})`, { input: audio }));
    }
  }
}
