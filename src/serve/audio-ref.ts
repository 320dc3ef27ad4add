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

export interface ResolvedAudio {
  bytes: Uint8Array;
  /** SHA-256 of the bytes: the prosody cache key. */
  key: string;
  /** For messages: the path, or "base64 audio". */
  name: string;
}

/** Resolves `audio` (field `field` of the request) to its bytes. */
export async function resolveAudio(audio: unknown, roots: readonly string[], field: string): Promise<ResolvedAudio> {
  if (typeof audio !== 'string' || audio.length === 0) throw new HttpError(400, invalidArg(`${field} must be a non-empty string: a path under an --audio-root or base64 audio bytes`));
  const b64 = asBase64(audio);
  let bytes: Uint8Array;
  let name: string;
  if (b64) {
    if (b64.length === 0) throw new HttpError(400, invalidArg(`${field} holds no audio bytes`));
    bytes = b64;
    name = 'base64 audio';
  } else {
    if (roots.length === 0) throw forbidden(`${field}: the server has no --audio-root, so audio paths are refused; send base64 bytes`);
    if (audio.includes('\0')) throw forbidden(`${field}: the path contains a NUL byte`);
    if (audio.split(/[\\/]/).includes('..')) throw forbidden(`${field}: the path "${audio}" contains ".."`);
    const candidate = path.isAbsolute(audio) ? audio : path.join(roots[0], audio);
    let real: string;
    try {
      real = await realpath(candidate);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new HttpError(code === 'ENOENT' ? 404 : 422, new EmotionThinkerError('ERR_FILE', `${field}: cannot open the audio (${code})`, { input: audio }));
    }
    let inside = false;
    for (const r of roots) {
      const rr = await realpath(r).catch(() => null);
      if (!rr) continue;
      const rel = path.relative(rr, real);
      if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) inside = true;
    }
    if (!inside) throw forbidden(`${field}: "${audio}" is outside the audio roots`);
    try {
      const st = await stat(real);
      if (!st.isFile()) throw new HttpError(422, new EmotionThinkerError('ERR_FILE', `${field}: "${audio}" is not a regular file`, { input: audio }));
      if (st.size > SERVE_DEFAULTS.maxAudioFileBytes) throw new HttpError(413, invalidArg(`${field}: "${audio}" is ${st.size} bytes; at most ${SERVE_DEFAULTS.maxAudioFileBytes} are read`));
      bytes = await readFile(real);
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(422, new EmotionThinkerError('ERR_FILE', `${field}: cannot read the audio (${(err as NodeJS.ErrnoException).code})`, { input: audio }));
    }
    name = audio;
  }
  return { bytes, key: createHash('sha256').update(bytes).digest('hex'), name };
}
