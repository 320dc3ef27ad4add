// Test-only WAV writer: builds files byte by byte so tests control every header field.
export interface WavSpec {
  sampleRate?: number;
  channels?: number;
  /** 'u8' | 's16' | 's24' | 's32' | 'f32' | 'f64' */
  format?: 'u8' | 's16' | 's24' | 's32' | 'f32' | 'f64';
  extensible?: boolean;
  /** Extra chunks placed before 'fmt ' (id → bytes). */
  before?: [string, Uint8Array][];
  /** Extra chunks placed between 'fmt ' and 'data'. */
  between?: [string, Uint8Array][];
  /** Override the data chunk size field (e.g. 0 or 0xffffffff for streaming writers). */
  dataSizeField?: number;
}

const BITS = { u8: 8, s16: 16, s24: 24, s32: 32, f32: 32, f64: 64 } as const;

function chunk(id: string, body: Uint8Array, sizeField = body.length): Uint8Array {
  const pad = body.length & 1;
  const out = new Uint8Array(8 + body.length + pad);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = id.charCodeAt(i);
  dv.setUint32(4, sizeField, true);
  out.set(body, 8);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Quantises interleaved float samples in [-1, 1] to the given format. */
export function encodeSamples(samples: ArrayLike<number>, format: NonNullable<WavSpec['format']>): Uint8Array {
  const bytes = BITS[format] / 8;
  const out = new Uint8Array(samples.length * bytes);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) {
    const x = Math.max(-1, Math.min(1, samples[i]));
    const o = i * bytes;
    switch (format) {
      case 'u8': out[o] = Math.max(0, Math.min(255, Math.round(x * 128) + 128)); break;
      case 's16': dv.setInt16(o, Math.max(-32768, Math.min(32767, Math.round(x * 32768))), true); break;
      case 's24': {
        const v = Math.max(-8388608, Math.min(8388607, Math.round(x * 8388608)));
        out[o] = v & 255; out[o + 1] = (v >> 8) & 255; out[o + 2] = (v >> 16) & 255;
        break;
      }
      case 's32': dv.setInt32(o, Math.max(-2147483648, Math.min(2147483647, Math.round(x * 2147483648))), true); break;
      case 'f32': dv.setFloat32(o, samples[i], true); break;
      case 'f64': dv.setFloat64(o, samples[i], true); break;
    }
  }
  return out;
}

export function fmtBody(spec: { tag: number; channels: number; sampleRate: number; bits: number; blockAlign?: number; extensibleTag?: number }): Uint8Array {
  const ext = spec.extensibleTag !== undefined;
  const body = new Uint8Array(ext ? 40 : 16);
  const dv = new DataView(body.buffer);
  const blockAlign = spec.blockAlign ?? spec.channels * Math.ceil(spec.bits / 8);
  dv.setUint16(0, ext ? 0xfffe : spec.tag, true);
  dv.setUint16(2, spec.channels, true);
  dv.setUint32(4, spec.sampleRate, true);
  dv.setUint32(8, spec.sampleRate * blockAlign, true);
  dv.setUint16(12, blockAlign, true);
  dv.setUint16(14, spec.bits, true);
  if (ext) {
    dv.setUint16(16, 22, true);
    dv.setUint16(18, spec.bits, true);
    dv.setUint32(20, 0, true);
    // KSDATAFORMAT_SUBTYPE_xxx: {tag-0000-0010-8000-00aa00389b71}
    const guid = [spec.extensibleTag!, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71];
    dv.setUint16(24, guid[0], true);
    body.set(guid.slice(2), 26);
  }
  return body;
}

export function makeWav(samples: ArrayLike<number>, spec: WavSpec = {}): Uint8Array {
  const { sampleRate = 16000, channels = 1, format = 's16', extensible = false } = spec;
  const tag = format === 'f32' || format === 'f64' ? 3 : 1;
  const fmt = fmtBody({ tag, channels, sampleRate, bits: BITS[format], extensibleTag: extensible ? tag : undefined });
  const data = encodeSamples(samples, format);
  return riff([
    ...(spec.before ?? []).map(([id, b]) => chunk(id, b)),
    chunk('fmt ', fmt),
    ...(spec.between ?? []).map(([id, b]) => chunk(id, b)),
    chunk('data', data, spec.dataSizeField ?? data.length),
  ]);
}

export function riff(chunks: Uint8Array[], magic = 'RIFF'): Uint8Array {
  const body = concat(chunks);
  const out = new Uint8Array(12 + body.length);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = magic.charCodeAt(i);
  dv.setUint32(4, 4 + body.length, true);
  for (let i = 0; i < 4; i++) out[8 + i] = 'WAVE'.charCodeAt(i);
  out.set(body, 12);
  return out;
}

export { chunk };

export { rng } from './rng.js';

export function sine(freq: number, rate: number, frames: number, amp = 0.5, phase = 0): Float32Array {
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) out[i] = amp * Math.sin((2 * Math.PI * freq * i) / rate + phase);
  return out;
}
