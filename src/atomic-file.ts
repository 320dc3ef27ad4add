// Whole-file outputs (report, calibration, model, checkpoint, ONNX export, feature cache) are
// written to a temporary file beside the target and renamed over it, so a full disk, a size
// limit or a kill mid-write leaves the old file (or none), never a truncated one.
import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants, fchmodSync, fchownSync, fsyncSync, lstatSync, openSync, readlinkSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import path from 'node:path';
import { EmotionThinkerError } from './errors.js';

const errno = (err: unknown) => (err as NodeJS.ErrnoException).code ?? String(err);

/**
 * The file a write to `file` lands in: `file` itself, or where its symlink chain points (so a
 * rename replaces the target, not the link). Dangling links resolve to their (missing) target.
 */
function resolveTarget(file: string): string {
  let p = path.resolve(file);
  for (let hops = 0; hops < 40; hops++) {
    let st: Stats;
    try {
      st = lstatSync(p);
    } catch {
      return p;
    }
    if (!st.isSymbolicLink()) return p;
    p = path.resolve(path.dirname(p), readlinkSync(p));
  }
  throw new EmotionThinkerError('ERR_FILE', 'too many levels of symbolic links', { input: file });
}

/** stat of an existing target, or null; throws ERR_FILE if it exists but is not a regular file. */
function existingRegular(target: string, input: string): Stats | null {
  let st: Stats;
  try {
    st = statSync(target);
  } catch (err) {
    if (errno(err) === 'ENOENT') return null;
    throw new EmotionThinkerError('ERR_FILE', `cannot inspect the output (${errno(err)})`, { input, cause: err });
  }
  if (st.isDirectory()) throw new EmotionThinkerError('ERR_FILE', 'the output is a directory; expected a file path', { input });
  if (!st.isFile()) throw new EmotionThinkerError('ERR_FILE', 'the output is not a regular file (a device, socket or pipe); expected a file path', { input });
  return st;
}

/**
 * Checks, before any work, that `file` can be written: its directory exists and is writable and
 * the target (through symlinks) is absent or a regular file (writable too, when `append`).
 * Throws ERR_FILE naming `file`.
 */
export function checkOutputWritable(file: string, options: { append?: boolean } = {}): void {
  const target = resolveTarget(file);
  const st = existingRegular(target, file);
  const dir = path.dirname(target);
  let dst: Stats;
  try {
    dst = statSync(dir);
  } catch (err) {
    throw new EmotionThinkerError('ERR_FILE', `the output directory ${dir} does not exist (${errno(err)})`, { input: file, cause: err });
  }
  if (!dst.isDirectory()) throw new EmotionThinkerError('ERR_FILE', `${dir} is not a directory`, { input: file });
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new EmotionThinkerError('ERR_FILE', `the output directory ${dir} is not writable (${errno(err)})`, { input: file, cause: err });
  }
  if (st && options.append) {
    try {
      accessSync(target, constants.W_OK);
    } catch (err) {
      throw new EmotionThinkerError('ERR_FILE', `the output is not writable (${errno(err)})`, { input: file, cause: err });
    }
  }
}

/** Two paths naming one file: the same path, or the same inode through any link. */
export function sameFile(a: string, b: string): boolean {
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    const x = statSync(a), y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/**
 * Refuses an output that is one of the command's inputs (the same file through any path, link or
 * hard link): --force would replace the audio or records the user gave with the output.
 * ERR_INVALID_ARG naming both.
 */
export function checkNotAnInput(out: string, inputs: readonly string[]): void {
  const input = inputs.find((i) => i !== '-' && sameFile(i, out));
  if (input !== undefined) {
    throw new EmotionThinkerError('ERR_INVALID_ARG', `the output is ${input}, which this command also reads or writes; writing it would destroy that file: choose another output path`, { input: out });
  }
}

/**
 * Writes `data` to `file` atomically: a uniquely named temporary file in the same directory,
 * written in full and fsynced, then renamed over the target, then the directory fsynced. An
 * existing file keeps its mode (and owner, where permitted); a symlink keeps pointing at the
 * (replaced) target; hard links to the old file keep the old content. Any failure
 * removes the temporary file and throws ERR_FILE naming `file`; the old file is untouched.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const target = resolveTarget(file);
  const old = existingRegular(target, file);
  const dir = path.dirname(target);
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', old ? 0o600 : 0o666);
    if (old) {
      fchmodSync(fd, old.mode & 0o7777);
      // Keep the owner too where we may (root rewriting another user's file); else ours.
      if (old.uid !== process.getuid?.() || old.gid !== process.getgid?.()) {
        try {
          fchownSync(fd, old.uid, old.gid);
        } catch {
          // not permitted: the file becomes ours, as any rewrite by this user would
        }
      }
    }
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target);
  } catch (err) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the write error is the one to report
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already renamed
    }
    if (err instanceof EmotionThinkerError) throw err;
    throw new EmotionThinkerError('ERR_FILE', `cannot write the output (${errno(err)}); any previous file is unchanged`, { input: file, cause: err });
  }
  // The rename is durable only once the directory entry is on disk; failure here loses nothing.
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // some file systems refuse fsync on a directory
  }
}
