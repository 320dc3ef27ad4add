// FLAC, MP3 and Ogg Vorbis through the WASM decoders from npm (@wasm-audio-decoders/flac,
// mpg123-decoder, @wasm-audio-decoders/ogg-vorbis), on the main thread or in a worker thread:
// the decoders are synchronous WASM, so a long file decoded on the main thread would hold the
// event loop for its whole decode. The worker is our own small one (node:worker_threads) running
// the same decoder classes and the same post-processing: the packages' own worker variants parse
// the stream on the main thread and swallow exceptions raised in their worker (the call would
// then never settle).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { startEvalWorker } from './worker-argv.js';
import type { DecodedAudio } from './audio-types.js';
import { EmotionThinkerError } from './errors.js';
import { AUDIO_LIMITS, rateRange, sampleRangeError, sampleRateSupported } from './audio-limits.js';
import { guardWasm, isWasmOutOfMemory, PROBE_MODULE, wasmOutOfMemory } from './wasm-guard.js';
import { abortable, throwIfAborted } from './abort.js';
import { nativePath } from './native.js';

/**
 * Compressed files larger than this decode in a worker under decodeInWorker 'auto'. Measured
 * here (Node 20, 2 cores, 10-minute 48 kHz stereo FLAC, MP3 and Ogg): the event loop blocked
 * 1.3–2.0 s on the main thread, at most 13–51 ms with the worker; a worker costs 20–50 ms to
 * start, more than a short clip takes to decode (3.5 s clips: about 20 ms). 1 MiB is about 10 s of 48 kHz stereo speech
 * in FLAC, or a minute of 128 kbit/s MP3.
 */
export const WORKER_DECODE_MIN_BYTES = 1 << 20;

/** Each container's decoder: package, class, and the call that decodes a whole file. */
const DECODERS = {
  flac: { pkg: '@wasm-audio-decoders/flac', className: 'FLACDecoder', method: 'decodeFile' },
  mp3: { pkg: 'mpg123-decoder', className: 'MPEGDecoder', method: 'decode' },
  ogg: { pkg: '@wasm-audio-decoders/ogg-vorbis', className: 'OggVorbisDecoder', method: 'decodeFile' },
} as const;
type Container = keyof typeof DECODERS;

interface WasmDecoded {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  bitDepth?: number;
  errors?: { message?: unknown }[];
}

/** A decoded stream, interleaved; samples null when nothing could be decoded. */
interface Finished {
  samples: Float32Array | null;
  channels: number;
  frames: number;
  sampleRate: number;
  firstError: string | null;
  /** Index of the first sample that is NaN, infinite or beyond ±bound; -1 when none. */
  firstBad: number;
}

/**
 * Scales and interleaves a decoder's output. Self-contained on purpose: its source text also
 * runs inside the worker (WORKER_SOURCE), so it may use nothing from outside its own body.
 * `mix` (the worker, for loadAudio's mono): the channels are averaged here instead, so the
 * interleaved copy (as large as the decoded channels: 1.4 GB for an hour of 48 kHz stereo) is
 * never made.
 */
function finishDecoded(r: WasmDecoded, isFlac: boolean, bound: number, mix = false): Finished {
  const frames = r.samplesDecoded;
  const ch = r.channelData.length;
  const firstError = r.errors && r.errors.length ? String(r.errors[0].message) : null;
  if (!frames || !ch || !r.sampleRate) return { samples: null, channels: ch, frames: 0, sampleRate: r.sampleRate, firstError, firstBad: -1 };
  // The FLAC decoder divides by 2^(b-1) - 1; WAV decoding (and sox) divide by 2^(b-1). Rescale
  // so the same PCM gives the same floats whatever the container.
  const b = r.bitDepth;
  const k = isFlac && b && b >= 8 && b <= 32 ? (2 ** (b - 1) - 1) / 2 ** (b - 1) : 1;
  if (mix && ch > 1) {
    // The native mix's float32 operations in its order (native/audio/resample.cpp: a sum from 0
    // over the channels, times 1/channels), so the samples are identical. A sample out of range
    // stops it: the interleaved samples below then let the caller report it as always.
    const inv = Math.fround(1 / ch);
    const mono = new Float32Array(frames);
    let ok = true;
    for (let f = 0; f < frames && ok; f++) {
      let sum = 0;
      for (let c = 0; c < ch; c++) {
        const v = Math.fround(r.channelData[c][f] * k);
        if (!(Math.abs(v) <= bound)) ok = false;
        sum = Math.fround(sum + v);
      }
      mono[f] = sum * inv;
    }
    if (ok) return { samples: mono, channels: 1, frames, sampleRate: r.sampleRate, firstError, firstBad: -1 };
  }
  let samples: Float32Array;
  if (ch === 1) {
    samples = r.channelData[0].subarray(0, frames);
    if (k !== 1) for (let i = 0; i < frames; i++) samples[i] *= k;
  } else {
    samples = new Float32Array(frames * ch);
    for (let c = 0; c < ch; c++) {
      const src = r.channelData[c];
      for (let f = 0; f < frames; f++) samples[f * ch + c] = src[f] * k;
    }
  }
  // Corrupt lossy streams can decode to samples far beyond full scale (a mutated MP3 gave
  // ±1.1e5): found here, where the samples are (in the worker too), and reported by the caller.
  let firstBad = -1;
  for (let i = 0; i < samples.length; i++) {
    if (!(Math.abs(samples[i]) <= bound)) {
      firstBad = i;
      break;
    }
  }
  return { samples, channels: ch, frames, sampleRate: r.sampleRate, firstError, firstBad };
}

/** Decodes on this thread; any failure is thrown. */
async function decodeHere(container: Container, bytes: Uint8Array): Promise<Finished> {
  const { pkg, className, method } = DECODERS[container];
  type Decoder = { ready: Promise<void>; free(): void } & Record<typeof method, (b: Uint8Array) => WasmDecoded | Promise<WasmDecoded>>;
  const m = (await import(pkg)) as Record<string, new () => Decoder>;
  const d = new m[className]();
  try {
    await d.ready;
    return finishDecoded(await d[method](bytes), container === 'flac', AUDIO_LIMITS.maxAbsSample);
  } finally {
    try {
      d.free();
    } catch {
      // a decoder whose instantiation failed has nothing to free
    }
  }
}

// The worker: decodeHere's steps (keep the two in step) with finishDecoded's own source, as
// source for an eval worker, so it runs the same from src/ under the tests and from dist/ (only
// dynamic imports: an eval worker is CommonJS or ES module depending on the parent's
// --input-type). It answers with the interleaved samples (transferred, not copied) or with the
// error's message.
//
// With `convert` (loadAudio asked for mono and/or another rate) the worker also runs the native
// mix and resample (the addon's own resampleAsync, so the samples are exactly loadAudio's) and
// answers with the result: the decoded interleaved samples (230 MB for 10 minutes of 48 kHz
// stereo) then never reach the main thread, whose GC would free them there (tens of
// milliseconds of event-loop pause). Anything the main thread must report (samples out of
// range, an unsupported rate, a duration over maxDuration) or a failed resample leaves the
// samples as decoded: the main thread then raises the coded error as before.
const WORKER_SOURCE = `
const finishDecoded = ${finishDecoded.toString()};
async function convertHere(out, c) {
  const ch = out.channels, from = out.sampleRate;
  const mix = c.mono && ch > 1, to = c.sampleRate ?? from;
  if (!out.samples || out.firstBad >= 0 || (!mix && to === from)) return out;
  if (from < c.minRate || from > c.maxRate || out.frames / from > c.maxDuration) return out;
  try {
    const { createRequire } = await import('node:module');
    const { availableParallelism } = await import('node:os');
    const addon = createRequire(c.addon)(c.addon);
    // Copied here into a plain array: the addon's result is an external buffer, which
    // postMessage cannot hand over as it is (the main thread then spent 75-100 ms taking 38 MB).
    const samples = new Float32Array(await addon.resampleAsync(out.samples, ch, from, to, mix, availableParallelism(), undefined, true));
    const channels = mix ? 1 : ch;
    return { ...out, samples, channels, sampleRate: to, frames: samples.length / channels };
  } catch {
    return out;
  }
}
(async () => {
  const { parentPort, workerData } = await import('node:worker_threads');
  const { entry, className, method, isFlac, bytes, bound, probe, convert } = workerData;
  try {
    // The memory probe (src/wasm-guard.ts): a Wasm OOM here is an error message, not a crash.
    await WebAssembly.instantiate(probe);
    const m = await import(entry);
    const d = new m[className]();
    let out;
    try {
      await d.ready;
      out = finishDecoded(await d[method](bytes), isFlac, bound, Boolean(convert && convert.mono));
    } finally {
      d.free();
    }
    if (convert) out = await convertHere(out, convert);
    parentPort.postMessage({ ok: true, out }, out.samples ? [out.samples.buffer] : []);
  } catch (e) {
    parentPort.postMessage({ ok: false, message: String((e && e.message) || e) });
  }
})();
`;

const requireHere = createRequire(import.meta.url);

/** Starts the worker, or says why worker threads cannot be started here (e.g. under the permission model). */
function startWorker(container: Container, bytes: Uint8Array, owned: boolean, convert?: WorkerConvert): Worker | { failed: string } {
  const { pkg, className, method } = DECODERS[container];
  try {
    // The bytes are transferred, not cloned into workerData: cloning 25 MB (10 minutes of
    // stereo FLAC) held the event loop for 30–40 ms, a copy with slice() takes a few. Bytes we
    // read ourselves are handed over as they are; the caller's are copied first, never detached.
    const whole = (b: Uint8Array) => b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer;
    const data = owned && whole(bytes) ? bytes : bytes.slice();
    const entry = pathToFileURL(requireHere.resolve(pkg)).href;
    return startEvalWorker(WORKER_SOURCE, {
      workerData: {
        entry, className, method, isFlac: container === 'flac', bytes: data, bound: AUDIO_LIMITS.maxAbsSample, probe: PROBE_MODULE,
        convert: convert && { ...convert, addon: nativePath, minRate: AUDIO_LIMITS.minSampleRate, maxRate: AUDIO_LIMITS.maxSampleRate },
      },
      transferList: [data.buffer as ArrayBuffer],
    });
  } catch (err) {
    return { failed: (err as Error).message };
  }
}

/** Runs a started worker to its answer; a crash or an early exit is an error, never a hang. */
function decodeInWorker(w: Worker): Promise<Finished> {
  return new Promise<Finished>((resolve, reject) => {
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      f();
      void w.terminate();
    };
    w.once('message', (msg: { ok: true; out: Finished } | { ok: false; message: string }) =>
      settle(() => (msg.ok ? resolve(msg.out) : reject(new Error(msg.message)))),
    );
    w.once('error', (err) => settle(() => reject(err)));
    w.once('exit', (code) => settle(() => reject(new Error(`the decoder worker stopped (exit code ${code}) before answering`))));
  });
}

/** loadAudio's conversion, done in the decoder worker when there is one (see WORKER_SOURCE). */
export interface WorkerConvert {
  sampleRate?: number;
  mono: boolean;
  maxDuration: number;
}

/**
 * Decodes a compressed file; `input` names it in errors. inWorker 'auto' uses a worker for files
 * over WORKER_DECODE_MIN_BYTES and falls back to this thread when no worker thread can be
 * started; true then fails, saying why.
 */
export async function decodeCompressed(
  container: Container,
  bytes: Uint8Array,
  input: string,
  inWorker: boolean | 'auto',
  signal?: AbortSignal,
  /** The bytes belong to the package (read from a file here): they may be handed to the worker. */
  owned = false,
  /** Mix and/or resample in the worker (when one decodes): the result may come back converted. */
  convert?: WorkerConvert,
): Promise<DecodedAudio> {
  throwIfAborted(signal);
  const wanted = inWorker === 'auto' ? bytes.length > WORKER_DECODE_MIN_BYTES : inWorker;
  const worker = wanted ? startWorker(container, bytes, owned, convert) : null;
  if (worker && !(worker instanceof Worker) && inWorker === true) {
    throw new EmotionThinkerError('ERR_BACKEND_UNAVAILABLE', `decodeInWorker: cannot start a worker thread here (${worker.failed}); pass decodeInWorker: false or 'auto'`, { input });
  }
  let r: Finished;
  try {
    // Abort: the worker is terminated (the WASM decode stops with it); a decode on this thread
    // is synchronous and cannot be interrupted, its result is dropped.
    r =
      worker instanceof Worker
        ? await abortable(decodeInWorker(worker), signal, () => void worker.terminate())
        : await abortable(guardWasm(`cannot decode ${container}`, input, () => decodeHere(container, bytes)), signal);
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    if (err instanceof EmotionThinkerError) throw err;
    // A worker reports Wasm OOM as its message; Node reports a worker it could not give memory as ERR_WORKER_OUT_OF_MEMORY.
    if (isWasmOutOfMemory(err) || (err as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
      throw wasmOutOfMemory(`cannot decode ${container}`, input, err);
    }
    throw new EmotionThinkerError('ERR_AUDIO_FORMAT', `cannot decode ${container}: ${(err as Error).message}`, { input, cause: err });
  }
  if (!r.samples) {
    const why = r.firstError ? `: ${r.firstError}` : '';
    const hint = container === 'ogg' ? ' (Ogg Vorbis is supported; Ogg Opus and FLAC-in-Ogg are not)' : '';
    throw new EmotionThinkerError('ERR_AUDIO_FORMAT', `no audio could be decoded from this ${container} stream${why}${hint}`, { input });
  }
  // The same bounds as the native WAV decoder (native/audio/limits.hpp).
  if (!sampleRateSupported(r.sampleRate)) {
    throw new EmotionThinkerError('ERR_AUDIO_UNSUPPORTED', `the ${container} stream declares a sample rate of ${r.sampleRate} Hz; supported rates are ${rateRange()}`, { input });
  }
  if (r.firstBad >= 0) throw sampleRangeError(r.samples, r.firstBad, r.channels, 'ERR_AUDIO_FORMAT', `${container} decoded to out-of-range audio: `, input);
  return {
    sampleRate: r.sampleRate,
    channels: r.channels,
    samples: r.samples,
    encoding: container === 'ogg' ? 'vorbis' : container,
    frames: r.frames,
    duration: r.frames / r.sampleRate,
  };
}
