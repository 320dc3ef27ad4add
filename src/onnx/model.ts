// OnnxModel: one ONNX model served by a pool of worker threads, each holding its own
// onnxruntime-node session. session.run() blocks the thread it runs on for the whole inference,
// so it never runs on the caller's event loop. Inputs are checked against the model's declared
// names, element types and shapes before anything is posted; concurrent requests whose inputs
// share a symbolic leading (batch) dimension can be merged into one run.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { COPY_SLICE_BYTES, snapshotIfSmall } from '../copy-off-loop.js';
import { EmotionThinkerError, invalidArg } from '../errors.js';
import { abortable, checkSignal } from '../abort.js';
import { WORKER_SOURCE } from './worker-source.js';
import { startEvalWorker } from '../worker-argv.js';
import {
  describeValue,
  sizeOf,
  typeOfArray,
  type Tensor,
  type TensorArray,
  type TensorData,
  type TensorType,
  type ValueInfo,
} from './types.js';

export interface BatchOptions {
  /** Most requests merged into one run (default 32). */
  maxRequests?: number;
  /** Most rows (sum of leading dimensions) in one merged run (default 1024). */
  maxRows?: number;
  /** How long a request may wait for others to join its batch when a worker is free (default 0 ms). */
  maxDelayMs?: number;
}

export interface OnnxModelOptions {
  /** Worker threads, each with its own session (default 1). */
  workers?: number;
  /** onnxruntime intra-op threads per session (default 1: the pool gives the parallelism). */
  intraOpThreads?: number;
  /** Merge concurrent requests along the leading dimension (default off). `true` uses the defaults. */
  batch?: boolean | BatchOptions;
  /** onnxruntime graph optimisation level (default "all"). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** A name for messages, e.g. the file name (default: the path, or "model bytes"). */
  name?: string;
}

export type Feeds = Record<string, TensorData>;
export type Outputs = Record<string, Tensor>;

export interface ScanRequest {
  /** Input that receives each window, shaped [batch, windowSize], float32. */
  streamInput: string;
  windowSize: number;
  /** One or more float32 streams, run together as one batch. */
  streams: Float32Array[];
  /** Recurrent state: input name → {output that feeds it next step, initial value for the full batch, batch axis}. */
  states: Record<string, { output: string; init: Tensor; batchAxis: number }>;
  /** Inputs that stay the same every step. */
  constants?: Record<string, TensorData>;
  /** Output collected per window, `collectSize` values per stream row (default 1). */
  collect: string;
  collectSize?: number;
}

interface Job {
  kind: 'run' | 'scan';
  feeds?: Record<string, Tensor>;
  fetches?: string[];
  scan?: ScanRequest;
  /** Rows along the batch dimension (run jobs), for merging. */
  rows: number;
  /** Key that merged jobs must share: the non-leading dims and types of every input. */
  batchKey?: string;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  /** Scan jobs with a signal: set to 1 on abort; the worker stops at its next window. */
  cancel?: Int32Array;
  /** Scan jobs: stream buffers handed to the worker instead of copied (options.transferStreams). */
  transfer?: ArrayBuffer[];
}

interface Slot {
  worker: Worker;
  /** Shared with the worker: [0] = 1 asks it to crash after its current job (test hook). */
  control: Int32Array;
  ready: boolean;
  busy: Job[] | null;
  closing: boolean;
  index: number;
}

interface ReadyInfo {
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

let ortPathCache: string | null = null;

/** Absolute path of onnxruntime-node's entry, resolved on first use (the worker requires it by path). */
function ortPath(): string {
  if (ortPathCache) return ortPathCache;
  try {
    ortPathCache = createRequire(import.meta.url).resolve('onnxruntime-node');
  } catch (err) {
    throw new EmotionThinkerError('ERR_BACKEND_UNAVAILABLE', 'onnxruntime-node is not installed: it is an optional peer dependency (npm install onnxruntime-node; on linux-x64 add --onnxruntime-node-install=skip unless you want its installer to download the CUDA 12 libraries)', { cause: err });
  }
  return ortPathCache;
}

/** The most replacement workers started in a row without one becoming ready. */
const MAX_RESPAWN_FAILURES = 3;

/**
 * A copy of a caller's tensor data of at most COPY_SLICE_BYTES (any typed array, int64 included:
 * %TypedArray%.prototype.slice keeps its type); larger data and SharedArrayBuffer views as given.
 */
function copyIfSmall<T>(d: T): T {
  if (!ArrayBuffer.isView(d) || d instanceof DataView) return d;
  if (d.byteLength > COPY_SLICE_BYTES || d.buffer instanceof SharedArrayBuffer) return d;
  const slice = (Object.getPrototypeOf(Uint8Array.prototype) as { slice: (this: unknown) => unknown }).slice;
  return slice.call(d) as T;
}

export class OnnxModel {
  readonly name: string;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly workers: number;

  #bytes: Uint8Array;
  #sessionOptions: Record<string, unknown>;
  #slots: Slot[] = [];
  #queue: Job[] = [];
  #batch: Required<BatchOptions> | null;
  #batchable: boolean;
  #disposed = false;
  #disposing: Promise<void> | null = null;
  #nextWorker = 0;
  #jobIds = 0;
  #respawnFailures = 0;
  #delayTimer: NodeJS.Timeout | null = null;
  #stats = { requests: 0, runs: 0, workerRestarts: 0, cancelledScans: 0 };

  private constructor(name: string, bytes: Uint8Array, sessionOptions: Record<string, unknown>, info: ReadyInfo, first: Slot, options: OnnxModelOptions) {
    this.name = name;
    this.inputs = Object.freeze(info.inputs.map((v) => Object.freeze({ ...v })));
    this.outputs = Object.freeze(info.outputs.map((v) => Object.freeze({ ...v })));
    this.workers = options.workers ?? 1;
    this.#bytes = bytes;
    this.#sessionOptions = sessionOptions;
    this.#slots.push(first);
    const b = options.batch;
    this.#batch = b ? { maxRequests: 32, maxRows: 1024, maxDelayMs: 0, ...(b === true ? {} : b) } : null;
    this.#batchable = this.#leadingSymbol() !== null;
  }

  /**
   * Loads a model from a .onnx file path or its bytes and starts the worker pool. Rejects with
   * ERR_FILE when the file cannot be read and ERR_INVALID_ARG when onnxruntime cannot load it.
   */
  static async create(source: string | Uint8Array, options: OnnxModelOptions = {}): Promise<OnnxModel> {
    if (options === null || typeof options !== 'object') throw invalidArg('options must be an object');
    const workers = options.workers ?? 1;
    if (!Number.isInteger(workers) || workers < 1 || workers > 256) {
      throw invalidArg(`workers must be an integer in 1..256; got ${String(options.workers)}`);
    }
    const intra = options.intraOpThreads ?? 1;
    if (!Number.isInteger(intra) || intra < 1 || intra > availableParallelism() * 4) {
      throw invalidArg(`intraOpThreads must be a positive integer; got ${String(options.intraOpThreads)}`);
    }
    if (options.batch !== undefined && typeof options.batch !== 'boolean' && (options.batch === null || typeof options.batch !== 'object')) {
      throw invalidArg('batch must be a boolean or an object');
    }
    let bytes: Uint8Array;
    let name: string;
    if (typeof source === 'string') {
      name = options.name ?? source;
      try {
        bytes = await readFile(source);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        const what = e.code === 'ENOENT' ? 'model file not found' : `cannot read model file (${e.code ?? e.message})`;
        throw new EmotionThinkerError('ERR_FILE', what, { input: source, cause: err });
      }
    } else if (source instanceof Uint8Array) {
      name = options.name ?? 'model bytes';
      bytes = source;
    } else {
      throw invalidArg('expected a .onnx file path or a Uint8Array of model bytes');
    }
    if (bytes.length === 0) throw invalidArg('the model is empty (0 bytes)', name);
    const sessionOptions = {
      intraOpNumThreads: intra,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    };
    // The first worker loads the model and reports its metadata; the rest start after that.
    const { slot, info } = await OnnxModel.#spawn(bytes, sessionOptions, 0, name);
    const model = new OnnxModel(name, bytes, sessionOptions, info, slot, options);
    model.#attach(slot);
    try {
      await Promise.all(Array.from({ length: workers - 1 }, (_, i) => model.#addWorker(i + 1)));
    } catch (err) {
      await model.dispose();
      throw err;
    }
    return model;
  }

  static #spawn(bytes: Uint8Array, sessionOptions: Record<string, unknown>, index: number, name: string): Promise<{ slot: Slot; info: ReadyInfo }> {
    const ort = ortPath();
    return new Promise((resolve, reject) => {
      const control = new Int32Array(new SharedArrayBuffer(4));
      const worker = startEvalWorker(WORKER_SOURCE, {
        workerData: { ortPath: ort, model: bytes, sessionOptions, control: control.buffer },
        stdout: false,
        stderr: false,
      });
      const slot: Slot = { worker, control, ready: false, busy: null, closing: false, index };
      const onMessage = (msg: { type: string; message?: string } & Partial<ReadyInfo>) => {
        if (msg.type === 'ready') {
          cleanup();
          slot.ready = true;
          worker.unref();
          resolve({ slot, info: { inputs: msg.inputs!, outputs: msg.outputs! } });
        } else if (msg.type === 'init-error') {
          cleanup();
          void worker.terminate();
          reject(new EmotionThinkerError('ERR_INVALID_ARG', `onnxruntime cannot load this model: ${msg.message}`, { input: name }));
        }
      };
      const onError = (err: Error) => {
        cleanup();
        reject(new EmotionThinkerError('ERR_INTERNAL', `ONNX worker failed to start: ${err.message}`, { input: name, cause: err }));
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new EmotionThinkerError('ERR_INTERNAL', `ONNX worker exited with code ${code} while loading the model`, { input: name }));
      };
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
    });
  }

  async #addWorker(index: number): Promise<void> {
    const { slot } = await OnnxModel.#spawn(this.#bytes, this.#sessionOptions, index, this.name);
    if (this.#disposed) {
      await slot.worker.terminate();
      return;
    }
    this.#slots.push(slot);
    this.#attach(slot);
    this.#pump();
  }

  #attach(slot: Slot): void {
    slot.worker.on('message', (msg: { type: string; id?: number; message?: string; outputs?: Outputs; scan?: Float32Array[] }) => {
      if (msg.type === 'closed') return;
      const jobs = slot.busy;
      if (!jobs) return;
      slot.busy = null;
      slot.worker.unref();
      if (msg.type === 'cancelled') {
        this.#stats.cancelledScans++;
        for (const j of jobs) j.reject(new EmotionThinkerError('ERR_INTERNAL', 'scan cancelled', { input: this.name }));
      } else if (msg.type === 'error') {
        const err = new EmotionThinkerError('ERR_INVALID_ARG', `inference failed: ${msg.message}`, { input: this.name });
        for (const j of jobs) j.reject(err);
      } else if (jobs[0].kind === 'scan') {
        jobs[0].resolve(msg.scan);
      } else if (jobs.length === 1) {
        jobs[0].resolve(msg.outputs);
      } else {
        this.#split(jobs, msg.outputs!);
      }
      this.#pump();
    });
    slot.worker.on('error', () => {
      // 'exit' follows and does the bookkeeping.
    });
    slot.worker.on('exit', (code) => this.#onExit(slot, code));
  }

  #onExit(slot: Slot, code: number): void {
    const i = this.#slots.indexOf(slot);
    if (i >= 0) this.#slots.splice(i, 1);
    if (slot.busy) {
      const err = new EmotionThinkerError('ERR_INTERNAL', `ONNX worker ${slot.index} exited (code ${code}) during inference; the pool replaces it`, { input: this.name });
      for (const j of slot.busy) j.reject(err);
      slot.busy = null;
    }
    if (this.#disposed || slot.closing) return;
    // Replace the worker so later calls still have the configured parallelism.
    this.#stats.workerRestarts++;
    this.#respawn(slot.index);
  }

  #respawn(index: number): void {
    this.#addWorker(index).then(
      () => {
        this.#respawnFailures = 0;
      },
      (err) => {
        if (this.#disposed) return;
        if (++this.#respawnFailures < MAX_RESPAWN_FAILURES) this.#respawn(index);
        else if (this.#slots.length === 0) for (const j of this.#queue.splice(0)) j.reject(err);
      },
    );
  }

  /** Leading symbolic dimension shared by every input and output, if any (the batch axis). */
  #leadingSymbol(): string | null {
    let sym: string | null = null;
    for (const v of [...this.inputs, ...this.outputs]) {
      const d0 = v.shape?.[0];
      if (typeof d0 !== 'string') return null;
      if (sym === null) sym = d0;
      else if (sym !== d0) return null;
    }
    return sym;
  }

  /** Runs the model once. Rejects with ERR_INVALID_ARG when the feeds do not match the model. */
  run(feeds: Feeds, options: { outputs?: string[]; signal?: AbortSignal } = {}): Promise<Outputs> {
    if (this.#disposed) return Promise.reject(new EmotionThinkerError('ERR_INVALID_ARG', 'the model has been disposed', { input: this.name }));
    let checked: Record<string, Tensor>;
    let fetches: string[] | undefined;
    let rows = 0;
    let signal: AbortSignal | undefined;
    try {
      signal = checkSignal(options?.signal, 'OnnxModel.run');
      const r = this.#check(feeds);
      // A queued run is posted later: a caller's small inputs are copied now, so the caller may
      // reuse them as soon as run() returns (README "Arrays and async calls").
      checked = Object.fromEntries(Object.entries(r.feeds).map(([k, t]) => [k, { ...t, data: copyIfSmall(t.data) }]));
      rows = r.rows;
      fetches = this.#checkFetches(options?.outputs);
    } catch (err) {
      return Promise.reject(err);
    }
    if (signal?.aborted) return abortable(Promise.resolve({}), signal);
    let job!: Job;
    const work = new Promise<Outputs>((resolve, reject) => {
      job = { kind: 'run', feeds: checked, fetches, rows, resolve: resolve as (v: unknown) => void, reject };
      if (this.#batch && this.#batchable && !fetches) job.batchKey = this.#keyOf(checked);
      this.#queue.push(job);
      this.#schedule();
    });
    return abortable(work, signal, () => this.#drop(job));
  }

  /**
   * An aborted request: taken out of the queue when it has not started. A running one cannot be
   * stopped (terminating a thread inside session.run() aborts the process); its result, when it
   * comes, is dropped.
   */
  #drop(job: Job): void {
    const i = this.#queue.indexOf(job);
    if (i >= 0) this.#queue.splice(i, 1);
  }

  /**
   * Runs a recurrent model window by window over one or more streams inside one worker (one
   * message per call, not per window). Returns the collected output per stream: `collectSize`
   * values for each window of `windowSize` samples (the last window zero-padded).
   */
  /**
   * options.transferStreams: the streams' buffers move to the worker instead of being copied
   * (they are detached here; for streams the caller no longer needs: a copy of a long stream
   * holds the event loop for tens of milliseconds).
   */
  scan(request: ScanRequest, options: { signal?: AbortSignal; transferStreams?: boolean } = {}): Promise<Float32Array[]> {
    if (this.#disposed) return Promise.reject(new EmotionThinkerError('ERR_INVALID_ARG', 'the model has been disposed', { input: this.name }));
    const r = request;
    let signal: AbortSignal | undefined;
    try {
      signal = checkSignal(options?.signal, 'OnnxModel.scan');
      if (!Number.isInteger(r.windowSize) || r.windowSize < 1) throw invalidArg(`windowSize must be a positive integer; got ${String(r.windowSize)}`);
      if (!Array.isArray(r.streams) || !r.streams.every((s) => s instanceof Float32Array)) throw invalidArg('streams must be an array of Float32Array');
      for (const n of [r.streamInput, ...Object.keys(r.states), ...Object.keys(r.constants ?? {})]) {
        if (!this.inputs.some((v) => v.name === n)) throw this.#unknownInput(n);
      }
      for (const n of [r.collect, ...Object.values(r.states).map((s) => s.output)]) {
        if (!this.outputs.some((v) => v.name === n)) throw invalidArg(`the model has no output "${n}"; its outputs are: ${this.outputs.map(describeValue).join('; ')}`, this.name);
      }
    } catch (err) {
      return Promise.reject(err);
    }
    // Longest first, so the streams still running are always a prefix of the batch.
    const order = r.streams.map((s, i) => i).sort((a, b) => r.streams[b].length - r.streams[a].length);
    const constants: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(r.constants ?? {})) constants[k] = normalizeTensor(v, k);
    const states: Record<string, { output: string; init: Tensor; batchAxis: number }> = {};
    for (const [k, v] of Object.entries(r.states)) states[k] = { ...v, init: normalizeTensor(v.init, k) };
    const msg: ScanRequest & { collectSize: number } = {
      streamInput: r.streamInput,
      windowSize: r.windowSize,
      // The caller's streams are copied now when small (a queued scan reads them later); streams
      // handed over (transferStreams) are the caller's no more.
      streams: order.map((i) => (options.transferStreams ? r.streams[i] : snapshotIfSmall(r.streams[i]))),
      states,
      constants,
      collect: r.collect,
      collectSize: r.collectSize ?? 1,
    };
    if (signal?.aborted) return abortable(Promise.resolve([]), signal);
    let job!: Job;
    const work = new Promise<unknown>((resolve, reject) => {
      job = { kind: 'scan', scan: msg, rows: 0, resolve, reject };
      if (signal) job.cancel = new Int32Array(new SharedArrayBuffer(4));
      if (options.transferStreams) {
        // Only buffers that hold exactly one stream, each once.
        const whole = msg.streams.filter((x) => x.byteOffset === 0 && x.byteLength === x.buffer.byteLength && x.buffer instanceof ArrayBuffer);
        job.transfer = [...new Set(whole.map((x) => x.buffer as ArrayBuffer))];
      }
      this.#queue.push(job);
      this.#schedule();
    });
    return abortable(work, signal, () => {
      if (job.cancel) Atomics.store(job.cancel, 0, 1);
      this.#drop(job);
    }).then((out) => {
      const sorted = out as Float32Array[];
      const result: Float32Array[] = new Array(sorted.length);
      order.forEach((orig, k) => (result[orig] = sorted[k]));
      return result;
    });
  }

  /**
   * Rejects queued and running requests, releases every session and ends every worker. Safe to
   * call more than once; no thread, port or timer is left open after it resolves.
   */
  dispose(): Promise<void> {
    if (this.#disposing) return this.#disposing;
    this.#disposed = true;
    if (this.#delayTimer) clearTimeout(this.#delayTimer);
    this.#delayTimer = null;
    const err = new EmotionThinkerError('ERR_INVALID_ARG', 'the model was disposed before this request ran', { input: this.name });
    for (const j of this.#queue.splice(0)) j.reject(err);
    const slots = this.#slots.splice(0);
    this.#disposing = Promise.all(
      slots.map(async (slot) => {
        slot.closing = true;
        const exited = new Promise<void>((resolve) => slot.worker.once('exit', () => resolve()));
        // Terminating a thread inside session.run() would abort the process: a busy worker
        // closes after its current run; its callers are rejected now.
        if (slot.busy) for (const j of slot.busy) j.reject(err);
        slot.busy = null;
        slot.worker.ref();
        slot.worker.postMessage({ type: 'close' });
        await exited;
      }),
    ).then(() => undefined);
    return this.#disposing;
  }

  /**
   * @internal Makes one worker thread exit abruptly as a crash would (for tests): at once when
   * idle, or when its current inference returns, before it answers. Resolves when it has exited.
   */
  async killWorkerForTesting(which = 0): Promise<void> {
    const slot = this.#slots[which];
    if (!slot) return;
    const exited = new Promise<void>((resolve) => slot.worker.once('exit', () => resolve()));
    slot.worker.ref();
    Atomics.store(slot.control, 0, 1);
    slot.worker.postMessage({ type: 'crash' });
    await exited;
  }

  /** Counters: requests accepted, runs sent to workers (fewer than requests when batched), workers replaced. */
  /** cancelledScans: scans that an aborted signal stopped inside the worker, before their last window. */
  get stats(): { requests: number; runs: number; workerRestarts: number; cancelledScans: number } {
    return { ...this.#stats };
  }

  /** Requests waiting for a worker. */
  get pending(): number {
    return this.#queue.length;
  }

  #schedule(): void {
    const delay = this.#batch?.maxDelayMs ?? 0;
    if (delay > 0 && this.#batchable && this.#queue.length < this.#batch!.maxRequests) {
      if (!this.#delayTimer) {
        this.#delayTimer = setTimeout(() => {
          this.#delayTimer = null;
          this.#pump();
        }, delay);
      }
      return;
    }
    this.#pump();
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      const slot = this.#freeSlot();
      if (!slot) return;
      const jobs = this.#take();
      this.#dispatch(slot, jobs);
    }
  }

  #freeSlot(): Slot | undefined {
    const n = this.#slots.length;
    for (let k = 0; k < n; k++) {
      const s = this.#slots[(this.#nextWorker + k) % n];
      if (s.ready && !s.busy && !s.closing) {
        this.#nextWorker = (this.#nextWorker + k + 1) % n;
        return s;
      }
    }
    return undefined;
  }

  #take(): Job[] {
    const head = this.#queue.shift()!;
    if (!head.batchKey || !this.#batch) return [head];
    const jobs = [head];
    let rows = head.rows;
    for (let i = 0; i < this.#queue.length && jobs.length < this.#batch.maxRequests; ) {
      const j = this.#queue[i];
      if (j.batchKey === head.batchKey && rows + j.rows <= this.#batch.maxRows) {
        jobs.push(j);
        rows += j.rows;
        this.#queue.splice(i, 1);
      } else i++;
    }
    return jobs;
  }

  #dispatch(slot: Slot, jobs: Job[]): void {
    slot.busy = jobs;
    slot.worker.ref();
    this.#stats.runs++;
    this.#stats.requests += jobs.length;
    const id = ++this.#jobIds;
    try {
      if (jobs[0].kind === 'scan') {
        slot.worker.postMessage({ type: 'scan', id, ...jobs[0].scan, cancel: jobs[0].cancel?.buffer }, jobs[0].transfer ?? []);
        return;
      }
      const feeds = jobs.length === 1 ? jobs[0].feeds! : this.#concat(jobs);
      slot.worker.postMessage({ type: 'run', id, feeds, fetches: jobs[0].fetches });
    } catch (err) {
      // The message never left (an input detached by its caller meanwhile: DataCloneError). The
      // slot must be freed, or it stays busy and every later call waits for it forever.
      slot.busy = null;
      slot.worker.unref();
      const e = new EmotionThinkerError('ERR_INVALID_ARG', `an input could not be handed to the inference worker (${(err as Error).message}); was its buffer detached or transferred during the call?`, { input: this.name, cause: err });
      for (const j of jobs) j.reject(e);
      queueMicrotask(() => this.#pump());
    }
  }

  #concat(jobs: Job[]): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    const rows = jobs.reduce((s, j) => s + j.rows, 0);
    for (const name of Object.keys(jobs[0].feeds!)) {
      const first = jobs[0].feeds![name];
      const Ctor = first.data.constructor as new (n: number) => TensorArray;
      const total = jobs.reduce((s, j) => s + j.feeds![name].data.length, 0);
      const data = new Ctor(total);
      let off = 0;
      for (const j of jobs) {
        const d = j.feeds![name].data;
        (data as Float32Array).set(d as Float32Array, off);
        off += d.length;
      }
      out[name] = { type: first.type, dims: [rows, ...first.dims.slice(1)], data };
    }
    return out;
  }

  #split(jobs: Job[], outputs: Outputs): void {
    const rows = jobs.reduce((s, j) => s + j.rows, 0);
    const per: Outputs[] = jobs.map(() => ({}));
    for (const [name, t] of Object.entries(outputs)) {
      if (t.dims[0] !== rows) {
        const err = new EmotionThinkerError('ERR_INTERNAL', `batched output "${name}" has ${t.dims[0]} rows, expected ${rows}; run this model with batch: false`, { input: this.name });
        for (const j of jobs) j.reject(err);
        return;
      }
      const rowSize = rows === 0 ? 0 : t.data.length / rows;
      let r0 = 0;
      jobs.forEach((j, k) => {
        const data = t.data.slice(r0 * rowSize, (r0 + j.rows) * rowSize) as TensorArray;
        per[k][name] = { type: t.type, dims: [j.rows, ...t.dims.slice(1)], data };
        r0 += j.rows;
      });
    }
    jobs.forEach((j, k) => j.resolve(per[k]));
  }

  #keyOf(feeds: Record<string, Tensor>): string {
    return Object.keys(feeds)
      .sort()
      .map((n) => `${n}:${feeds[n].type}:${feeds[n].dims.slice(1).join('x')}`)
      .join('|');
  }

  #unknownInput(name: string): EmotionThinkerError {
    return invalidArg(`the model has no input "${name}"; its inputs are: ${this.inputs.map(describeValue).join('; ')}`, this.name);
  }

  #checkFetches(outputs: unknown): string[] | undefined {
    if (outputs === undefined) return undefined;
    if (!Array.isArray(outputs) || outputs.length === 0 || !outputs.every((o) => typeof o === 'string')) {
      throw invalidArg('options.outputs must be a non-empty array of output names', this.name);
    }
    for (const o of outputs) {
      if (!this.outputs.some((v) => v.name === o)) {
        throw invalidArg(`the model has no output "${o}"; its outputs are: ${this.outputs.map(describeValue).join('; ')}`, this.name);
      }
    }
    return outputs;
  }

  #check(feeds: Feeds): { feeds: Record<string, Tensor>; rows: number } {
    if (feeds === null || typeof feeds !== 'object' || Array.isArray(feeds)) {
      throw invalidArg('feeds must be an object mapping input names to {data, dims}', this.name);
    }
    for (const name of Object.keys(feeds)) if (!this.inputs.some((v) => v.name === name)) throw this.#unknownInput(name);
    const out: Record<string, Tensor> = {};
    const symbols = new Map<string, { size: number; input: string }>();
    for (const info of this.inputs) {
      const given = feeds[info.name];
      if (given === undefined) {
        throw invalidArg(`missing input "${info.name}"; the model's inputs are: ${this.inputs.map(describeValue).join('; ')}`, this.name);
      }
      const t = normalizeTensor(given, info.name, this.name);
      if (info.type !== 'unknown' && t.type !== info.type) {
        throw invalidArg(`input "${info.name}" must be ${info.type}; got ${t.type}`, this.name);
      }
      if (info.shape) {
        if (t.dims.length !== info.shape.length) {
          throw invalidArg(`input "${info.name}" must have rank ${info.shape.length} ${describeValue(info).slice(info.name.length + 1)}; got dims [${t.dims.join(', ')}]`, this.name);
        }
        info.shape.forEach((d, axis) => {
          const got = t.dims[axis];
          if (typeof d === 'number' && got !== d) {
            throw invalidArg(`input "${info.name}" dimension ${axis} must be ${d}; got dims [${t.dims.join(', ')}] (expected ${describeValue(info)})`, this.name);
          }
          if (typeof d === 'string') {
            const seen = symbols.get(d);
            if (seen && seen.size !== got) {
              throw invalidArg(`input "${info.name}" dimension ${axis} ("${d}") is ${got} but input "${seen.input}" has "${d}" = ${seen.size}`, this.name);
            }
            if (!seen) symbols.set(d, { size: got, input: info.name });
          }
        });
      }
      out[info.name] = t;
    }
    const sym = this.#batchable ? this.#leadingSymbol() : null;
    const rows = sym ? (symbols.get(sym)?.size ?? 0) : 0;
    return { feeds: out, rows };
  }
}

/** Checks one {data, dims, type?} value and returns it with its type filled in. */
export function normalizeTensor(t: TensorData, name: string, input?: string): Tensor {
  if (t === null || typeof t !== 'object') throw invalidArg(`input "${name}" must be {data: TypedArray, dims: number[]}`, input);
  const arrayType = typeOfArray(t.data);
  if (!arrayType) throw invalidArg(`input "${name}".data must be a typed array (Float32Array, BigInt64Array, ...)`, input);
  if (!Array.isArray(t.dims) || !t.dims.every((d) => Number.isInteger(d) && d >= 0)) {
    throw invalidArg(`input "${name}".dims must be an array of non-negative integers`, input);
  }
  let type: TensorType = arrayType;
  if (t.type !== undefined) {
    const ok = t.type === arrayType || (t.type === 'bool' && arrayType === 'uint8');
    if (!ok) throw invalidArg(`input "${name}" says type ${t.type} but its data is a ${t.data.constructor.name}`, input);
    type = t.type;
  }
  const n = sizeOf(t.dims);
  if (n !== t.data.length) {
    throw invalidArg(`input "${name}" has dims [${t.dims.join(', ')}] (${n} elements) but ${t.data.length} values`, input);
  }
  return { type, dims: [...t.dims], data: t.data };
}
