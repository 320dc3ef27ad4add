// The part of the ONNX protobuf schema (onnx/onnx.proto, IR version 8) that export and
// metadata reading need, loaded into protobufjs. Field numbers follow the official schema.
import protobuf from 'protobufjs';
import { EmotionThinkerError } from '../errors.js';

const ONNX_PROTO = `
syntax = "proto3";
package onnx;

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5; SPARSE_TENSOR = 11;
    FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10; SPARSE_TENSORS = 12;
  }
  string name = 1;
  string ref_attr_name = 21;
  string doc_string = 13;
  AttributeType type = 20;
  float f = 2;
  int64 i = 3;
  bytes s = 4;
  TensorProto t = 5;
  GraphProto g = 6;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
}

message ValueInfoProto {
  string name = 1;
  TypeProto type = 2;
  string doc_string = 3;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  string name = 3;
  string op_type = 4;
  string domain = 7;
  repeated AttributeProto attribute = 5;
  string doc_string = 6;
}

message ModelProto {
  int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  string producer_name = 2;
  string producer_version = 3;
  string domain = 4;
  int64 model_version = 5;
  string doc_string = 6;
  GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}

message StringStringEntryProto {
  string key = 1;
  string value = 2;
}

message GraphProto {
  repeated NodeProto node = 1;
  string name = 2;
  repeated TensorProto initializer = 5;
  string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}

message TensorProto {
  repeated int64 dims = 1;
  int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  string name = 8;
  string doc_string = 12;
  bytes raw_data = 9;
  repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    string denotation = 3;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    int32 elem_type = 1;
    TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
  }
  string denotation = 6;
}

message OperatorSetIdProto {
  string domain = 1;
  int64 version = 2;
}
`;

const root = protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
export const ModelProto = root.lookupType('onnx.ModelProto');
export const StringStringEntryProto = root.lookupType('onnx.StringStringEntryProto');

/** TensorProto.DataType values. */
export const DATA_TYPE = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  bool: 9,
  float64: 11,
  uint32: 12,
  uint64: 13,
} as const;

/** AttributeProto.AttributeType values. */
export const ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/** Encodes a plain ModelProto object (snake_case fields) to bytes, after checking it against the schema. */
export function encodeModel(model: Record<string, unknown>): Uint8Array {
  const err = ModelProto.verify(model);
  if (err) throw new Error(`internal: invalid ModelProto: ${err}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/** Decodes model bytes into a plain object (int64 as numbers, bytes as Uint8Array). */
export function decodeModel(bytes: Uint8Array, input = 'bytes'): Record<string, unknown> {
  checkModelLayout(bytes, input);
  try {
    const m = ModelProto.decode(bytes);
    return ModelProto.toObject(m, { longs: Number, defaults: false, arrays: true }) as Record<string, unknown>;
  } catch (err) {
    throw notOnnx(input, `protobuf decoding failed (${(err as Error).message})`, err);
  }
}

/**
 * Reads ModelProto.metadata_props without decoding the graph (weights can be large): walks
 * the top-level fields and decodes only field 14. Bytes that are not an ONNX model are
 * ERR_MODEL_FORMAT naming `input` (a path, or "bytes"); the result has no prototype, so a
 * metadata key such as "__proto__" is an ordinary entry.
 */
export function readMetadataProps(bytes: Uint8Array, input = 'bytes'): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const f of checkModelLayout(bytes, input)) {
    if (f.field !== METADATA_PROPS) continue;
    let entry: { key?: string; value?: string };
    try {
      entry = StringStringEntryProto.decode(bytes.subarray(f.start, f.end)) as unknown as { key?: string; value?: string };
    } catch (err) {
      throw notOnnx(input, `metadata_props entry at byte ${f.start} cannot be decoded (${(err as Error).message})`, err);
    }
    if (entry.key) out[entry.key] = entry.value ?? '';
  }
  return out;
}

// Byte-layout check before protobufjs sees the bytes: protobufjs reports garbage as a plain
// RangeError ("index out of range") or, worse, decodes it into an empty model. Every top-level
// field must have a valid tag, a wire type protobuf still uses, and a length inside the buffer;
// the ModelProto fields this package knows must have their schema's wire type; an ONNX model
// always declares ir_version and holds a graph.

const VARINT = 0, I64 = 1, LEN = 2, I32 = 5;
const METADATA_PROPS = 14;
/** Wire type of each ModelProto field (onnx.proto): 1 and 5 are varints, the rest length-delimited. */
const MODEL_FIELD_WIRE: Record<number, number> = { 1: VARINT, 2: LEN, 3: LEN, 4: LEN, 5: VARINT, 6: LEN, 7: LEN, 8: LEN, 14: LEN, 20: LEN, 25: LEN };
const FIELD_NAMES: Record<number, string> = { 1: 'ir_version', 7: 'graph', 14: 'metadata_props' };

interface FieldSpan {
  field: number;
  wire: number;
  /** Payload start and end (for length-delimited fields: the bytes after the length). */
  start: number;
  end: number;
}

function notOnnx(input: string, why: string, cause?: unknown): EmotionThinkerError {
  return new EmotionThinkerError('ERR_MODEL_FORMAT', `not an ONNX model: ${why}`, { input, cause });
}

/** Reads a base-128 varint at `pos`; returns [value, next position], or null if malformed. */
function varint(b: Uint8Array, pos: number): [number, number] | null {
  let value = 0, scale = 1;
  for (let i = 0; i < 10 && pos < b.length; i++) {
    const byte = b[pos++];
    value += (byte & 0x7f) * scale;
    if (!(byte & 0x80)) return [value, pos];
    scale *= 128;
  }
  return null;
}

function checkModelLayout(bytes: Uint8Array, input: string): FieldSpan[] {
  if (!(bytes instanceof Uint8Array)) {
    throw new EmotionThinkerError('ERR_INVALID_ARG', `expected the model's bytes as a Uint8Array or Buffer; got ${bytes === null ? 'null' : typeof bytes}`, { input });
  }
  if (bytes.length === 0) throw notOnnx(input, 'the data is empty');
  const spans: FieldSpan[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const at = pos;
    const tag = varint(bytes, pos);
    if (!tag) throw notOnnx(input, `truncated field tag at byte ${at}`);
    pos = tag[1];
    const field = Math.floor(tag[0] / 8), wire = tag[0] % 8;
    if (field === 0 || field > 0x1fffffff) throw notOnnx(input, `invalid field number ${field} at byte ${at}`);
    const expected = MODEL_FIELD_WIRE[field];
    if (expected !== undefined && expected !== wire) {
      throw notOnnx(input, `field ${FIELD_NAMES[field] ?? field} at byte ${at} has wire type ${wire}; ModelProto declares ${expected}`);
    }
    let start = pos, end: number;
    if (wire === VARINT) {
      const v = varint(bytes, pos);
      if (!v) throw notOnnx(input, `truncated varint in field ${field} at byte ${at}`);
      end = pos = v[1];
    } else if (wire === I64 || wire === I32) {
      end = pos = pos + (wire === I64 ? 8 : 4);
    } else if (wire === LEN) {
      const n = varint(bytes, pos);
      if (!n) throw notOnnx(input, `truncated length in field ${field} at byte ${at}`);
      start = n[1];
      end = pos = start + n[0];
    } else {
      throw notOnnx(input, `wire type ${wire} (field ${field}) at byte ${at} is not used by ONNX`);
    }
    if (end > bytes.length) throw notOnnx(input, `field ${FIELD_NAMES[field] ?? field} at byte ${at} runs past the end of the data (${end} > ${bytes.length} bytes; truncated?)`);
    spans.push({ field, wire, start, end });
  }
  for (const f of [1, 7]) {
    if (!spans.some((s) => s.field === f)) throw notOnnx(input, `no ${FIELD_NAMES[f]} (ModelProto field ${f})`);
  }
  return spans;
}
