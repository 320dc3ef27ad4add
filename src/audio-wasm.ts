// FLAC, MP3 and Ogg Vorbis through the WASM decoders from npm (@wasm-audio-decoders/flac,
// mpg123-decoder, @wasm-audio-decoders/ogg-vorbis), on the main thread or in their worker-thread
// variants, which the same packages ship: the decoders are synchronous WASM, so a long file
// decoded on the main thread would hold the event loop for its whole decode.
import type { DecodedAudio } from './audio.js';
import { EmotionThinkerError } from './errors.js';

/**
 * Compressed files larger than this decode in a worker under decodeInWorker 'auto'. Measured
 * here (Node 20, 2 cores, 10-minute 48 kHz stereo): the event loop blocked 1.3 s on the main
 * thread, 0.15–0.25 s with the worker; a worker costs 20–50 ms to start (3.5 s clips: 22 ms
 * to decode FLAC on the main thread, 42 ms through a worker), more than a short clip takes to
 * decode. 1 MiB is about 10 s of 48 kHz stereo speech in FLAC, or a minute of 128 kbit/s MP3.
 */
export const WORKER_DECODE_MIN_BYTES = 1 << 20;

interface WasmDecoded {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  bitDepth?: number;
  errors?: { message: string }[];
}

/** What the decoders of the three packages have in common (main-thread and worker classes). */
interface WasmDecoder {
  ready: Promise<void>;
  free(): void | Promise<void>;
}

function interleave(channelData: Float32Array[], frames: number): Float32Array {
  const ch = channelData.length;
  if (ch === 1) return channelData[0].subarray(0, frames);
  const out = new Float32Array(frames * ch);
  for (let c = 0; c < ch; c++) {
    const src = channelData[c];
    for (let f = 0; f < frames; f++) out[f * ch + c] = src[f];
  }
  return out;
}

async function open(container: 'flac' | 'mp3' | 'ogg', inWorker: boolean): Promise<{ d: WasmDecoder; decode: (b: Uint8Array) => Promise<WasmDecoded> }> {
  if (container === 'flac') {
    const m = await import('@wasm-audio-decoders/flac');
    const d = inWorker ? new m.FLACDecoderWebWorker() : new m.FLACDecoder();
    return { d, decode: async (b) => (await d.decodeFile(b)) as WasmDecoded };
  }
  if (container === 'mp3') {
    const m = await import('mpg123-decoder');
    const d = inWorker ? new m.MPEGDecoderWebWorker() : new m.MPEGDecoder();
    return { d, decode: async (b) => (await d.decode(b)) as WasmDecoded };
  }
  const m = await import('@wasm-audio-decoders/ogg-vorbis');
  const d = inWorker ? new m.OggVorbisDecoderWebWorker() : new m.OggVorbisDecoder();
  return { d, decode: async (b) => (await d.decodeFile(b)) as WasmDecoded };
}

/** Decodes a compressed file; `input` names it in errors. */
export async function decodeCompressed(container: 'flac' | 'mp3' | 'ogg', bytes: Uint8Array, input: string, inWorker: boolean): Promise<DecodedAudio> {
  let decoded: WasmDecoded;
  let decoder: WasmDecoder | null = null;
  try {
    const opened = await open(container, inWorker);
    decoder = opened.d;
    await decoder.ready;
    decoded = await opened.decode(bytes);
  } catch (err) {
    throw new EmotionThinkerError('ERR_AUDIO_FORMAT', `cannot decode ${container}: ${(err as Error).message}`, { input, cause: err });
  } finally {
    // Always released: a worker left running would keep the process alive.
    try {
      await decoder?.free();
    } catch {
      // Freeing a decoder that failed cannot fail the call.
    }
  }
  const frames = decoded.samplesDecoded;
  if (!frames || !decoded.channelData.length || !decoded.sampleRate) {
    const why = decoded.errors?.length ? `: ${decoded.errors[0].message}` : '';
    const hint = container === 'ogg' ? ' (Ogg Vorbis is supported; Ogg Opus and FLAC-in-Ogg are not)' : '';
    throw new EmotionThinkerError('ERR_AUDIO_FORMAT', `no audio could be decoded from this ${container} stream${why}${hint}`, { input });
  }
  const bitDepth = decoded.bitDepth;
  if (container === 'flac' && bitDepth && bitDepth >= 8 && bitDepth <= 32) {
    // The FLAC decoder divides by 2^(b-1) - 1; WAV decoding (and sox) divide by 2^(b-1).
    // Rescale so the same PCM gives the same floats whatever the container.
    const full = 2 ** (bitDepth - 1);
    const k = (full - 1) / full;
    for (const ch of decoded.channelData) for (let i = 0; i < frames; i++) ch[i] *= k;
  }
  return {
    sampleRate: decoded.sampleRate,
    channels: decoded.channelData.length,
    samples: interleave(decoded.channelData, frames),
    encoding: container === 'ogg' ? 'vorbis' : container,
    frames,
    duration: frames / decoded.sampleRate,
  };
}
