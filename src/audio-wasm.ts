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
import { AUDIO_LIMITS, DEFAULT_MAX_DURATION_S, rateRange, sampleRangeError, sampleRateSupported } from './audio-limits.js';
import { declaredLength } from './audio-declared.js';
import { guardWasm, isWasmOutOfMemory, PROBE_MODULE, wasmOutOfMemory } from './wasm-guard.js';
import { abortable, throwIfAborted } from './abort.js';
import { native, nativePath } from './native.js';

/**
 * Compressed files larger than this decode in a worker under decodeInWorker 'auto'. Measured
 * here (Node 20, 2 cores, 10-minute 48 kHz stereo FLAC, MP3 and Ogg): the event loop blocked
 * 1.3–2.0 s on the main thread, at most 13–51 ms with the worker; a worker costs 20–50 ms to
 * start, more than a short clip takes to decode (3.5 s clips: about 20 ms). 1 MiB is about 10 s of 48 kHz stereo speech
 * in FLAC, or a minute of 128 kbit/s MP3.
 */
export const WORKER_DECODE_MIN_BYTES = 1 << 20;

/** Each container's decoder: package and class; `flush` says whether it has a flush() to call after the last chunk. */
const DECODERS = {
  flac: { pkg: '@wasm-audio-decoders/flac', className: 'FLACDecoder', flush: true },
  mp3: { pkg: 'mpg123-decoder', className: 'MPEGDecoder', flush: false },
  ogg: { pkg: '@wasm-audio-decoders/ogg-vorbis', className: 'OggVorbisDecoder', flush: true },
} as const;
type Container = keyof typeof DECODERS;

/**
 * Input bytes handed to the decoder per call. The decoded size, not the input's, is what costs:
 * digital silence compresses about 1000:1 in FLAC (an hour of 48 kHz stereo is 670 KB), so one
 * 8 KB piece may decode to 16 MB of float samples at worst, and to some 30 KB for speech or music.
 * Measured here (20 minutes of 48 kHz stereo silence, loadAudio mono; peak RSS growth over the
 * output's size): 1.15x with 8 KB pieces, 1.65x with 32 KB, 3.1x with 128 KB, 7.1x decoding whole;
 * a 10-minute pink-noise FLAC (51 MB) decodes as fast in 8 KB pieces as in 32 KB ones.
 */
export const DECODE_CHUNK_BYTES = 1 << 13;

/**
 * Samples per synchronous call into the streaming resampler while decoding on the main thread
 * (one 8 KB piece of FLAC silence decodes to up to 2 M samples). 64 Ki samples at 48 kHz are
 * about a millisecond of work.
 */
const RESAMPLE_SLICE_SAMPLES = 1 << 16;

interface WasmDecoded {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  bitDepth?: number;
  errors?: { message?: unknown }[];
}

interface WasmDecoder {
  ready: Promise<void>;
  decode(b: Uint8Array): WasmDecoded | Promise<WasmDecoded>;
  flush?(): WasmDecoded | Promise<WasmDecoded>;
  free(): void;
}

/** A decoded stream, interleaved (or mixed to mono); samples null when nothing could be decoded. */
interface Finished {
  samples: Float32Array | null;
  channels: number;
  frames: number;
  sampleRate: number;
  firstError: string | null;
  /** Index of the first sample that is NaN, infinite or beyond ±bound, counted in the interleaved stream of `badChannels` channels; -1 when none. */
  firstBad: number;
  badValue: number;
  badChannels: number;
  /** Decoding stopped once the decoded duration passed maxDuration. */
  truncated: boolean;
  /** The stream's own rate and length: they differ from sampleRate/frames when it was resampled while decoding. */
  sourceRate: number;
  sourceFrames: number;
}

/** The native streaming resampler (bindings/resampler_bindings.cpp): pieces in, resampled pieces out. */
interface PieceResampler {
  push(x: Float32Array): Float32Array;
  finish(): Float32Array;
}
type MakeResampler = (fromRate: number, toRate: number) => PieceResampler;

/** What decodeStream needs besides the decoder and the bytes (plain data: it crosses to the worker). */
interface StreamOptions {
  isFlac: boolean;
  flush: boolean;
  bound: number;
  /** Average the channels as they are decoded (loadAudio asked for mono). */
  mix: boolean;
  maxDuration: number;
  /** Frames the header declares (audio-declared.ts), to size the output once; 0 when unknown. */
  declaredFrames: number;
  chunkBytes: number;
  /**
   * Resample a mono output to this rate as it is decoded (0: keep the stream's rate), when the
   * stream's rate lies in [minRate, maxRate] (otherwise the caller reports the rate). Peak memory
   * is then the output at the target rate: an hour of 48 kHz audio never exists at 48 kHz.
   */
  resampleTo: number;
  minRate: number;
  maxRate: number;
  /** Samples per push into the resampler: each push is a short synchronous native call. */
  resampleSlice: number;
}

/**
 * Feeds the decoder `bytes` in pieces and scales, checks and interleaves (or mixes) each decoded
 * piece into the output as it comes, so the peak memory is the output plus one piece: neither the
 * decoder's whole-file channel arrays nor the interleaved stereo of a mono load ever exist. It
 * stops at the first sample out of range and as soon as the decoded duration passes maxDuration
 * (the work of a "decompression bomb" then ends at the limit). `between` runs after each piece
 * (on the main thread: a turn of the event loop and the abort check).
 * Self-contained on purpose: its source text also runs inside the worker (WORKER_SOURCE), so it
 * may use nothing from outside its own body.
 */
async function decodeStream(d: WasmDecoder, bytes: Uint8Array, o: StreamOptions, between?: () => Promise<void>, makeResampler?: MakeResampler): Promise<Finished> {
  let ch = 0;
  let outCh = 0;
  let rate = 0;
  let frames = 0;
  let firstError: string | null = null;
  let firstBad = -1;
  let badValue = 0;
  let truncated = false;
  let out: Float32Array | null = null; // preallocated from the declared length
  let used = 0;
  const pieces: Float32Array[] = [];
  const inv = { v: 1 };
  let rs: PieceResampler | null = null;
  let outRate = 0;
  let mixed: Float32Array | null = null; // the last piece at the stream's rate, waiting for the resampler
  /** Appends `need` output samples: returns where to write them. */
  const reserve = (need: number): [Float32Array, number] => {
    if (out && used + need <= out.length) {
      used += need;
      return [out, used - need];
    }
    if (out) {
      pieces.push(out.subarray(0, used));
      out = null;
    }
    const dest = new Float32Array(need);
    pieces.push(dest);
    return [dest, 0];
  };
  const append = (y: Float32Array) => {
    if (!y.length) return;
    const [dest, off] = reserve(y.length);
    dest.set(y, off);
  };
  /** Adds one decoded piece; false once decoding must stop. */
  const take = (r: WasmDecoded): boolean => {
    if (firstError === null && r.errors && r.errors.length) firstError = String(r.errors[0].message);
    const n = r.samplesDecoded;
    const c = r.channelData.length;
    if (!n || !c || !r.sampleRate) return true;
    if (!ch) {
      ch = c;
      rate = r.sampleRate;
      outCh = o.mix && c > 1 ? 1 : c;
      inv.v = Math.fround(1 / c);
      outRate = rate;
      if (makeResampler && o.resampleTo && outCh === 1 && rate !== o.resampleTo && rate >= o.minRate && rate <= o.maxRate) {
        rs = makeResampler(rate, o.resampleTo);
        outRate = o.resampleTo;
      }
      // Sized once from the header when it is not absurd (a lying header then costs address
      // space only: untouched pages are never resident); otherwise, pieces joined at the end.
      const declaredOut = rs ? Math.ceil((o.declaredFrames * outRate) / rate) : o.declaredFrames;
      if (declaredOut > 0 && declaredOut * outCh <= 2 ** 28) out = new Float32Array(declaredOut * outCh);
    } else if (c !== ch || r.sampleRate !== rate) {
      throw new Error(`the stream changes from ${ch} channel(s) at ${rate} Hz to ${c} at ${r.sampleRate} Hz`);
    }
    // The FLAC decoder divides by 2^(b-1) - 1; WAV decoding (and sox) divide by 2^(b-1). Rescale
    // so the same PCM gives the same floats whatever the container.
    const b = r.bitDepth;
    const k = o.isFlac && b && b >= 8 && b <= 32 ? (2 ** (b - 1) - 1) / 2 ** (b - 1) : 1;
    const need = n * outCh;
    let dest: Float32Array;
    let off: number;
    if (rs) {
      mixed = new Float32Array(need);
      dest = mixed;
      off = 0;
    } else [dest, off] = reserve(need);
    const src = r.channelData;
    // Corrupt lossy streams can decode to samples far beyond full scale (a mutated MP3 gave
    // ±1.1e5): the first one, in interleaved order, is what the caller reports.
    if (outCh === 1 && c > 1) {
      // The native mix's float32 operations in its order (native/audio/resample.cpp: a sum from 0
      // over the channels, times 1/channels), so the samples are identical.
      for (let f = 0; f < n; f++) {
        let sum = 0;
        for (let j = 0; j < c; j++) {
          const v = Math.fround(src[j][f] * k);
          if (!(Math.abs(v) <= o.bound)) {
            firstBad = (frames + f) * c + j;
            badValue = v;
            mixed = null;
            return false;
          }
          sum = Math.fround(sum + v);
        }
        dest[off + f] = sum * inv.v;
      }
    } else {
      for (let f = 0; f < n; f++) {
        for (let j = 0; j < c; j++) {
          const v = Math.fround(src[j][f] * k);
          if (!(Math.abs(v) <= o.bound)) {
            firstBad = (frames + f) * c + j;
            badValue = v;
            mixed = null;
            return false;
          }
          dest[off + f * c + j] = v;
        }
      }
    }
    frames += n;
    if (frames / rate > o.maxDuration) {
      truncated = true;
      mixed = null;
      return false;
    }
    return true;
  };
  /** Resamples the piece take() left, a slice per synchronous native call, a turn of the loop between slices. */
  const feed = async () => {
    const x = mixed;
    mixed = null;
    if (!x || !rs) return;
    for (let at = 0; at < x.length; at += o.resampleSlice) {
      append(rs.push(x.subarray(at, at + o.resampleSlice)));
      if (between && at + o.resampleSlice < x.length) await between();
    }
  };
  let going = true;
  for (let at = 0; going && at < bytes.length; at += o.chunkBytes) {
    going = take(await d.decode(bytes.subarray(at, at + o.chunkBytes)));
    await feed();
    if (going && at + o.chunkBytes < bytes.length && between) await between();
  }
  if (going && o.flush && d.flush) {
    going = take(await d.flush());
    await feed();
  }
  if (going && rs) append((rs as PieceResampler).finish());
  if (out) pieces.push(used === (out as Float32Array).length ? out : (out as Float32Array).subarray(0, used));
  let samples: Float32Array | null = null;
  if (ch) {
    if (pieces.length === 1 && pieces[0].length === pieces[0].buffer.byteLength / 4) samples = pieces[0];
    else {
      // One exact copy (a subarray of a larger buffer would keep the rest alive, and a
      // transfer from the worker would carry it).
      let total = 0;
      for (const p of pieces) total += p.length;
      samples = new Float32Array(total);
      let at = 0;
      for (const p of pieces) {
        samples.set(p, at);
        at += p.length;
      }
      pieces.length = 0;
    }
  }
  const channels = outCh;
  return {
    samples, channels, frames: samples ? samples.length / (channels || 1) : 0, sampleRate: outRate,
    firstError, firstBad, badValue, badChannels: ch, truncated, sourceRate: rate, sourceFrames: frames,
  };
}

/** Decodes on this thread, a turn of the event loop between pieces; any failure is thrown. */
async function decodeHere(container: Container, bytes: Uint8Array, o: StreamOptions, signal?: AbortSignal): Promise<Finished> {
  const { pkg, className } = DECODERS[container];
  const m = (await import(pkg)) as Record<string, new () => WasmDecoder>;
  const d = new m[className]();
  try {
    await d.ready;
    const between = async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      throwIfAborted(signal);
    };
    return await decodeStream(d, bytes, o, between, (from, to) => new native.Resampler(from, to));
  } finally {
    try {
      d.free();
    } catch {
      // a decoder whose instantiation failed has nothing to free
    }
  }
}

// The worker: decodeHere's steps (keep the two in step) with decodeStream's own source, as
// source for an eval worker, so it runs the same from src/ under the tests and from dist/ (only
// dynamic imports: an eval worker is CommonJS or ES module depending on the parent's
// --input-type). It answers with the samples (transferred, not copied) or with the error's
// message.
//
// With `convert` (loadAudio asked for mono and/or another rate) the worker also runs the native
// resample (the addon's own resampleAsync, so the samples are exactly loadAudio's; the mix to
// mono is done while decoding) and answers with the result: the decoded samples (115 MB for 10
// minutes of 48 kHz mono) then never reach the main thread, whose GC would free them there (tens
// of milliseconds of event-loop pause). Anything the main thread must report (samples out of
// range, an unsupported rate, a duration over maxDuration) or a failed resample leaves the
// samples as decoded: the main thread then raises the coded error as before.
const WORKER_SOURCE = `
const decodeStream = ${decodeStream.toString()};
async function convertHere(out, c) {
  const ch = out.channels, from = out.sampleRate;
  const mix = c.mono && ch > 1, to = c.sampleRate ?? from;
  if (!out.samples || out.firstBad >= 0 || out.truncated || (!mix && to === from)) return out;
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
  const { entry, className, bytes, stream, probe, convert } = workerData;
  try {
    // The memory probe (src/wasm-guard.ts): a Wasm OOM here is an error message, not a crash.
    await WebAssembly.instantiate(probe);
    const m = await import(entry);
    const d = new m[className]();
    // Resampling while decoding (stream.resampleTo) uses the addon's streaming resampler.
    let makeResampler;
    if (stream.resampleTo) {
      const { createRequire } = await import('node:module');
      const addon = createRequire(convert.addon)(convert.addon);
      makeResampler = (from, to) => new addon.Resampler(from, to);
    }
    let out;
    try {
      await d.ready;
      out = await decodeStream(d, bytes, stream, undefined, makeResampler);
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
function startWorker(container: Container, bytes: Uint8Array, owned: boolean, stream: StreamOptions, convert?: WorkerConvert): Worker | { failed: string } {
  const { pkg, className } = DECODERS[container];
  try {
    // The bytes are transferred, not cloned into workerData: cloning 25 MB (10 minutes of
    // stereo FLAC) held the event loop for 30–40 ms, a copy with slice() takes a few. Bytes we
    // read ourselves are handed over as they are; the caller's are copied first, never detached.
    const whole = (b: Uint8Array) => b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer;
    const data = owned && whole(bytes) ? bytes : bytes.slice();
    const entry = pathToFileURL(requireHere.resolve(pkg)).href;
    return startEvalWorker(WORKER_SOURCE, {
      workerData: {
        entry, className, bytes: data, stream, probe: PROBE_MODULE,
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
  const stream: StreamOptions = {
    isFlac: container === 'flac',
    flush: DECODERS[container].flush,
    bound: AUDIO_LIMITS.maxAbsSample,
    mix: Boolean(convert && convert.mono),
    maxDuration: convert ? convert.maxDuration : Infinity,
    declaredFrames: declaredLength(container, bytes)?.frames ?? 0,
    chunkBytes: DECODE_CHUNK_BYTES,
    resampleTo: convert?.sampleRate ?? 0,
    minRate: AUDIO_LIMITS.minSampleRate,
    maxRate: AUDIO_LIMITS.maxSampleRate,
    resampleSlice: RESAMPLE_SLICE_SAMPLES,
  };
  const worker = wanted ? startWorker(container, bytes, owned, stream, convert) : null;
  // This thread decodes across turns of the event loop: the caller's bytes (short ones, not
  // copied by loadAudio) are copied now, in the call, so nothing the caller does meanwhile
  // (detach, resize, rewrite) reaches the decoder.
  const here = worker instanceof Worker || owned ? bytes : bytes.slice();
  if (worker && !(worker instanceof Worker) && inWorker === true) {
    throw new EmotionThinkerError('ERR_BACKEND_UNAVAILABLE', `decodeInWorker: cannot start a worker thread here (${worker.failed}); pass decodeInWorker: false or 'auto'`, { input });
  }
  let r: Finished;
  try {
    // Abort: the worker is terminated (the WASM decode stops with it); a decode on this thread
    // stops at its next piece.
    r =
      worker instanceof Worker
        ? await abortable(decodeInWorker(worker), signal, () => void worker.terminate())
        : await abortable(guardWasm(`cannot decode ${container}`, input, () => decodeHere(container, here, stream, signal)), signal);
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
  if (!sampleRateSupported(r.sourceRate)) {
    throw new EmotionThinkerError('ERR_AUDIO_UNSUPPORTED', `the ${container} stream declares a sample rate of ${r.sourceRate} Hz; supported rates are ${rateRange()}`, { input });
  }
  if (r.firstBad >= 0) {
    throw sampleRangeError(r.samples, r.firstBad, r.badChannels, 'ERR_AUDIO_FORMAT', `${container} decoded to out-of-range audio: `, input, r.badValue);
  }
  if (r.truncated) {
    const seconds = r.sourceFrames / r.sourceRate;
    throw new EmotionThinkerError(
      'ERR_AUDIO_UNSUPPORTED',
      `the audio is more than ${seconds.toFixed(1)} s long (decoding stopped there), over options.maxDuration ${stream.maxDuration} s (default ${DEFAULT_MAX_DURATION_S} s); pass a larger maxDuration to accept it`,
      { input },
    );
  }
  return {
    sampleRate: r.sampleRate,
    channels: r.channels,
    samples: r.samples,
    encoding: container === 'ogg' ? 'vorbis' : container,
    frames: r.frames,
    duration: r.frames / r.sampleRate,
  };
}
