// Lossy coding (issue #16: "low-bitrate lossy coding"), for the training augmentation and the
// robustness benchmark: the reference LAME MP3 and libvorbis encoders compiled to WebAssembly
// (dependency wasm-media-encoders, MIT; chosen because it is the actual encoders rather than a
// simulation of their artefacts, and needs no system codec), decoded by the package's own
// loadAudio, as a user's compressed upload is. Measured: MP3 at 16 kbps (LAME low-passes near
// 5.5 kHz there) moves the log-mel shape of the top bands and the MFCC means by 2–6 sd and changes
// the bundled model's emotion on a third of its clips (docs/robust-emotion.md).
import { createMp3Encoder, createOggEncoder } from 'wasm-media-encoders';
import { loadAudio } from '../audio.js';

/** MP3 at a constant bitrate (kbit/s) or Ogg Vorbis at a VBR quality (−1 worst … 10). */
export type LossyCodec = { format: 'mp3'; kbps: 8 | 16 | 24 | 32 | 48 | 64 } | { format: 'vorbis'; quality: number };

type Encoder = Awaited<ReturnType<typeof createMp3Encoder>> | Awaited<ReturnType<typeof createOggEncoder>>;
let mp3: Promise<Awaited<ReturnType<typeof createMp3Encoder>>> | null = null;
let ogg: Promise<Awaited<ReturnType<typeof createOggEncoder>>> | null = null;

/** The encoded file (MP3 frames or an Ogg stream) of 16 kHz mono float samples in [−1, 1]. */
export async function encodeLossy(samples16k: Float32Array, codec: LossyCodec): Promise<Uint8Array> {
  let enc: Encoder;
  if (codec.format === 'mp3') {
    const e = await (mp3 ??= createMp3Encoder());
    e.configure({ sampleRate: 16000, channels: 1, bitrate: codec.kbps });
    enc = e;
  } else {
    const e = await (ogg ??= createOggEncoder());
    e.configure({ sampleRate: 16000, channels: 1, vbrQuality: codec.quality });
    enc = e;
  }
  // From configure to finalize nothing awaits, so calls never interleave on the shared encoder.
  // It owns the arrays it returns: each is copied before the next call.
  const head = Uint8Array.from(enc.encode([samples16k]));
  const tail = Uint8Array.from(enc.finalize());
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/** Encodes and decodes again (loadAudio), at 16 kHz mono: the codec's delay and artefacts included. */
export async function lossyRoundTrip(samples16k: Float32Array, codec: LossyCodec): Promise<Float32Array> {
  return (await loadAudio(await encodeLossy(samples16k, codec), { sampleRate: 16000, mono: true })).samples;
}
