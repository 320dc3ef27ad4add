// WebAssembly out-of-memory as an error the caller can catch. The WASM audio decoders instantiate
// their modules inside promise chains the caller cannot reach (one of them inside a Promise whose
// executor never rejects): when V8 cannot reserve memory for an instance (e.g. under a
// virtual-memory limit such as `prlimit --as`, since every Wasm memory reserves its guard
// region), the RangeError becomes an unhandled rejection that ends the process, and the
// decoder's `ready` never settles. Two defences: a probe instantiates a one-page module first
// (the same reservation), and while a decode runs a scoped listener turns an unhandled Wasm OOM
// rejection into the decode's own rejection with ERR_OUT_OF_MEMORY.
import { EmotionThinkerError } from './errors.js';

/** (module (memory 1)): the smallest module that makes V8 reserve a Wasm memory. */
export const PROBE_MODULE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01]);

/** V8's messages for a Wasm memory it could not reserve. */
const WASM_OOM = /WebAssembly\.\w+\(\): (Out of memory|could not allocate memory)|Cannot allocate Wasm memory/i;

/** True for V8's RangeError (or its message, as a worker reports it) when Wasm memory could not be allocated. */
export function isWasmOutOfMemory(err: unknown): boolean {
  const message = typeof err === 'string' ? err : (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' && WASM_OOM.test(message);
}

export function wasmOutOfMemory(what: string, input: string | undefined, cause: unknown): EmotionThinkerError {
  const detail = (cause as { message?: unknown } | null)?.message ?? String(cause);
  return new EmotionThinkerError('ERR_OUT_OF_MEMORY', `${what}: cannot allocate WebAssembly memory (${String(detail)}); the process is short of (virtual) memory`, {
    input,
    cause,
  });
}

/** Rejects with ERR_OUT_OF_MEMORY when this process cannot instantiate a Wasm module with memory. */
export async function probeWasmMemory(what: string, input?: string): Promise<void> {
  try {
    await WebAssembly.instantiate(PROBE_MODULE);
  } catch (err) {
    if (isWasmOutOfMemory(err) || err instanceof RangeError) throw wasmOutOfMemory(what, input, err);
    throw err;
  }
}

// Decodes in flight, each with the function that fails it.
const active = new Set<(reason: unknown) => void>();

function onUnhandledRejection(reason: unknown): void {
  if (active.size > 0 && isWasmOutOfMemory(reason)) {
    for (const fail of active) fail(reason);
    return;
  }
  // Not ours. With no other listener Node would have raised it as an uncaught exception; keep
  // that (a listener of ours must not make unrelated rejections silent).
  if (process.listenerCount('unhandledRejection') === 1) throw reason;
}

/**
 * Runs `work` (which instantiates WASM) after the memory probe, with Wasm OOM, whether thrown,
 * rejected or left unhandled by a library, turned into a rejection with ERR_OUT_OF_MEMORY.
 */
export async function guardWasm<T>(what: string, input: string | undefined, work: () => Promise<T>): Promise<T> {
  await probeWasmMemory(what, input);
  let fail!: (reason: unknown) => void;
  const failed = new Promise<never>((_, reject) => {
    fail = (reason) => reject(wasmOutOfMemory(what, input, reason));
  });
  if (active.size === 0) process.on('unhandledRejection', onUnhandledRejection);
  active.add(fail);
  try {
    return await Promise.race([work(), failed]);
  } catch (err) {
    if (!(err instanceof EmotionThinkerError) && isWasmOutOfMemory(err)) throw wasmOutOfMemory(what, input, err);
    throw err;
  } finally {
    active.delete(fail);
    if (active.size === 0) process.off('unhandledRejection', onUnhandledRejection);
  }
}
