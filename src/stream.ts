// Live audio: createProsodyStream() turns PCM arriving in chunks of any size into per-frame
// prosody, speech-start / speech-end events (turn segmentation) and, per turn, what analyze()
// gives for that span (prosody functionals, emotion, reasoning, claims).
//
// Pipeline (one stream, all in order): chunk → Float32 (PCM16 bytes may split a sample across
// chunks; NaN/Inf/out-of-range samples become 0 with a coded error event) → the native
// ProsodyStream (native/prosody/stream.hpp: 16 kHz conversion, F0 with a fixed-lag decoder, frame
// energies; pieces of at most PIECE_SECONDS, large ones on the thread pool) → frame events → VAD
// (energy: frame RMS against the recent peak; silero: the Silero model per 32 ms window with its
// state carried across windows) → turn state machine → for each turn the 16 kHz samples of
// [start − pad, end + pad] go through analyzeSamples16k (the same code as analyze() on a file of them) →
// utterance event. Times are seconds from the first sample written.
//
// Backpressure and drops: write() never drops audio; it returns false while more than
// highWaterSeconds of written audio is unprocessed (await drained() before writing more). Events
// wait in one queue for the readers (async iterator / Web stream); past maxQueuedEvents, new
// frame events are dropped (counted in droppedFrames) — utterance, speech-start/-end and error
// events are never dropped. Listeners (on('utterance', …)) get every event as it happens; a
// stream read through listeners alone (no iterator, a listener attached) keeps no queue.
// Memory: the native stream's bounded buffers, the last maxUtteranceSeconds + pads of 16 kHz
// audio, the event queue: nothing grows with the stream's length.
import { EventEmitter } from 'node:events';
import { analyzeSamples16k, type AnalysisResult } from './analyze.js';
import { AbortError, checkSignal } from './abort.js';
import { EmotionThinkerError, fromNative, invalidArg } from './errors.js';
import { native, type RawProsodyStream, type RawStreamOutput } from './native.js';
import type { ProsodyAnalysisOptions } from './option-types.js';
import { PROSODY_OPTION_SPECS } from './option-specs.js';
import { checkGender, type Gender } from './level-calibration.js';
import { modelOption, type EmotionModel } from './inference/model.js';
import { STREAM_DEFAULTS, STREAM_NATIVE_OPTION_SPECS, streamOption } from './stream-options.js';
import { noiseFloorOf, soundingThresholdDb } from './sounding-rule.js';

/** 16 kHz: the rate the stream analyses at (the native stream converts to it). */
const RATE = 16000;
/** Largest piece of input handed to the native stream at once (bounds intermediate memory). */
const PIECE_SECONDS = 1;
/** Pieces up to this long are processed on the calling thread (a 20 ms chunk costs tens of µs). */
const SYNC_SECONDS = 0.1;
const SILERO_WINDOW = 512;
/** Times in events are rounded to the microsecond (frame i at i · hop exactly, without float residue). */
const us = (t: number) => Math.round(t * 1e6) / 1e6;
/** Longest stretch of synchronous processing before the loop yields to the event loop. */
const YIELD_MS = 4;
/** Values per frame in NativeOut.fields (bindings/stream_bindings.cpp kFrameFields). */
const FIELDS = 6;

/**
 * A speaker session (the robust-emotion API, issue #16, defines the full one): what a stream
 * needs from it. Every member is optional; a SpeakerSession fits as it is.
 */
export interface StreamSession {
  /** Speaker gender, when known (used for the pitch level and the analysis). */
  gender?: Gender | null;
  /**
   * Analyses one turn (16 kHz float WAV bytes) instead of analyze(): e.g. the emotion relative to
   * the speaker's own voice, with the speaker's baseline updated from the turn.
   */
  analyze?(audio: Uint8Array, options?: { signal?: AbortSignal }): Promise<AnalysisResult>;
  /** Called with each utterance before it is emitted; may return a replacement (e.g. speaker-normalised). */
  adapt?(utterance: UtteranceEvent): UtteranceEvent | void | Promise<UtteranceEvent | void>;
}

export interface ProsodyStreamOptions extends Partial<typeof STREAM_DEFAULTS> {
  /** Rate of the written samples (any rate the decoders accept; converted to 16 kHz internally). */
  sampleRate: number;
  /** Turn segmentation: 'energy' (default) or 'silero'. */
  vad?: 'energy' | 'silero';
  /** Emit a frame event per 10 ms frame (default true). */
  frames?: boolean;
  /** Model file path or loaded model for the utterance analysis (default: the bundled model). */
  model?: string | EmotionModel;
  /** Speaker session (see StreamSession). */
  session?: StreamSession;
  /** Speaker gender from metadata. */
  gender?: Gender;
  /** Aborts the stream: pending work is dropped and readers get an AbortError. */
  signal?: AbortSignal;
  /** Tracker options (the F0/energy keys of extractProsody, and maxLagSeconds, referenceSeconds, referenceFloorDb, priorSeconds). */
  tracker?: ProsodyAnalysisOptions & { maxLagSeconds?: number; referenceSeconds?: number; referenceFloorDb?: number; priorSeconds?: number };
}

export interface FrameEvent { type: 'frame'; time: number; f0: number | null; voicing: number; rmsDbfs: number; intensityDb: number }
export interface SpeechStartEvent { type: 'speech-start'; time: number }
export interface SpeechEndEvent { type: 'speech-end'; time: number; forced: boolean }
export interface UtteranceEvent {
  type: 'utterance';
  /** The analysed span (speech padded by padMs), seconds from the stream start. */
  start: number;
  end: number;
  /** Speech proper (without the pads). */
  speechStart: number;
  speechEnd: number;
  prosody: AnalysisResult['prosody'];
  emotion: string | null;
  probabilities: Record<string, number>;
  reasoning: string;
  claims: AnalysisResult['claims'];
  /** As analyze's: true when the evidence is weak or out of what the model learnt (emotion null when too little voiced speech). */
  uncertain: boolean;
  /** Why it is uncertain, as analyze gives it; empty when not. */
  uncertainty: AnalysisResult['uncertainty'];
  /** Seconds from the end of the turn's audio being written to this event (VAD hangover excluded: see timing). */
  timing: { hangoverSeconds: number; processingSeconds: number };
}
export interface StreamErrorEvent { type: 'error'; code: string; message: string; time: number }
export type StreamEvent = FrameEvent | SpeechStartEvent | SpeechEndEvent | UtteranceEvent | StreamErrorEvent;

/** PCM chunk: Int16Array, Float32Array (±1 full scale) or Buffer/Uint8Array of PCM16 little-endian. */
export type PcmChunk = Int16Array | Float32Array | Uint8Array;

type NativeStream = RawProsodyStream;
type NativeOut = RawStreamOutput;
const TRACKER_KEYS = new Set([...PROSODY_OPTION_SPECS.map((s) => s.key), ...STREAM_NATIVE_OPTION_SPECS.map((s) => s.key)]);
const OWN_KEYS = new Set(['sampleRate', 'vad', 'frames', 'model', 'session', 'gender', 'signal', 'tracker', ...Object.keys(STREAM_DEFAULTS)]);

/** The last `capacity` samples of a 16 kHz signal, addressed by absolute sample index. */
class AudioRing {
  readonly buf: Float32Array;
  total = 0;
  constructor(capacity: number) {
    this.buf = new Float32Array(capacity);
  }
  write(x: Float32Array): void {
    const n = this.buf.length;
    const src = x.length > n ? x.subarray(x.length - n) : x;
    this.total += x.length - src.length;
    const at = this.total % n;
    const first = Math.min(src.length, n - at);
    this.buf.set(src.subarray(0, first), at);
    if (first < src.length) this.buf.set(src.subarray(first), 0);
    this.total += src.length;
  }
  /** Samples [a, b) (clamped to what is still held). */
  read(a: number, b: number): Float32Array {
    const n = this.buf.length;
    a = Math.max(a, this.total - n, 0);
    b = Math.min(b, this.total);
    const out = new Float32Array(Math.max(0, b - a));
    if (b <= a) return out;
    // At most two contiguous pieces of the ring.
    const at = a % n, first = Math.min(b - a, n - at);
    out.set(this.buf.subarray(at, at + first));
    if (first < b - a) out.set(this.buf.subarray(0, b - a - first), first);
    return out;
  }
}

/** Float32 WAV bytes (mono): the utterance goes through analyze's own decoding path unchanged. */
function floatWav(samples: Float32Array, rate: number): Uint8Array {
  const data = samples.length * 4;
  const out = new Uint8Array(44 + data);
  const v = new DataView(out.buffer);
  const str = (o: number, s: string) => [...s].forEach((c, i) => v.setUint8(o + i, c.charCodeAt(0)));
  str(0, 'RIFF');
  v.setUint32(4, 36 + data, true);
  str(8, 'WAVE');
  str(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 3, true); // IEEE float
  v.setUint16(22, 1, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * 4, true);
  v.setUint16(32, 4, true);
  v.setUint16(34, 32, true);
  str(36, 'data');
  v.setUint32(40, data, true);
  new Float32Array(out.buffer, 44, samples.length).set(samples);
  return out;
}

interface Piece { samples: Float32Array }

/** The stream object createProsodyStream returns. */
export class ProsodyStream extends EventEmitter implements AsyncIterable<StreamEvent> {
  readonly sampleRate: number;
  /** Bound on the delay from a frame's time to its frame event (seconds of audio written after it). */
  readonly lagSeconds: number;
  /** Seconds between frames (the tracker's hopSeconds). */
  readonly hopSeconds: number;
  /** Frame events dropped because readers fell behind (see maxQueuedEvents). */
  droppedFrames = 0;

  #native: NativeStream;
  #opts: typeof STREAM_DEFAULTS;
  /** The energy VAD's threshold options (soundingThresholdDb), built once from #opts. */
  #sounding: { relativeDb: number; noiseMarginDb: number; floorDb: number };
  #frames: boolean;
  #vad: 'energy' | 'silero';
  #model: EmotionModel;
  #session?: StreamSession;
  #gender?: Gender;
  #signal?: AbortSignal;
  #hop: number;

  #pending: Piece[] = [];
  #pendingSamples = 0;
  #oddByte: number | null = null;
  #ended = false;
  #closed = false;
  #aborted: unknown = null;
  #work: Promise<void> = Promise.resolve();
  #idleWaiters: (() => void)[] = [];
  #drainWaiters: (() => void)[] = [];
  #written = 0; // input samples accepted
  #finishing = false;
  #running = false;

  // Turn state
  #ring: AudioRing;
  #speaking = false;
  #runStart = -1; // first speech step of the current candidate run (seconds)
  #runSpeech = 0; // seconds of speech in the current run
  #lastSpeech = -1; // end of the last speech step (seconds)
  #turnStart = 0;
  #recent: { t: number; v: number }[] = []; // the energy VAD's frame levels of the last energyPeakSeconds, oldest first
  #recentSorted: number[] = []; // the same levels in ascending order: the window's peak (last) and noise floor quantile
  #recentHead = 0; // index of the oldest frame still in the window (#recent is compacted now and then)
  #analysis: Promise<void> = Promise.resolve();

  // Silero
  #silero: Promise<SileroHandle> | null = null;
  #sileroBuf = new Float32Array(SILERO_WINDOW);
  #sileroFill = 0;
  #sileroPos = 0; // 16 kHz samples consumed by silero
  #sileroState: { h: Float32Array; c: Float32Array } = { h: new Float32Array(128), c: new Float32Array(128) };

  // Event queue for readers
  #queue: StreamEvent[] = [];
  #readers: ((r: IteratorResult<StreamEvent>) => void)[] = [];
  #readerErrors: ((e: unknown) => void)[] = [];
  // The readers' queue: on once an iterator exists; before that, only while no listener is
  // attached (events written before the first next() are kept for a reader to come, but a stream
  // read through listeners alone keeps no queue).
  #iterating = false;
  #iteratorReturned = false;
  #done = false;

  constructor(options: ProsodyStreamOptions) {
    super();
    if (options === null || typeof options !== 'object') throw invalidArg('options must be an object');
    for (const k of Object.keys(options)) if (!OWN_KEYS.has(k)) throw invalidArg(`unknown option "${k}"`);
    const rate = options.sampleRate;
    if (typeof rate !== 'number' || !Number.isInteger(rate)) throw invalidArg(`option "sampleRate" must be an integer sample rate in Hz; got ${JSON.stringify(rate)}`);
    const vad = options.vad ?? 'energy';
    if (vad !== 'energy' && vad !== 'silero') throw invalidArg(`option "vad" must be 'energy' or 'silero'; got ${JSON.stringify(options.vad)}`);
    if (options.frames !== undefined && typeof options.frames !== 'boolean') throw invalidArg(`option "frames" must be a boolean; got ${JSON.stringify(options.frames)}`);
    const tracker = options.tracker ?? {};
    if (tracker === null || typeof tracker !== 'object') throw invalidArg('option "tracker" must be an object');
    for (const k of Object.keys(tracker)) if (!TRACKER_KEYS.has(k)) throw invalidArg(`unknown tracker option "${k}"`);
    const s = options.session;
    if (s !== undefined && (s === null || typeof s !== 'object' || (s.adapt !== undefined && typeof s.adapt !== 'function') || (s.analyze !== undefined && typeof s.analyze !== 'function'))) {
      throw invalidArg('option "session" must be an object with optional analyze(audio) and adapt(utterance) functions');
    }
    this.#opts = Object.fromEntries(Object.keys(STREAM_DEFAULTS).map((k) => [k, streamOption(options as unknown as Record<string, unknown>, k as keyof typeof STREAM_DEFAULTS)])) as typeof STREAM_DEFAULTS;
    this.#sounding = { relativeDb: this.#opts.energyRelativeDb, noiseMarginDb: this.#opts.energyNoiseMarginDb, floorDb: this.#opts.energyFloorDb };
    this.#signal = checkSignal(options.signal, 'createProsodyStream');
    this.#native = (() => {
      try {
        return new native.ProsodyStream(rate, tracker);
      } catch (err) {
        throw fromNative(err, 'createProsodyStream');
      }
    })();
    this.sampleRate = rate;
    this.#hop = this.#native.hopSeconds();
    this.hopSeconds = this.#hop;
    this.lagSeconds = this.#native.lagBoundSeconds();
    this.#frames = options.frames ?? true;
    this.#vad = vad;
    this.#model = modelOption(options.model);
    this.#session = s;
    this.#gender = checkGender(options.gender) ?? s?.gender ?? undefined;
    const padS = this.#opts.padMs / 1000;
    this.#ring = new AudioRing(Math.ceil((this.#opts.maxUtteranceSeconds + 2 * padS + this.#opts.endSilenceMs / 1000 + this.lagSeconds + 2) * RATE));
    if (vad === 'silero') {
      this.#silero = acquireSilero();
      // A failed load is reported by the first #sileroFeed (error event, energy VAD from then on);
      // until that runs the rejection must count as handled, or Node ends the process for it.
      this.#silero.catch(() => undefined);
    }
    if (this.#signal) {
      if (this.#signal.aborted) this.#abort(this.#signal.reason);
      else this.#signal.addEventListener('abort', () => this.#abort(this.#signal!.reason), { once: true });
    }
  }

  /** Seconds of audio written so far. */
  get writtenSeconds(): number {
    return this.#written / this.sampleRate;
  }

  /**
   * Appends PCM. Returns false while more than highWaterSeconds of audio waits to be processed
   * (the audio is kept; await drained()). Bad input never throws: it becomes an error event.
   */
  write(chunk: PcmChunk | { samples: PcmChunk; sampleRate: number }): boolean {
    if (this.#ended || this.#closed) {
      this.#error('ERR_INVALID_ARG', this.#closed ? 'write after the stream was closed' : 'write after end(): the stream has ended; create a new stream');
      return false;
    }
    if (chunk && typeof chunk === 'object' && 'samples' in chunk && !ArrayBuffer.isView(chunk)) {
      if (chunk.sampleRate !== this.sampleRate) {
        this.#error('ERR_INVALID_ARG', `sample rate changed mid-stream from ${this.sampleRate} Hz to ${chunk.sampleRate} Hz; the chunk was dropped (a stream has one rate: create a new stream)`);
        return this.#pendingSamples <= this.#opts.highWaterSeconds * this.sampleRate;
      }
      chunk = chunk.samples;
    }
    const x = this.#toFloat(chunk as PcmChunk);
    if (x && x.length > 0) {
      // Pieces are views (no copy) of at most PIECE_SECONDS: a 10-minute chunk is converted and
      // analysed piece by piece.
      const step = Math.max(1, Math.round(PIECE_SECONDS * this.sampleRate));
      for (let b = 0; b < x.length; b += step) this.#pending.push({ samples: x.subarray(b, Math.min(x.length, b + step)) });
      this.#pendingSamples += x.length;
      this.#written += x.length;
      this.#kick();
    }
    return this.#pendingSamples <= this.#opts.highWaterSeconds * this.sampleRate;
  }

  /** Resolves when the unprocessed audio is below highWaterSeconds. */
  drained(): Promise<void> {
    if (this.#pendingSamples <= this.#opts.highWaterSeconds * this.sampleRate || this.#closed) return Promise.resolve();
    return new Promise((r) => this.#drainWaiters.push(r));
  }

  /** Ends the input: the last frames are decided, an open turn ends (speech-end) and is analysed. Resolves once every event is out. */
  async end(): Promise<void> {
    if (this.#ended) return this.#whenIdle();
    this.#ended = true;
    if (this.#oddByte !== null) {
      this.#error('ERR_INVALID_ARG', 'the stream ended with half a PCM16 sample (1 byte) pending; it was dropped');
      this.#oddByte = null;
    }
    this.#kick();
    await this.#whenIdle();
  }

  /** Resolves once everything written so far is processed and every turn ended so far is analysed. */
  idle(): Promise<void> {
    return this.#whenIdle();
  }

  async #whenIdle(): Promise<void> {
    for (;;) {
      const w = this.#work, a = this.#analysis;
      await w;
      await a;
      if (w === this.#work && a === this.#analysis && !this.#running) break;
    }
  }

  async #whenAnalysed(): Promise<void> {
    for (let a = this.#analysis; ; a = this.#analysis) {
      await a;
      if (a === this.#analysis) break;
    }
  }

  /** Stops at once: pending audio and analyses are dropped; readers end. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending = [];
    this.#pendingSamples = 0;
    this.#wakeDrain();
    this.#releaseSilero();
    this.#finishReaders();
  }

  #releaseSilero(): void {
    if (!this.#silero) return;
    const s = this.#silero;
    this.#silero = null;
    s.then(releaseSilero, () => undefined);
  }

  #abort(reason: unknown): void {
    this.#aborted = new AbortError(undefined, { cause: reason });
    this.#queue = [];
    for (const rej of this.#readerErrors.splice(0)) rej(this.#aborted);
    this.#readers = [];
    this.close();
  }

  // ---- input conversion ----

  #toFloat(chunk: PcmChunk): Float32Array | null {
    let x: Float32Array;
    if (chunk instanceof Float32Array) {
      // A copy: the chunk is processed later (a queued write), and a caller reusing one frame
      // buffer for every write would otherwise have its earlier chunks overwritten (no turn came out).
      x = Float32Array.from(chunk);
    } else if (chunk instanceof Int16Array) {
      x = new Float32Array(chunk.length);
      for (let i = 0; i < chunk.length; i++) x[i] = chunk[i] / 32768;
      return x;
    } else if (chunk instanceof Uint8Array) {
      let bytes = chunk;
      if (this.#oddByte !== null) {
        const b = new Uint8Array(bytes.length + 1);
        b[0] = this.#oddByte;
        b.set(bytes, 1);
        bytes = b;
        this.#oddByte = null;
      }
      const n = bytes.length >> 1;
      if (bytes.length & 1) this.#oddByte = bytes[bytes.length - 1];
      x = new Float32Array(n);
      const dv = new DataView(bytes.buffer, bytes.byteOffset, n * 2);
      for (let i = 0; i < n; i++) x[i] = dv.getInt16(2 * i, true) / 32768;
      return x;
    } else {
      const what = chunk === null ? 'null' : typeof chunk === 'object' ? (chunk as object).constructor?.name ?? 'object' : typeof chunk;
      this.#error('ERR_INVALID_ARG', `write() takes an Int16Array, a Float32Array or a Buffer of PCM16 little-endian; got ${what}`);
      return null;
    }
    // Float32 from the caller: NaN/Inf/beyond ±16 become 0 (the native core refuses them) and are reported once per chunk.
    let bad = -1, count = 0;
    for (let i = 0; i < x.length; i++) if (!(Math.abs(x[i]) <= 16)) { if (bad < 0) bad = i; count++; }
    if (bad >= 0) {
      const first = x[bad];
      for (let i = 0; i < x.length; i++) if (!(Math.abs(x[i]) <= 16)) x[i] = 0;
      this.#error('ERR_INVALID_ARG', `chunk at ${(this.#written / this.sampleRate).toFixed(3)} s: ${count} sample(s) not finite or beyond ±16 (first: index ${bad}, ${first}); replaced by 0`);
    }
    return x;
  }

  // ---- processing ----

  /** Starts the processing loop unless it runs (it picks up whatever is written meanwhile). */
  #kick(): void {
    if (this.#running) return;
    this.#running = true;
    this.#work = Promise.resolve()
      .then(() => this.#drain())
      .catch((err) => this.#error((err as { code?: string }).code ?? 'ERR_INTERNAL', (err as Error).message))
      .finally(() => {
        this.#running = false;
        if (!this.#closed && (this.#pending.length > 0 || (this.#ended && !this.#finishing))) this.#kick();
      });
  }

  async #drain(): Promise<void> {
    let slice = performance.now();
    while (!this.#closed && this.#pending.length > 0) {
      // Many small writes at once are processed on this thread: a turn of the event loop every
      // few milliseconds keeps it responsive.
      if (performance.now() - slice > YIELD_MS) {
        await new Promise((r) => setImmediate(r));
        slice = performance.now();
        if (this.#closed || this.#pending.length === 0) break;
      }
      const p = this.#pending.shift()!;
      const small = p.samples.length <= SYNC_SECONDS * this.sampleRate;
      let out: NativeOut;
      try {
        out = small ? this.#native.push(p.samples) : await this.#native.pushAsync(p.samples);
      } catch (err) {
        this.#pendingSamples -= p.samples.length;
        throw fromNative(err, 'stream');
      }
      this.#pendingSamples -= p.samples.length;
      if (this.#closed) return;
      const c = this.#consume(out, false);
      if (c) await c;
      this.#wakeDrain();
    }
    if (this.#ended && !this.#closed && this.#pending.length === 0 && !this.#finishing) {
      this.#finishing = true;
      try {
        const out = await this.#native.finishAsync().catch((err) => {
          throw fromNative(err, 'stream');
        });
        await this.#consume(out, true);
        await this.#whenAnalysed();
      } catch (err) {
        this.#error((err as { code?: string }).code ?? 'ERR_INTERNAL', (err as Error).message);
      } finally {
        // Readers end even when the last step failed (its error event comes before the end).
        this.#releaseSilero();
        this.#finishReaders();
      }
    }
  }

  #wakeDrain(): void {
    if (this.#pendingSamples <= this.#opts.highWaterSeconds * this.sampleRate) for (const w of this.#drainWaiters.splice(0)) w();
  }

  /** Frames, VAD and turns from one native output; a promise only when Silero has windows to run. */
  #consume(out: NativeOut, last: boolean): Promise<void> | void {
    this.#ring.write(out.samples16k);
    const hop = this.#hop;
    if (this.#frames) {
      const f = out.fields;
      for (let k = 0; k < out.index.length; k++) {
        const d = k * FIELDS, f0 = f[d];
        this.#push({ type: 'frame', time: us(out.index[k] * hop), f0: Number.isNaN(f0) ? null : f0, voicing: f[d + 2], rmsDbfs: f[d + 4], intensityDb: f[d + 5] });
      }
    }
    if (this.#vad === 'energy') this.#energySteps(out);
    const finish = () => {
      if (!last) return;
      const end = this.#ring.total / RATE;
      if (this.#speaking) this.#endTurn(Math.max(this.#lastSpeech, this.#turnStart), false, end);
    };
    if (this.#vad === 'silero' && this.#silero && (out.samples16k.length > 0 || last)) {
      return this.#sileroFeed(out.samples16k, last).then((fellBack) => {
        // Silero turned out unavailable on this output: its energies go to the energy VAD, so a
        // fallback stream segments exactly as an energy stream from its first sample.
        if (fellBack) this.#energySteps(out);
        finish();
      });
    }
    finish();
  }

  #energySteps(out: NativeOut): void {
    const hop = this.#hop;
    for (let k = 0; k < out.energyIndex.length; k++) {
      const time = out.energyIndex[k] * hop;
      this.#step(time - hop / 2, time + hop / 2, this.#energySpeech(time, out.energyRmsDbfs[k]));
    }
  }

  /**
   * Energy VAD: RMS within energyRelativeDb of the loudest frame of the last energyPeakSeconds,
   * above the floor, and energyNoiseMarginDb above the window's noise floor, that last bound never
   * within noiseMinRangeDb of the peak (src/sounding-rule.ts, the offline silence rule). Without
   * the noise floor, white noise at 10 dB SNR held every frame within 30 dB of the speech peaks
   * and a stream of four sentences with 1.5 s gaps became one 21 s turn.
   */
  #energySpeech(t: number, db: number): boolean {
    // The window's levels, sorted: a binary-search insert and removal per frame (energyPeakSeconds
    // of 10 ms frames at most, 1,000 by default). Its last value is the window's peak.
    const from = t - this.#opts.energyPeakSeconds;
    const sorted = this.#recentSorted, recent = this.#recent;
    recent.push({ t, v: db });
    sorted.splice(lowerBound(sorted, db), 0, db);
    while (recent[this.#recentHead].t < from) sorted.splice(lowerBound(sorted, recent[this.#recentHead++].v), 1);
    if (this.#recentHead > 4096) recent.splice(0, this.#recentHead), (this.#recentHead = 0);
    const peak = sorted[sorted.length - 1];
    return db >= soundingThresholdDb(peak, noiseFloorOf(sorted), this.#sounding);
  }

  /** Runs Silero over the new samples; true when Silero proved unavailable here (the stream now segments by energy). */
  async #sileroFeed(x: Float32Array, last: boolean): Promise<boolean> {
    const pending = this.#silero;
    if (!pending) return false;
    let handle: SileroHandle;
    try {
      handle = await pending;
    } catch (err) {
      // No Silero model (onnxruntime or the model file missing): say so once and segment by energy.
      this.#silero = null;
      this.#vad = 'energy';
      this.#error((err as { code?: string }).code ?? 'ERR_BACKEND_UNAVAILABLE', `Silero VAD unavailable (${(err as Error).message}); turns are segmented by the energy VAD`);
      return true;
    }
    let i = 0;
    const run = async () => {
      const start = this.#sileroPos / RATE;
      const p = await handle.prob(this.#sileroBuf, this.#sileroState);
      this.#sileroPos += SILERO_WINDOW;
      this.#sileroFill = 0;
      this.#step(start, this.#sileroPos / RATE, p >= this.#opts.sileroThreshold);
    };
    while (i < x.length) {
      const n = Math.min(SILERO_WINDOW - this.#sileroFill, x.length - i);
      this.#sileroBuf.set(x.subarray(i, i + n), this.#sileroFill);
      this.#sileroFill += n;
      i += n;
      if (this.#sileroFill === SILERO_WINDOW) await run();
      if (this.#closed) return false;
    }
    if (last && this.#sileroFill > 0) {
      this.#sileroBuf.fill(0, this.#sileroFill);
      await run();
    }
    return false;
  }

  /** Turn state machine: one VAD decision for the audio [a, b). */
  #step(a: number, b: number, speech: boolean): void {
    const o = this.#opts;
    if (speech) {
      if (this.#runStart < 0 || a - this.#lastSpeech > o.endSilenceMs / 1000) {
        this.#runStart = a;
        this.#runSpeech = 0;
      }
      this.#runSpeech += b - a;
      this.#lastSpeech = b;
      if (!this.#speaking && this.#runSpeech >= o.minSpeechMs / 1000) {
        this.#speaking = true;
        this.#turnStart = Math.max(0, this.#runStart);
        this.#push({ type: 'speech-start', time: us(this.#turnStart) });
      }
      if (this.#speaking && b - this.#turnStart >= o.maxUtteranceSeconds) {
        this.#endTurn(b, true, b);
        this.#speaking = true; // the speech goes on: a new turn starts here
        this.#turnStart = b;
        this.#runStart = b;
        this.#runSpeech = 0;
        this.#push({ type: 'speech-start', time: us(b) });
      }
    } else if (this.#speaking && b - this.#lastSpeech >= o.endSilenceMs / 1000) {
      this.#endTurn(this.#lastSpeech, false, b);
    }
  }

  /** Ends the current turn at `end` (decided at audio time `decidedAt`) and queues its analysis. */
  #endTurn(end: number, forced: boolean, decidedAt: number): void {
    this.#speaking = false;
    this.#runStart = -1;
    this.#runSpeech = 0;
    this.#push({ type: 'speech-end', time: us(end), forced });
    const pad = this.#opts.padMs / 1000;
    const start = Math.max(0, this.#turnStart - pad);
    const stop = Math.min(this.#ring.total / RATE, end + pad);
    const a = Math.round(start * RATE), b = Math.round(stop * RATE);
    const samples = this.#ring.read(a, b);
    const t0 = performance.now();
    const speechStart = this.#turnStart;
    const hangover = Math.max(0, decidedAt - end);
    this.#analysis = this.#analysis.then(async () => {
      if (this.#closed) return;
      try {
        // The turn's samples are this stream's own copy (ring.read): analysed in place, as
        // analyze() would analyse a 16 kHz float WAV of them (a session gets that WAV).
        const result = this.#session?.analyze
          ? await this.#session.analyze(floatWav(samples, RATE), { signal: this.#signal })
          : (await analyzeSamples16k(samples, { model: this.#model, gender: this.#gender })).result;
        let ev: UtteranceEvent = {
          type: 'utterance', start: us(a / RATE), end: us(b / RATE), speechStart: us(speechStart), speechEnd: us(end),
          prosody: result.prosody, emotion: result.emotion, probabilities: result.probabilities, reasoning: result.reasoning,
          claims: result.claims, uncertain: result.uncertain || result.insufficientEvidence, uncertainty: result.uncertainty ?? [],
          timing: { hangoverSeconds: hangover, processingSeconds: (performance.now() - t0) / 1000 },
        };
        if (this.#session?.adapt) ev = (await this.#session.adapt(ev)) ?? ev;
        if (!this.#closed) this.#push(ev);
      } catch (err) {
        const e = err instanceof EmotionThinkerError ? err : fromNative(err, 'stream');
        this.#error(e.code, `utterance ${start.toFixed(2)}–${stop.toFixed(2)} s: ${e.message}`);
      }
    });
  }

  // ---- events ----

  #error(code: string, message: string): void {
    this.#push({ type: 'error', code, message, time: this.#written / this.sampleRate });
  }

  #push(ev: StreamEvent): void {
    if (this.#closed && ev.type !== 'error') return;
    // Listeners see everything; an 'error' listener is optional (no throw without one).
    if (ev.type !== 'error' || this.listenerCount('error') > 0) this.emit(ev.type, ev);
    this.emit('event', ev);
    if (!this.#iterating && (this.#iteratorReturned || this.#listened())) return;
    const r = this.#readers.shift();
    if (r) {
      this.#readerErrors.shift();
      r({ value: ev, done: false });
      return;
    }
    if (ev.type === 'frame' && this.#queue.length >= this.#opts.maxQueuedEvents) {
      this.droppedFrames++;
      return;
    }
    this.#queue.push(ev);
  }

  #finishReaders(): void {
    this.#done = true;
    for (const r of this.#readers.splice(0)) r({ value: undefined, done: true });
    this.#readerErrors = [];
    this.emit('end');
  }

  #listened(): boolean {
    for (const n of ['event', 'frame', 'speech-start', 'speech-end', 'utterance']) if (this.listenerCount(n) > 0) return true;
    return false;
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamEvent> {
    this.#iterating = true;
    return {
      next: () => {
        if (this.#aborted) return Promise.reject(this.#aborted);
        if (this.#queue.length) return Promise.resolve({ value: this.#queue.shift()!, done: false });
        if (this.#done || this.#closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.#readers.push(resolve);
          this.#readerErrors.push(reject);
        });
      },
      return: () => {
        this.#iterating = false;
        this.#iteratorReturned = true;
        this.#queue = [];
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  /**
   * The Web Streams form: write PCM chunks to `writable`, read events from `readable` (the same
   * events as the async iterator; closing the writable ends the stream).
   */
  toWeb(): { writable: WritableStream<PcmChunk>; readable: ReadableStream<StreamEvent> } {
    const it = this[Symbol.asyncIterator]();
    const writable = new WritableStream<PcmChunk>({
      write: async (chunk) => {
        if (!this.write(chunk)) await this.drained();
      },
      close: () => this.end(),
      abort: () => this.close(),
    });
    const readable = new ReadableStream<StreamEvent>({
      pull: async (controller) => {
        const r = await it.next();
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      },
      cancel: () => {
        void it.return?.();
      },
    });
    return { writable, readable };
  }
}

/** Creates a live prosody stream (see ProsodyStream). */
export function createProsodyStream(options: ProsodyStreamOptions): ProsodyStream {
  return new ProsodyStream(options);
}

// ---- Silero, one model per process shared by the streams (each stream carries its own state) ----

interface SileroHandle {
  prob(window: Float32Array, state: { h: Float32Array; c: Float32Array }): Promise<number>;
}
interface SileroShared { vad: Promise<import('./vad.js').SileroVad>; users: number }
let sileroShared: SileroShared | null = null;

function acquireSilero(): Promise<SileroHandle> {
  if (!sileroShared) {
    const shared: SileroShared = { vad: import('./vad.js').then((m) => m.SileroVad.create()), users: 0 };
    // A failed load is not cached: the next stream tries again.
    shared.vad.catch(() => {
      if (sileroShared === shared) sileroShared = null;
    });
    sileroShared = shared;
  }
  sileroShared.users++;
  return sileroShared.vad.then((vad) => ({
    async prob(window, state) {
      const out = await vad.model.run({
        input: { type: 'float32', dims: [1, SILERO_WINDOW], data: Float32Array.from(window) },
        sr: { type: 'int64', dims: [], data: BigInt64Array.of(BigInt(RATE)) },
        h: { type: 'float32', dims: [2, 1, 64], data: state.h },
        c: { type: 'float32', dims: [2, 1, 64], data: state.c },
      });
      state.h = Float32Array.from(out.hn.data as Float32Array);
      state.c = Float32Array.from(out.cn.data as Float32Array);
      return (out.output.data as Float32Array)[0];
    },
  }));
}

function releaseSilero(): void {
  if (!sileroShared) return;
  if (--sileroShared.users > 0) return;
  const s = sileroShared;
  sileroShared = null;
  void s.vad.then((v) => v.dispose()).catch(() => undefined);
}

/** The first index of the ascending array `a` whose value is not below `v`. */
function lowerBound(a: number[], v: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
