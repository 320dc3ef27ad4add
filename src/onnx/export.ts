// ONNX export from TypeScript: a small graph builder over the ONNX protobuf schema
// (protobufjs), with a few composite helpers (dense layers, feature standardisation, column
// gathers, argmax, one-hot, picking one entry per row), and on top of it the MLP model family:
// feature standardisation, an MLP trunk, and linear heads with softmax (or a bounded sigmoid
// range for score heads). `evaluateMlp` is the float32 TypeScript reference the MLP export is
// tested against; the reasoning policy's own export (src/train/policy-onnx.ts) uses the helpers.
import { invalidArg } from '../errors.js';
import { ATTRIBUTE_TYPE, DATA_TYPE, encodeModel } from './proto.js';
import { typeOfArray, sizeOf, type TensorArray, type TensorType } from './types.js';

export type Attribute =
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'ints'; value: number[] }
  | { type: 'floats'; value: number[] }
  | { type: 'string'; value: string };

/** Helpers to write typed node attributes: `attr.int(1)`, `attr.floats([0.5])`. */
export const attr = {
  int: (value: number): Attribute => ({ type: 'int', value }),
  float: (value: number): Attribute => ({ type: 'float', value }),
  ints: (value: number[]): Attribute => ({ type: 'ints', value }),
  floats: (value: number[]): Attribute => ({ type: 'floats', value }),
  string: (value: string): Attribute => ({ type: 'string', value }),
};

type ExportType = Exclude<TensorType, 'float16'>;
type Dim = number | string;

export interface BuildOptions {
  /** Default-domain opset (default 17). */
  opset?: number;
  /** ONNX IR version (default 8). */
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  /** ModelProto.metadata_props. */
  metadata?: Record<string, string>;
}

function valueInfo(name: string, type: ExportType, shape: readonly Dim[]) {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: DATA_TYPE[type],
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}

function tensorProto(name: string, type: ExportType, dims: readonly number[], data: TensorArray) {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { name, data_type: DATA_TYPE[type], dims: [...dims], raw_data: Uint8Array.from(bytes) };
}

/**
 * Builds an ONNX graph node by node. Names are the graph's value names; `fresh(prefix)` makes
 * unique intermediate names. `build()` returns the serialised ModelProto.
 */
export class OnnxGraphBuilder {
  readonly name: string;
  #inputs: ReturnType<typeof valueInfo>[] = [];
  #outputs: ReturnType<typeof valueInfo>[] = [];
  #initializers: ReturnType<typeof tensorProto>[] = [];
  #nodes: Record<string, unknown>[] = [];
  #names = new Set<string>();
  #counter = 0;

  constructor(name = 'graph') {
    this.name = name;
  }

  #claim(name: string): string {
    if (typeof name !== 'string' || name.length === 0) throw invalidArg('value names must be non-empty strings');
    if (this.#names.has(name)) throw invalidArg(`value name "${name}" is already used in graph "${this.name}"`);
    this.#names.add(name);
    return name;
  }

  /** A name not used yet, e.g. fresh('hidden') → "hidden_3". */
  fresh(prefix: string): string {
    let n: string;
    do n = `${prefix}_${this.#counter++}`;
    while (this.#names.has(n));
    return n;
  }

  input(name: string, type: ExportType, shape: readonly Dim[]): string {
    this.#inputs.push(valueInfo(this.#claim(name), type, shape));
    return name;
  }

  /** Declares a graph output; `name` must be produced by a node. */
  output(name: string, type: ExportType, shape: readonly Dim[]): string {
    this.#outputs.push(valueInfo(name, type, shape));
    return name;
  }

  /** A constant tensor (initializer). The element type follows the array unless given. */
  constant(name: string, data: TensorArray, dims: readonly number[], type?: ExportType): string {
    const t = type ?? typeOfArray(data);
    if (!t) throw invalidArg(`constant "${name}" must be a typed array`);
    if (sizeOf(dims) !== data.length) throw invalidArg(`constant "${name}" has dims [${dims.join(', ')}] but ${data.length} values`);
    this.#initializers.push(tensorProto(this.#claim(name), t, dims, data));
    return name;
  }

  /** Adds a node; returns its output names. Outputs default to one fresh name. */
  node(opType: string, inputs: string[], outputs?: string[] | number, attributes: Record<string, Attribute> = {}): string[] {
    const outs = Array.isArray(outputs)
      ? outputs.map((o) => this.#claim(o))
      : Array.from({ length: outputs ?? 1 }, () => this.#claim(this.fresh(opType.toLowerCase())));
    const attribute = Object.entries(attributes).map(([name, a]) => {
      switch (a.type) {
        case 'int':
          return { name, type: ATTRIBUTE_TYPE.INT, i: a.value };
        case 'float':
          return { name, type: ATTRIBUTE_TYPE.FLOAT, f: a.value };
        case 'ints':
          return { name, type: ATTRIBUTE_TYPE.INTS, ints: a.value };
        case 'floats':
          return { name, type: ATTRIBUTE_TYPE.FLOATS, floats: a.value };
        case 'string':
          return { name, type: ATTRIBUTE_TYPE.STRING, s: new TextEncoder().encode(a.value) };
      }
    });
    this.#nodes.push({ op_type: opType, input: inputs, output: outs, name: this.fresh(`${opType}_node`), attribute });
    return outs;
  }

  // ---- composite helpers: each adds a few nodes and returns the name of the result ----------
  // They all work on row-major [batch, n] values, the layout every exporter here uses.

  /** Concatenates along `axis` (default 1, the feature axis); one name is returned as is. */
  concat(names: string[], axis = 1): string {
    if (names.length === 0) throw invalidArg('concat needs at least one input');
    return names.length === 1 ? names[0] : this.node('Concat', names, 1, { axis: attr.int(axis) })[0];
  }

  /** x · W + b, then the activation. `layer.weight` is row-major [inSize, outSize]. */
  linear(x: string, layer: LinearLayer, prefix: string): string {
    const w = this.constant(this.fresh(`${prefix}_weight`), layer.weight, [layer.inSize, layer.outSize]);
    let [h] = this.node('MatMul', [x, w]);
    if (layer.bias) [h] = this.node('Add', [h, this.constant(this.fresh(`${prefix}_bias`), layer.bias, [layer.outSize])]);
    const act = layer.activation ?? 'none';
    if (act !== 'none') [h] = this.node(ACTIVATION_OP[act], [h]);
    return h;
  }

  /**
   * Columns `indices` of x ([batch, n] → [batch, indices.length]), in that order: a Gather on
   * axis 1 with a constant index list, so a head can read a slice of the feature vector.
   */
  gatherColumns(x: string, indices: readonly number[], prefix = 'columns'): string {
    if (indices.length === 0 || !indices.every((i) => Number.isInteger(i) && i >= 0)) throw invalidArg(`${prefix}: column indices must be non-negative integers`);
    const idx = this.constant(this.fresh(`${prefix}_index`), BigInt64Array.from(indices, BigInt), [indices.length]);
    return this.node('Gather', [x, idx], 1, { axis: attr.int(1) })[0];
  }

  /**
   * (x − mean) / std per column in float32. `clip` bounds the result to [−clip, clip]; with
   * `missingAsZero`, NaN inputs (missing values) become 0, the mean, after the clip (Clip would
   * pass NaN through).
   */
  standardize(x: string, mean: ArrayLike<number>, std: ArrayLike<number>, options: { clip?: number; missingAsZero?: boolean; prefix?: string } = {}): string {
    const prefix = options.prefix ?? x;
    if (mean.length !== std.length) throw invalidArg(`${prefix}: mean has ${mean.length} values but std has ${std.length}`);
    const m = this.constant(this.fresh(`${prefix}_mean`), Float32Array.from(mean), [mean.length]);
    const s = this.constant(this.fresh(`${prefix}_std`), Float32Array.from(std), [std.length]);
    let [z] = this.node('Div', [this.node('Sub', [x, m])[0], s]);
    if (options.clip !== undefined) {
      const c = options.clip;
      [z] = this.node('Clip', [z, this.constant(this.fresh(`${prefix}_lo`), Float32Array.of(-c), []), this.constant(this.fresh(`${prefix}_hi`), Float32Array.of(c), [])]);
    }
    if (options.missingAsZero) {
      const [nan] = this.node('IsNaN', [x]);
      [z] = this.node('Where', [nan, this.constant(this.fresh(`${prefix}_zero`), Float32Array.of(0), []), z]);
    }
    return z;
  }

  /** Index of the largest value per row, int64 [batch, 1]; ties go to the first, as a JS scan does. */
  argMax(x: string): string {
    return this.node('ArgMax', [x], 1, { axis: attr.int(1), keepdims: attr.int(1), select_last_index: attr.int(0) })[0];
  }

  /** float32 one-hot [batch, depth] of int64 indices [batch, 1] (Equal against 0..depth−1, then Cast). */
  oneHot(indices: string, depth: number, prefix = 'onehot'): string {
    const range = this.constant(this.fresh(`${prefix}_range`), BigInt64Array.from({ length: depth }, (_, i) => BigInt(i)), [depth]);
    const [eq] = this.node('Equal', [indices, range]);
    return this.node('Cast', [eq], 1, { to: attr.int(DATA_TYPE.float32) })[0];
  }

  /** values[r, indices[r]] per row: [batch, n] and int64 [batch, 1] → [batch, 1]. */
  pick(values: string, indices: string): string {
    return this.node('GatherElements', [values, indices], 1, { axis: attr.int(1) })[0];
  }

  build(options: BuildOptions = {}): Uint8Array {
    if (this.#outputs.length === 0) throw invalidArg(`graph "${this.name}" has no outputs`);
    return encodeModel({
      ir_version: options.irVersion ?? 8,
      opset_import: [{ domain: '', version: options.opset ?? 17 }],
      producer_name: options.producerName ?? 'emotionthinker',
      producer_version: options.producerVersion ?? '0.1.0',
      doc_string: options.docString ?? '',
      graph: {
        name: this.name,
        node: this.#nodes,
        initializer: this.#initializers,
        input: this.#inputs,
        output: this.#outputs,
      },
      metadata_props: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    });
  }
}

// ---- MLP family ----------------------------------------------------------------------------

export type Activation = 'none' | 'relu' | 'tanh' | 'sigmoid';

const ACTIVATION_OP = { relu: 'Relu', tanh: 'Tanh', sigmoid: 'Sigmoid' } as const;

export interface LinearLayer {
  /** Row-major [inSize, outSize]: y = x · W + b. */
  weight: Float32Array;
  bias?: Float32Array;
  inSize: number;
  outSize: number;
  /** Applied after the affine map (default "none"). */
  activation?: Activation;
}

export interface MlpInput {
  name: string;
  size: number;
  /** Standardisation (x − mean) / std per feature; omitted: fed as is. */
  mean?: ArrayLike<number>;
  std?: ArrayLike<number>;
  /** Concatenated into the trunk's input (default true); false keeps it for heads' extraInputs. */
  trunk?: boolean;
}

export interface MlpHead {
  /** Output name: [batch, outSize of the last layer]. */
  name: string;
  layers: LinearLayer[];
  /** "softmax" (default): probabilities; "range": lo + (hi − lo)·sigmoid(z); "none": raw values. */
  output?: 'softmax' | 'range' | 'none';
  range?: [number, number];
  /** Inputs (by name, after standardisation) concatenated to the trunk output for this head. */
  extraInputs?: string[];
  /** Also output the pre-softmax values under this name. */
  logits?: string;
}

export interface MlpSpec {
  inputs: MlpInput[];
  trunk?: LinearLayer[];
  heads: MlpHead[];
  /** Name of the batch dimension (default "batch"). */
  batchDim?: string;
}

function checkLayers(layers: LinearLayer[], inSize: number, where: string): number {
  let size = inSize;
  layers.forEach((l, i) => {
    const at = `${where} layer ${i}`;
    if (l.inSize !== size) throw invalidArg(`${at}: inSize is ${l.inSize} but its input has ${size} values`);
    if (!(l.weight instanceof Float32Array) || l.weight.length !== l.inSize * l.outSize) {
      throw invalidArg(`${at}: weight must be a Float32Array of inSize × outSize = ${l.inSize * l.outSize} values`);
    }
    if (l.bias !== undefined && (!(l.bias instanceof Float32Array) || l.bias.length !== l.outSize)) {
      throw invalidArg(`${at}: bias must be a Float32Array of outSize = ${l.outSize} values`);
    }
    if (!l.weight.every(Number.isFinite) || (l.bias && !l.bias.every(Number.isFinite))) throw invalidArg(`${at}: weights must be finite`);
    size = l.outSize;
  });
  return size;
}

function checkSpec(spec: MlpSpec): void {
  if (!spec || !Array.isArray(spec.inputs) || spec.inputs.length === 0) throw invalidArg('spec.inputs must list at least one input');
  if (!Array.isArray(spec.heads) || spec.heads.length === 0) throw invalidArg('spec.heads must list at least one head');
  const names = new Set<string>();
  for (const inp of spec.inputs) {
    if (names.has(inp.name)) throw invalidArg(`input "${inp.name}" is listed twice`);
    names.add(inp.name);
    if (!Number.isInteger(inp.size) || inp.size < 1) throw invalidArg(`input "${inp.name}": size must be a positive integer`);
    if ((inp.mean === undefined) !== (inp.std === undefined)) throw invalidArg(`input "${inp.name}": give both mean and std, or neither`);
    if (inp.mean && (inp.mean.length !== inp.size || inp.std!.length !== inp.size)) {
      throw invalidArg(`input "${inp.name}": mean and std must have ${inp.size} values`);
    }
    if (inp.std && !Array.from(inp.std).every((s) => Number.isFinite(s) && s > 0)) throw invalidArg(`input "${inp.name}": std must be finite and > 0`);
  }
  const trunkIn = spec.inputs.filter((i) => i.trunk !== false).reduce((s, i) => s + i.size, 0);
  const trunkOut = checkLayers(spec.trunk ?? [], trunkIn, 'trunk');
  for (const h of spec.heads) {
    let size = trunkOut;
    for (const e of h.extraInputs ?? []) {
      const inp = spec.inputs.find((i) => i.name === e);
      if (!inp) throw invalidArg(`head "${h.name}": extra input "${e}" is not one of the inputs`);
      size += inp.size;
    }
    if (h.layers.length === 0) throw invalidArg(`head "${h.name}" needs at least one layer`);
    checkLayers(h.layers, size, `head "${h.name}"`);
    if (h.output === 'range' && !(Array.isArray(h.range) && h.range.length === 2 && h.range[0] < h.range[1])) {
      throw invalidArg(`head "${h.name}": output "range" needs range [lo, hi] with lo < hi`);
    }
  }
  if (trunkIn === 0 && spec.heads.some((h) => !(h.extraInputs?.length))) throw invalidArg('a head without extraInputs needs trunk inputs');
}

/**
 * Exports an MLP policy/score model to ONNX: inputs [batch, size] float32; standardisation;
 * concatenation; trunk layers; one output per head. Returns the .onnx bytes.
 */
export function exportMlp(spec: MlpSpec, options: BuildOptions = {}): Uint8Array {
  checkSpec(spec);
  const g = new OnnxGraphBuilder('mlp');
  const batch = spec.batchDim ?? 'batch';
  const std: Record<string, string> = {};
  for (const inp of spec.inputs) {
    g.input(inp.name, 'float32', [batch, inp.size]);
    std[inp.name] = inp.mean ? g.standardize(inp.name, inp.mean, inp.std!) : inp.name;
  }
  const concat = (names: string[]): string => g.concat(names);
  const linear = (x: string, layers: LinearLayer[], prefix: string): string => layers.reduce((h, l, i) => g.linear(h, l, `${prefix}${i}`), x);
  const trunkInputs = spec.inputs.filter((i) => i.trunk !== false).map((i) => std[i.name]);
  const trunk = trunkInputs.length ? linear(concat(trunkInputs), spec.trunk ?? [], 'trunk') : null;
  for (const h of spec.heads) {
    const parts = [...(trunk ? [trunk] : []), ...(h.extraInputs ?? []).map((e) => std[e])];
    let z = linear(concat(parts), h.layers.slice(0, -1), `${h.name}_`);
    const last = h.layers[h.layers.length - 1];
    const outSize = last.outSize;
    z = linear(z, [{ ...last, activation: 'none' }], `${h.name}_out`);
    const kind = h.output ?? 'softmax';
    if (h.logits) {
      g.node('Identity', [z], [h.logits]);
      g.output(h.logits, 'float32', [batch, outSize]);
    }
    if (kind === 'softmax') {
      if (last.activation && last.activation !== 'none') [z] = g.node(ACTIVATION_OP[last.activation], [z]);
      g.node('Softmax', [z], [h.name], { axis: attr.int(-1) });
    } else if (kind === 'range') {
      const [lo, hi] = h.range!;
      const [s] = g.node('Sigmoid', [z]);
      const [m] = g.node('Mul', [s, g.constant(g.fresh(`${h.name}_scale`), Float32Array.of(hi - lo), [])]);
      g.node('Add', [m, g.constant(g.fresh(`${h.name}_offset`), Float32Array.of(lo), [])], [h.name]);
    } else {
      if (last.activation && last.activation !== 'none') [z] = g.node(ACTIVATION_OP[last.activation], [z]);
      g.node('Identity', [z], [h.name]);
    }
    g.output(h.name, 'float32', [batch, outSize]);
  }
  return g.build(options);
}

// ---- TypeScript reference ------------------------------------------------------------------

const f = Math.fround;

function act(x: number, a: Activation | undefined): number {
  switch (a ?? 'none') {
    case 'relu':
      return x > 0 ? x : 0;
    case 'tanh':
      return f(Math.tanh(x));
    case 'sigmoid':
      return f(1 / (1 + Math.exp(-x)));
    default:
      return x;
  }
}

function applyLayers(x: Float32Array, rows: number, layers: LinearLayer[], finalActivation = true): Float32Array {
  let h = x;
  layers.forEach((l, li) => {
    const y = new Float32Array(rows * l.outSize);
    const a = li === layers.length - 1 && !finalActivation ? 'none' : l.activation;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < l.outSize; j++) {
        let s = 0;
        for (let i = 0; i < l.inSize; i++) s += h[r * l.inSize + i] * l.weight[i * l.outSize + j];
        s = f(s);
        if (l.bias) s = f(s + l.bias[j]);
        y[r * l.outSize + j] = act(s, a);
      }
    }
    h = y;
  });
  return h;
}

function concatRows(parts: { data: Float32Array; size: number }[], rows: number): { data: Float32Array; size: number } {
  if (parts.length === 1) return parts[0];
  const size = parts.reduce((s, p) => s + p.size, 0);
  const out = new Float32Array(rows * size);
  for (let r = 0; r < rows; r++) {
    let off = 0;
    for (const p of parts) {
      out.set(p.data.subarray(r * p.size, (r + 1) * p.size), r * size + off);
      off += p.size;
    }
  }
  return { data: out, size };
}

/**
 * Evaluates an MlpSpec in TypeScript with float32 rounding after each operation, as the
 * exported graph does. `feeds[name]` holds rows × size values; returns one array per output.
 */
export function evaluateMlp(spec: MlpSpec, feeds: Record<string, Float32Array>, rows: number): Record<string, Float32Array> {
  checkSpec(spec);
  const std: Record<string, { data: Float32Array; size: number }> = {};
  for (const inp of spec.inputs) {
    const x = feeds[inp.name];
    if (!(x instanceof Float32Array) || x.length !== rows * inp.size) throw invalidArg(`feeds["${inp.name}"] must be a Float32Array of ${rows * inp.size} values`);
    if (!inp.mean) {
      std[inp.name] = { data: x, size: inp.size };
      continue;
    }
    const y = new Float32Array(x.length);
    const mean = Float32Array.from(inp.mean);
    const sd = Float32Array.from(inp.std!);
    for (let k = 0; k < x.length; k++) y[k] = f(f(x[k] - mean[k % inp.size]) / sd[k % inp.size]);
    std[inp.name] = { data: y, size: inp.size };
  }
  const trunkParts = spec.inputs.filter((i) => i.trunk !== false).map((i) => std[i.name]);
  let trunk: { data: Float32Array; size: number } | null = null;
  if (trunkParts.length) {
    const t = concatRows(trunkParts, rows);
    const layers = spec.trunk ?? [];
    trunk = { data: applyLayers(t.data, rows, layers), size: layers.length ? layers[layers.length - 1].outSize : t.size };
  }
  const out: Record<string, Float32Array> = {};
  for (const h of spec.heads) {
    const x = concatRows([...(trunk ? [trunk] : []), ...(h.extraInputs ?? []).map((e) => std[e])], rows);
    const kind = h.output ?? 'softmax';
    const z = applyLayers(x.data, rows, h.layers, kind !== 'range');
    const n = h.layers[h.layers.length - 1].outSize;
    if (h.logits) out[h.logits] = kind === 'range' ? z.slice() : applyLayers(x.data, rows, h.layers, false);
    const y = new Float32Array(rows * n);
    for (let r = 0; r < rows; r++) {
      const row = z.subarray(r * n, (r + 1) * n);
      if (kind === 'softmax') {
        let max = -Infinity;
        for (const v of row) max = Math.max(max, v);
        let sum = 0;
        for (const v of row) sum += Math.exp(v - max);
        for (let j = 0; j < n; j++) y[r * n + j] = f(Math.exp(row[j] - max) / sum);
      } else if (kind === 'range') {
        const [lo, hi] = h.range!;
        for (let j = 0; j < n; j++) y[r * n + j] = f(f(f(1 / (1 + Math.exp(-row[j]))) * f(hi - lo)) + f(lo));
      } else y.set(row, r * n);
    }
    out[h.name] = y;
  }
  return out;
}
