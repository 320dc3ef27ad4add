// The package's one error class. `code` is stable and meant for programs; `message` names the
// input, the field and what was expected, and is meant for people.
/**
 * The public error codes: the rows of ET_ERROR_CODES (native/common/error.hpp) marked public, in
 * its order (test/error-codes.test.ts checks them against the addon's table). ERR_FILE: a file
 * could not be read or written; ERR_MODEL_FORMAT: a model, calibration, checkpoint or ONNX file
 * was read but is malformed or out of range.
 */
export const ERROR_CODES = [
  'ERR_INVALID_ARG',
  'ERR_AUDIO_FORMAT',
  'ERR_AUDIO_UNSUPPORTED',
  'ERR_FILE',
  'ERR_MODEL_FORMAT',
  'ERR_OUT_OF_MEMORY',
  'ERR_BACKEND_UNAVAILABLE',
  'ERR_CUDA',
  'ERR_TRAINING',
  'ERR_INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class EmotionThinkerError extends Error {
  readonly code: ErrorCode;
  /** The input the error is about (a file path, or a description such as "bytes"), if known. */
  readonly input?: string;

  constructor(code: ErrorCode, message: string, options: { input?: string; cause?: unknown } = {}) {
    super(options.input ? `${options.input}: ${message}` : message, { cause: options.cause });
    this.name = 'EmotionThinkerError';
    this.code = code;
    this.input = options.input;
  }
}

const KNOWN_CODES = new Set<string>(ERROR_CODES);

/** Turns an error thrown by the addon (a plain Error with `code`) into an EmotionThinkerError. */
export function fromNative(err: unknown, input?: string): EmotionThinkerError {
  if (err instanceof EmotionThinkerError) return err;
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' && KNOWN_CODES.has(e.code) ? (e.code as ErrorCode) : 'ERR_INTERNAL';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return new EmotionThinkerError(code, message, { input, cause: err });
}

/** Runs a synchronous native call, translating its errors. */
export function callNative<T>(fn: () => T, input?: string): T {
  try {
    return fn();
  } catch (err) {
    throw fromNative(err, input);
  }
}

/** Awaits an async native call, translating its errors. */
export async function awaitNative<T>(promise: () => Promise<T>, input?: string): Promise<T> {
  try {
    return await promise();
  } catch (err) {
    // A cancelled call's AbortError (src/abort.ts) passes through as it is.
    if ((err as Error)?.name === 'AbortError') throw err;
    throw fromNative(err, input);
  }
}

export function invalidArg(message: string, input?: string): EmotionThinkerError {
  return new EmotionThinkerError('ERR_INVALID_ARG', message, { input });
}
