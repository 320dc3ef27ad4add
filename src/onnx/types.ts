// Tensors as they cross the OnnxModel API: plain typed arrays with dims, no onnxruntime objects,
// so that they can be posted to and from the worker threads without copying more than once.

export type TensorType =
  | 'float32'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool';

export type TensorArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export interface TensorData {
  /** Row-major elements. `bool` tensors use a Uint8Array of 0/1. */
  data: TensorArray;
  /** Dimensions; [] for a scalar. */
  dims: readonly number[];
  /** Element type; inferred from the array class when absent (Uint8Array → uint8). */
  type?: TensorType;
}

export interface Tensor extends TensorData {
  type: TensorType;
  dims: number[];
}

/** A model input or output as the model declares it. */
export interface ValueInfo {
  name: string;
  /** Element type, e.g. "float32"; "unknown" for non-tensor values. */
  type: TensorType | 'unknown';
  /** Fixed sizes as numbers, symbolic sizes as their names ("batch"), unknown as null. */
  shape: (number | string | null)[] | null;
}

export const ARRAY_FOR_TYPE: Record<TensorType, new (n: number) => TensorArray> = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

export function typeOfArray(a: unknown): TensorType | undefined {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof BigUint64Array) return 'uint64';
  return undefined;
}

export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function formatShape(shape: ValueInfo['shape']): string {
  if (shape === null) return '[?]';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

export function describeValue(v: ValueInfo): string {
  return `${v.name} ${v.type} ${formatShape(v.shape)}`;
}
