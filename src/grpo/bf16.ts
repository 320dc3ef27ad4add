// bf16 bit patterns to and from Float32, for building bf16 logits and reading bf16 gradients.
import { invalidArg } from '../errors.js';

/**
 * Most values toBf16 converts: 2^31 (an 8 GiB float32 input, past any real logits tensor: 4 × 1024 ×
 * 151,936 is 6.2e8). A claimed length is checked before any allocation ({length: 2**32} took 19 GB).
 */
export const MAX_BF16_VALUES = 2 ** 31;

/** Float32 → bf16 bit patterns (round to nearest even), for building bf16 logits. */
export function toBf16(values: ArrayLike<number>): Uint16Array {
  if (!Array.isArray(values) && !(ArrayBuffer.isView(values) && !(values instanceof DataView))) {
    throw invalidArg(`toBf16: values must be an array or a typed array of numbers; got ${values === null ? 'null' : typeof values}`);
  }
  const len = (values as ArrayLike<number>).length;
  if (len > MAX_BF16_VALUES) throw invalidArg(`toBf16: values must hold at most ${MAX_BF16_VALUES} numbers; got ${len}`);
  const f = values instanceof Float32Array ? values : Float32Array.from(values);
  const u = new Uint32Array(f.buffer, f.byteOffset, f.length);
  const out = new Uint16Array(f.length);
  for (let i = 0; i < f.length; i++) {
    const x = u[i];
    if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) out[i] = (x >>> 16) | 0x40;  // NaN stays NaN
    else out[i] = ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return out;
}

/** bf16 bit patterns → Float32Array. */
export function fromBf16(bits: Uint16Array): Float32Array {
  const u = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) u[i] = bits[i] << 16;
  return new Float32Array(u.buffer);
}
