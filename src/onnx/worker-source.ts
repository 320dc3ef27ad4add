// The code each pool worker runs, as a CommonJS script started with `new Worker(code, { eval:
// true })`. Keeping it as a string (instead of a separate worker file) makes the same code run
// from the TypeScript sources under vitest and from dist/ after tsc, with no loader in the worker;
// onnxruntime-node is required by the absolute path the main thread resolved.
//
// Protocol (main → worker): {type:'run', id, feeds, fetches?}, {type:'scan', id, ...},
// {type:'close'}, {type:'crash'} (test hook). Worker → main: {type:'ready', inputs, outputs}, {type:'init-error', message},
// {type:'result', id, outputs | scan}, {type:'error', id, message}, {type:'cancelled', id} (a scan
// whose abort flag was set), {type:'closed'}.
export const WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
let session = null;

function describe(names, meta) {
  return names.map(function (name, i) {
    const m = Array.isArray(meta) ? meta.find(function (x) { return x && x.name === name; }) || meta[i] : undefined;
    if (!m || m.isTensor === false) return { name: name, type: m ? 'unknown' : 'unknown', shape: null };
    const shape = Array.isArray(m.shape)
      ? m.shape.map(function (d) {
          if (typeof d === 'number') return d >= 0 ? d : null;
          if (typeof d === 'bigint') return d >= 0n ? Number(d) : null;
          if (typeof d === 'string' && d.length > 0) return d;
          return null;
        })
      : null;
    return { name: name, type: typeof m.type === 'string' ? m.type : 'unknown', shape: shape };
  });
}

function toOrt(t) {
  return new ort.Tensor(t.type, t.data, t.dims);
}

function fromOrt(t, transfer) {
  // Copy out of onnxruntime's buffer so the result can be transferred and outlives the session.
  const data = t.data.slice();
  transfer.push(data.buffer);
  return { type: t.type, dims: Array.from(t.dims, Number), data: data };
}

async function run(msg) {
  const feeds = {};
  for (const name of Object.keys(msg.feeds)) feeds[name] = toOrt(msg.feeds[name]);
  const out = msg.fetches ? await session.run(feeds, msg.fetches) : await session.run(feeds);
  const transfer = [];
  const outputs = {};
  for (const name of Object.keys(out)) outputs[name] = fromOrt(out[name], transfer);
  return { message: { type: 'result', id: msg.id, outputs: outputs }, transfer: transfer };
}

// Shrinks a tensor along one axis to its first k entries.
function sliceAxis(t, axis, k) {
  const dims = t.dims.slice();
  if (dims[axis] === k) return t;
  let outer = 1, inner = 1;
  for (let i = 0; i < axis; i++) outer *= dims[i];
  for (let i = axis + 1; i < dims.length; i++) inner *= dims[i];
  const n = dims[axis];
  const Ctor = t.data.constructor;
  const data = new Ctor(outer * k * inner);
  for (let o = 0; o < outer; o++) data.set(t.data.subarray(o * n * inner, o * n * inner + k * inner), o * k * inner);
  dims[axis] = k;
  return { type: t.type, dims: dims, data: data };
}

// Runs a recurrent model over fixed-size windows of several streams in lock step: the batch
// holds the streams that still have windows (streams arrive sorted longest first), state
// outputs feed the next step's state inputs, and one output is collected per window.
async function scan(msg) {
  const streams = msg.streams;
  const W = msg.windowSize;
  const nWin = streams.map(function (s) { return Math.ceil(s.length / W); });
  const collected = streams.map(function (s, i) { return new Float32Array(nWin[i] * msg.collectSize); });
  let states = {};
  for (const name of Object.keys(msg.states)) states[name] = msg.states[name].init;
  const constants = {};
  for (const name of Object.keys(msg.constants)) constants[name] = toOrt(msg.constants[name]);
  const steps = nWin.length ? Math.max.apply(null, nWin) : 0;
  // The caller's abort flag (absent without a signal), read before every window.
  const cancel = msg.cancel ? new Int32Array(msg.cancel) : null;
  for (let t = 0; t < steps; t++) {
    if (cancel && Atomics.load(cancel, 0) !== 0) return { message: { type: 'cancelled', id: msg.id }, transfer: [] };
    let B = 0;
    while (B < streams.length && nWin[B] > t) B++;
    const input = new Float32Array(B * W);
    for (let b = 0; b < B; b++) {
      const s = streams[b];
      const end = Math.min(s.length, (t + 1) * W);
      input.set(s.subarray(t * W, end), b * W);
    }
    const feeds = Object.assign({}, constants);
    feeds[msg.streamInput] = new ort.Tensor('float32', input, [B, W]);
    for (const name of Object.keys(msg.states)) {
      states[name] = sliceAxis(states[name], msg.states[name].batchAxis, B);
      feeds[name] = toOrt(states[name]);
    }
    const out = await session.run(feeds);
    const col = out[msg.collect].data;
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < msg.collectSize; j++) collected[b][t * msg.collectSize + j] = col[b * msg.collectSize + j];
    }
    const next = {};
    for (const name of Object.keys(msg.states)) {
      const o = out[msg.states[name].output];
      next[name] = { type: o.type, dims: Array.from(o.dims, Number), data: o.data.slice() };
    }
    states = next;
  }
  return { message: { type: 'result', id: msg.id, scan: collected }, transfer: collected.map(function (c) { return c.buffer; }) };
}

// Ending the thread while onnxruntime is inside session.run() aborts the whole process (the
// binding throws a C++ exception into a terminating environment), so close and test crashes
// wait for the running job to finish.
// session.run() holds this thread until it returns, so the main thread raises test crashes
// through shared memory as well as by message; the flag is read as each job ends.
let busy = false;
let afterJob = null;
const control = new Int32Array(workerData.control);

function close() {
  Promise.resolve(session ? session.release() : undefined)
    .catch(function () {})
    .then(function () {
      session = null;
      parentPort.postMessage({ type: 'closed' });
      parentPort.close();
    });
}

function crash() {
  // Test hook: die the way an uncaught error would, with the caller's request unanswered.
  process.exit(70);
}

function settle() {
  busy = false;
  const next = afterJob;
  afterJob = null;
  if (next === 'close') close();
  else if (next === 'crash') crash();
}

parentPort.on('message', function (msg) {
  if (msg.type === 'close' || msg.type === 'crash') {
    if (busy) afterJob = afterJob === 'crash' ? 'crash' : msg.type;
    else if (msg.type === 'close') close();
    else crash();
    return;
  }
  busy = true;
  const job = msg.type === 'scan' ? scan(msg) : run(msg);
  job.then(
    function (reply) {
      if (Atomics.load(control, 0) === 1) afterJob = 'crash';
      if (afterJob !== 'crash') parentPort.postMessage(reply.message, reply.transfer);
      settle();
    },
    function (err) {
      if (Atomics.load(control, 0) === 1) afterJob = 'crash';
      if (afterJob !== 'crash') parentPort.postMessage({ type: 'error', id: msg.id, message: err && err.message ? err.message : String(err) });
      settle();
    },
  );
});

ort.InferenceSession.create(workerData.model, workerData.sessionOptions)
  .then(function (s) {
    session = s;
    parentPort.postMessage({
      type: 'ready',
      inputs: describe(s.inputNames, s.inputMetadata),
      outputs: describe(s.outputNames, s.outputMetadata),
    });
  })
  .catch(function (err) {
    parentPort.postMessage({ type: 'init-error', message: err && err.message ? err.message : String(err) });
  });
`;
