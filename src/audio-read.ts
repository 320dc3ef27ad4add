// Reading an audio file's bytes with a bound. fs.readFile refuses a regular file over 2 GiB, but
// reads a device, a pipe or a socket (/dev/zero, /dev/urandom, `<(cmd)`, standard input) until it
// ends: /dev/zero never does, and the process grew to gigabytes before it crashed. Here a
// non-regular source is read in chunks, stops at the first chunk when its first bytes name no
// audio container (the decoder then says so), and is refused past MAX_STREAMED_AUDIO_BYTES.
import { open, type FileHandle } from 'node:fs/promises';
import { EmotionThinkerError } from './errors.js';
import { throwIfAborted } from './abort.js';

/** Most bytes read from a pipe, device or standard input: the 2 GiB fs.readFile allows a regular file. */
export const MAX_STREAMED_AUDIO_BYTES = 2 ** 31 - 1;

const CHUNK = 1 << 20;

/** The container tags loadAudio knows (audio.ts sniffContainer), checked on a stream's first bytes. */
export type Sniff = (head: Uint8Array) => string;

/** Joins the chunks read so far into one buffer. */
function joined(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) out.set(c, o), (o += c.length);
  return out;
}

/**
 * Reads chunks from `next` (null at the end) up to `limit` bytes; stops after the first chunk of at
 * least 12 bytes whose head `sniff` calls 'unknown'. Over the limit: ERR_FILE naming `input`.
 */
export async function readBounded(
  next: () => Promise<Uint8Array | null>,
  input: string,
  sniff: Sniff,
  signal?: AbortSignal,
  limit = MAX_STREAMED_AUDIO_BYTES,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let sniffed = false;
  for (;;) {
    throwIfAborted(signal);
    const c = await next();
    if (c === null) break;
    if (c.length === 0) continue;
    total += c.length;
    if (total > limit) {
      throw new EmotionThinkerError('ERR_FILE', `more than ${limit} bytes from a stream or device (not a regular file); no audio this package takes is that large`, { input });
    }
    chunks.push(c);
    if (!sniffed && total >= 12) {
      sniffed = true;
      if (sniff(joined(chunks, total)) === 'unknown') break;
    }
  }
  return joined(chunks, total);
}

async function readHandle(fh: FileHandle, input: string, sniff: Sniff, signal?: AbortSignal): Promise<Uint8Array> {
  const st = await fh.stat();
  if (st.isFile()) return new Uint8Array(await fh.readFile({ signal }));
  if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  // One read buffer; each chunk is copied out at its own size (a pipe gives 64 KiB a read, and
  // keeping a fresh 1 MiB buffer per read held 738 MB of array buffers for a 48 MB file).
  const buf = new Uint8Array(CHUNK);
  return readBounded(
    async () => {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      return bytesRead === 0 ? null : buf.slice(0, bytesRead);
    },
    input,
    sniff,
    signal,
  );
}

/**
 * An audio file's bytes: a regular file whole (fs.readFile and its 2 GiB limit), anything else
 * (pipe, device, socket) through readBounded. Errors of the file system pass through with their
 * code (ENOENT, EISDIR, ...) for the caller to word.
 */
export async function readAudioPath(path: string, sniff: Sniff, signal?: AbortSignal): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    return await readHandle(fh, path, sniff, signal);
  } finally {
    await fh.close();
  }
}

/** Standard input's bytes, bounded like a pipe (the command line's `-`). */
export async function readAudioStdin(sniff: Sniff, signal?: AbortSignal): Promise<Uint8Array> {
  const it = process.stdin[Symbol.asyncIterator]();
  try {
    return await readBounded(
      async () => {
        const r = await it.next();
        return r.done ? null : new Uint8Array((r.value as Buffer).buffer, (r.value as Buffer).byteOffset, (r.value as Buffer).byteLength);
      },
      'standard input',
      sniff,
      signal,
    );
  } finally {
    process.stdin.pause();
    process.stdin.destroy();
  }
}
