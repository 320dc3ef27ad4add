// GPU memory: DeviceBuffer owns one device allocation (upload, download, dispose), and
// withDeviceBuffers frees every buffer a block made. The CUDA calls on device buffers are in
// cuda.ts, the host-array GRPO calls' CUDA backend in grpo/cuda-backend.ts; both build on this.
import { native, type RawDeviceHandle } from './native.js';
import type { DeviceHandle } from './cuda-types.js';
import { callNative, invalidArg } from './errors.js';

export type DeviceDType = 'float32' | 'int32' | 'uint32' | 'bfloat16';

const BYTES: Record<DeviceDType, number> = { float32: 4, int32: 4, uint32: 4, bfloat16: 2 };
const disposeSymbol: symbol = (Symbol as unknown as { dispose?: symbol }).dispose ?? Symbol.for('Symbol.dispose');

type HostArray = Float32Array | Int32Array | Uint32Array | Uint16Array;

function dtypeOf(a: HostArray): DeviceDType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof Uint16Array) return 'bfloat16';
  throw invalidArg('DeviceBuffer.from expects a Float32Array, Int32Array, Uint32Array or Uint16Array (bf16 bits)');
}

/** One allocation in GPU memory. Free it with dispose() (or `using`); the GC frees it otherwise. */
export class DeviceBuffer {
  #handle: RawDeviceHandle | null;
  readonly dtype: DeviceDType;
  readonly length: number;

  private constructor(handle: RawDeviceHandle, dtype: DeviceDType, length: number) {
    this.#handle = handle;
    this.dtype = dtype;
    this.length = length;
  }

  get byteLength(): number {
    return this.length * BYTES[this.dtype];
  }

  get disposed(): boolean {
    return this.#handle === null;
  }

  /** Allocates `length` elements of `dtype` (contents undefined). */
  static alloc(length: number, dtype: DeviceDType = 'float32'): DeviceBuffer {
    if (!Number.isInteger(length) || length < 0) throw invalidArg(`length must be a non-negative integer; got ${length}`);
    if (!(dtype in BYTES)) throw invalidArg(`dtype must be one of ${Object.keys(BYTES).join(', ')}; got ${String(dtype)}`);
    const handle = callNative(() => native.cuda.alloc(length * BYTES[dtype]));
    return new DeviceBuffer(handle, dtype, length);
  }

  /** Allocates and uploads a typed array (Uint16Array is taken as bf16 bits). */
  static from(data: HostArray): DeviceBuffer {
    const buf = DeviceBuffer.alloc(data.length, dtypeOf(data));
    try {
      buf.upload(data);
    } catch (err) {
      buf.dispose();
      throw err;
    }
    return buf;
  }

  /** The allocation's handle for the addon; throws if disposed. */
  handle(name = 'buffer'): DeviceHandle {
    if (!this.#handle) throw invalidArg(`${name} is a disposed DeviceBuffer`);
    return this.#handle;
  }

  upload(data: HostArray, offset = 0): void {
    if (dtypeOf(data) !== this.dtype) throw invalidArg(`cannot upload ${dtypeOf(data)} data into a ${this.dtype} DeviceBuffer`);
    callNative(() => native.cuda.upload(this.handle(), data, offset * BYTES[this.dtype]));
  }

  /** Copies the buffer back into a new typed array of its dtype. */
  download(): Float32Array | Int32Array | Uint32Array | Uint16Array {
    const target =
      this.dtype === 'float32' ? new Float32Array(this.length)
      : this.dtype === 'int32' ? new Int32Array(this.length)
      : this.dtype === 'uint32' ? new Uint32Array(this.length)
      : new Uint16Array(this.length);
    return callNative(() => native.cuda.download(this.handle(), target));
  }

  dispose(): void {
    if (this.#handle) native.cuda.free(this.#handle);
    this.#handle = null;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `DeviceBuffer<${this.dtype}>(${this.length}${this.disposed ? ', disposed' : ''})`;
  }
}
(DeviceBuffer.prototype as unknown as Record<symbol, () => void>)[disposeSymbol] = function (this: DeviceBuffer) {
  this.dispose();
};

/** Runs `body` with buffers that are all disposed afterwards, whatever happens. */
export function withDeviceBuffers<T>(body: (track: (b: DeviceBuffer) => DeviceBuffer) => T): T {
  const owned: DeviceBuffer[] = [];
  try {
    return body((b) => (owned.push(b), b));
  } finally {
    for (const b of owned) b.dispose();
  }
}
