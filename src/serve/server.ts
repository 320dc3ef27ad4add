// The reward server for Python trainers (issue #17 §2): OpenRLHF's remote reward model
// (POST /get_reward), the GRPO-PTR group form (POST /v1/rewards: reward parts, trust, group
// advantages from the native kernels, the per-run progressive gate), and GET /health. On
// fastify. Loopback by default; a token beyond it; audio paths confined to --audio-root; body
// limit, per-request deadline and a concurrency bound that answers 429 instead of queueing.
import { timingSafeEqual } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import pMap from 'p-map';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { AbortError } from '../abort.js';
import { EmotionThinkerError, invalidArg } from '../errors.js';
import { groupAdvantages, ptrRewards, type AdvantageMode } from '../grpo.js';
import { packageRoot } from '../package-root.js';
import { DEFAULT_ANSWER_VOCABULARY } from '../verify/answer.js';
import { MEASUREMENT_KIND, measureAudio, readResponse, scoreRead, scoringContext, singleRewards, type ReadResponse, type ScoredResponse, type ScoringContext } from '../verify/verify.js';
import type { ProsodyMeasurements } from '../verify/measure.js';
import { HttpError, resolveAudio } from './audio-ref.js';
import { GateStore } from './gate-store.js';
import { resolveServeOptions, SERVE_DEFAULTS, type ResolvedServeOptions, type ServeOptions } from './options.js';
import { ProsodyCache } from './prosody-cache.js';
import { TextCache } from './text-cache.js';

/** Text scored between two turns of the event loop. */
const YIELD_CHARS = 64 * 1024;

const version = (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** HTTP status of a package error (HttpError carries its own). */
function statusOf(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  if ((err as Error)?.name === 'AbortError') return 504;
  const fst = (err as { statusCode?: number }).statusCode;
  if (typeof fst === 'number' && fst >= 400 && fst < 600) return fst;
  if (err instanceof EmotionThinkerError) {
    if (err.code === 'ERR_INVALID_ARG') return 400;
    if (err.code === 'ERR_FILE' || err.code === 'ERR_AUDIO_FORMAT' || err.code === 'ERR_AUDIO_UNSUPPORTED') return 422;
    if (err.code === 'ERR_OUT_OF_MEMORY') return 413;
  }
  return 500;
}

function codeOf(err: unknown, status: number): string {
  if (err instanceof EmotionThinkerError) return err.code;
  if ((err as Error)?.name === 'AbortError') return 'ABORT_ERR';
  // fastify's own refusals (bad JSON, body too large, wrong content type) are invalid arguments.
  return status < 500 ? 'ERR_INVALID_ARG' : 'ERR_INTERNAL';
}

function sendError(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).header('content-type', 'application/json; charset=utf-8').send({ error: { code, message, status } });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const bad = (message: string) => new HttpError(400, invalidArg(message));

function stringArray(v: unknown, field: string, n?: number): string[] {
  if (!Array.isArray(v)) throw bad(`${field} must be an array of strings`);
  if (v.length === 0) throw bad(`${field} must not be empty`);
  if (v.length > SERVE_DEFAULTS.maxResponses) throw bad(`${field} has ${v.length} entries; at most ${SERVE_DEFAULTS.maxResponses} per request`);
  if (n !== undefined && v.length !== n) throw bad(`${field} has ${v.length} entries but query has ${n}; they must match`);
  v.forEach((s, i) => {
    if (typeof s !== 'string') throw bad(`${field}[${i}] must be a string; got ${s === null ? 'null' : typeof s}`);
  });
  return v as string[];
}

/** A run id: a non-empty string of at most 200 characters (the gate store's key). */
function runArg(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 200) throw bad(`${field} must be a non-empty string of at most 200 characters`);
  return v;
}

/** A training step: a non-negative integer (a query string gives it as digits). */
function stepArg(v: unknown, field: string, fromQueryString = false): number {
  const n = fromQueryString && typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw bad(`${field} must be a non-negative integer`);
  return n;
}

/** A label's group name (the responses to one prompt): any string up to MAX_GROUP_CHARS. */
const MAX_GROUP_CHARS = 64 * 1024;
function groupArg(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length > MAX_GROUP_CHARS) throw bad(`${field} must be a string of at most ${MAX_GROUP_CHARS} characters`);
  return v;
}

/**
 * The one value a request gives for `name` across the places it may come from (the URL's query
 * string, the body, each label), or undefined when none gives it; different values are an error.
 */
function agreed<T>(name: string, found: [T, string][]): T | undefined {
  if (found.length === 0) return undefined;
  const [first, where] = found[0];
  for (const [v, w] of found) if (v !== first) throw bad(`${w} is ${JSON.stringify(v)} but ${where} is ${JSON.stringify(first)}: one ${name} per request`);
  return first;
}

/** An OpenRLHF label: { audio, emotion, run?, step? } or that object as a JSON string. */
function parseLabel(v: unknown, field: string): { audio: unknown; emotion: string | undefined; run?: string; step?: number; group?: string } {
  let o: unknown = v;
  if (typeof v === 'string') {
    try {
      o = JSON.parse(v);
    } catch {
      throw bad(`${field} must be an object {audio, emotion} or that object as a JSON string`);
    }
  }
  if (!isObject(o)) throw bad(`${field} must be an object {audio, emotion}`);
  if (o.emotion !== undefined && typeof o.emotion !== 'string') throw bad(`${field}.emotion must be a string`);
  return {
    audio: o.audio,
    emotion: o.emotion as string | undefined,
    ...(o.run === undefined || o.run === null ? {} : { run: runArg(o.run, `${field}.run`) }),
    ...(o.step === undefined || o.step === null ? {} : { step: stepArg(o.step, `${field}.step`) }),
    ...(o.group === undefined || o.group === null ? {} : { group: groupArg(o.group, `${field}.group`) }),
  };
}

export interface RewardServer {
  app: FastifyInstance;
  options: ResolvedServeOptions;
  cache: ProsodyCache;
  gates: GateStore;
  /** Starts listening; resolves with the URL. */
  listen(): Promise<string>;
  /** Stops accepting, waits for in-flight requests, writes the gate state. */
  close(): Promise<void>;
}

/** How long past the deadline an answer may take to leave (a client reading it slowly), before its connection is cut. */
const RESPONSE_WRITE_GRACE_MS = 10_000;

/** Clips of one /get_reward batch measured at once (the thread pool's work; memory is this many decoded clips). */
const MEASURE_CONCURRENCY = Math.max(2, os.availableParallelism());

export function createRewardServer(opts: ServeOptions = {}): RewardServer {
  const o = resolveServeOptions(opts);
  const cache = new ProsodyCache(o.cacheBytes);
  // The server scores with the default vocabulary (scoringContext without options), so a text's
  // reading is the same for every clip.
  const textCache = new TextCache(o.textCacheBytes);
  const readText = (t: string) => readResponse(t, DEFAULT_ANSWER_VOCABULARY);
  const read = (t: string): ReadResponse => (typeof t === 'string' ? textCache.get(t, readText) : readText(t));
  const gates = new GateStore(o.stateFile, o.gate);
  const token = o.token ? Buffer.from(o.token) : null;
  let inFlight = 0;

  const app = Fastify({
    bodyLimit: o.bodyLimit,
    logger: false,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // Receiving the request counts against the deadline too (slow clients). Node checks it every
    // connectionsCheckingInterval (30 s by default): a body trickled a byte at a time held its
    // connection for 87 s whatever the deadline.
    requestTimeout: o.requestTimeoutMs,
    http: { connectionsCheckingInterval: Math.max(100, Math.min(1000, o.requestTimeoutMs / 4)) },
    // Errors of the connection itself (a request not received in time: 408; malformed HTTP: 400)
    // in the same {error: {code, message, status}} shape as every other error.
    clientErrorHandler: (err: Error & { code?: string }, socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return socket.destroy();
      const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      const message = status === 408 ? `the request was not received within ${o.requestTimeoutMs} ms` : `malformed HTTP request (${err.code ?? err.message})`;
      const body = JSON.stringify({ error: { code: 'ERR_INVALID_ARG', message, status } });
      socket.end(`HTTP/1.1 ${status} ${status === 408 ? 'Request Timeout' : status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    },
  });

  app.addHook('onRequest', async (req, reply) => {
    if (token) {
      const h = req.headers.authorization ?? '';
      const m = /^Bearer (.+)$/.exec(h);
      const given = m ? Buffer.from(m[1]) : null;
      if (!given || given.length !== token.length || !timingSafeEqual(given, token)) {
        return sendError(reply, 401, 'ERR_INVALID_ARG', m ? 'wrong bearer token' : 'missing "Authorization: Bearer <token>" header');
      }
    }
    if (req.method === 'POST') {
      if (inFlight >= o.maxConcurrent) {
        reply.header('retry-after', '1');
        return sendError(reply, 429, 'ERR_INVALID_ARG', `the server is handling ${inFlight} requests (its limit); retry later`);
      }
      inFlight++;
      // Released when the response closes, however it ends: sent, or the client gone (Fastify runs
      // no onResponse then, and each early disconnect used to keep its slot: after
      // --max-concurrent of them every POST was a 429 until a restart).
      let released = false;
      // The body must arrive within the deadline. (Node's requestTimeout did not end a body
      // trickled a byte at a time under Fastify: such a client held its slot for minutes.)
      const receiving = setTimeout(() => {
        if (req.raw.complete || reply.raw.headersSent) return;
        const body = JSON.stringify({ error: { code: 'ERR_INVALID_ARG', message: `the request body was not received within ${o.requestTimeoutMs} ms`, status: 408 } });
        reply.raw.writeHead(408, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
        reply.raw.end(body, () => req.raw.destroy());
      }, o.requestTimeoutMs);
      // The response's close, or the socket's: a pipelined request queued behind another never
      // gets its own close when the client leaves (those slots leaked, max − 1 of them).
      const socket = req.raw.socket;
      // The answer must also leave: a client that never reads it held its slot and the answer's
      // memory indefinitely (the deadline covers receiving and working, not writing).
      const lifetime = setTimeout(() => {
        if (!reply.raw.writableFinished) socket?.destroy();
      }, o.requestTimeoutMs + RESPONSE_WRITE_GRACE_MS);
      const release = () => {
        clearTimeout(receiving);
        clearTimeout(lifetime);
        reply.raw.off('close', release);
        socket?.off('close', release);
        if (!released) (released = true), inFlight--;
      };
      reply.raw.once('close', release);
      socket?.once('close', release);
    }
  });
  // While draining, each response closes its connection: a keep-alive socket would otherwise hold
  // the server open until its idle timeout after the last in-flight request is answered.
  let draining = false;
  app.addHook('onSend', async (_req, reply, payload) => {
    if (draining) reply.header('connection', 'close');
    return payload;
  });
  app.setErrorHandler((err, _req, reply) => {
    const status = statusOf(err);
    const message = status >= 500 && !(err instanceof EmotionThinkerError) && (err as Error).name !== 'AbortError' ? `internal error: ${(err as Error).message}` : (err as Error).message;
    return sendError(reply, status, codeOf(err, status), message);
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, 'ERR_INVALID_ARG', `no route ${req.method} ${req.url}; routes: POST /get_reward, POST /v1/rewards, GET /health`));

  /** Runs `work` under the per-request deadline; a client that goes away ends it too (no clip measured for nobody). */
  async function withDeadline<T>(reply: FastifyReply, work: (deadline: { expired: boolean }) => Promise<T>): Promise<T> {
    const ac = new AbortController();
    const deadline = { expired: false };
    const timer = setTimeout(() => {
      deadline.expired = true;
      ac.abort();
    }, o.requestTimeoutMs);
    const gone = () => {
      if (reply.raw.writableFinished) return;
      deadline.expired = true;
      ac.abort();
    };
    const socket = reply.request.raw.socket;
    reply.raw.once('close', gone);
    socket?.once('close', gone);
    try {
      const r = await Promise.race([
        work(deadline),
        new Promise<never>((_, reject) => ac.signal.addEventListener('abort', () => reject(new AbortError(`the request took longer than ${o.requestTimeoutMs} ms`)), { once: true })),
      ]);
      return r;
    } finally {
      clearTimeout(timer);
      reply.raw.off('close', gone);
      socket?.off('close', gone);
    }
  }

  // The scoring context of a measurement (levels, cut points), made once per cached measurement.
  const contexts = new WeakMap<ProsodyMeasurements, ScoringContext>();
  const contextOf = (p: ProsodyMeasurements) => {
    let c = contexts.get(p);
    if (!c) contexts.set(p, (c = scoringContext(p)));
    return c;
  };

  // The measurement is not aborted with the request that started it: other requests for the same
  // content may be waiting on it, and it ends in the cache either way (bounded by maxDuration).
  async function prosodyOf(audio: unknown, field: string): Promise<ProsodyMeasurements> {
    const a = await resolveAudio(audio, o.audioRoots, field);
    // Keyed on what is computed (measureAudio's kind: prosody and vocal effort) and the content.
    const keyOf = (content: string) => `${MEASUREMENT_KIND}:${content}`;
    try {
      const hit = cache.peek(keyOf(a.key));
      if (hit) return hit;
      const { bytes, key } = await a.read();
      return await cache.get(keyOf(key), () => measureAudio(bytes, { maxDuration: o.maxDuration }));
    } catch (err) {
      if (err instanceof EmotionThinkerError) throw new HttpError(statusOf(err), new EmotionThinkerError(err.code, `${field} (${a.name}): ${err.message}`));
      throw err;
    }
  }

  // Groups of /get_reward: the responses to one prompt (a label's `group`, else its prompt) about
  // one clip with one reference emotion (OpenRLHF's n_samples_per_prompt), wherever they sit in
  // the batch.
  const clipIds = new WeakMap<ProsodyMeasurements, number>();
  let nextClip = 0;
  const groupKey = (prompt: string, p: ProsodyMeasurements, emotion: string | undefined) => {
    let id = clipIds.get(p);
    if (id === undefined) clipIds.set(p, (id = nextClip++));
    return `${id}\u0000${emotion ?? ''}\u0000${prompt}`;
  };

  /**
   * GRPO-PTR rewards of a batch of groups under one run's progressive gate, as /v1/rewards gives
   * them for one group: the whole batch is one gate observation (one step, or part of `step`),
   * trust per group from the native kernel, results in the batch's order.
   */
  function gatedBatch(run: string, step: number | null, scored: ScoredResponse[], keyOf: (i: number) => string) {
    const groups = new Map<string, number[]>();
    scored.forEach((_, i) => {
      const k = keyOf(i);
      const list = groups.get(k);
      if (list) list.push(i);
      else groups.set(k, [i]);
    });
    const order = [...groups.values()].flat();
    const offsets = [0];
    for (const list of groups.values()) offsets.push(offsets[offsets.length - 1] + list.length);
    const judge = new Float64Array(order.length * 4);
    order.forEach((i, k) => {
      const s = scored[i].result.scores;
      judge.set([s.fa, s.iq, s.cc, s.fs], k * 4);
    });
    const correct = order.map((i) => scored[i].correct);
    const open = gates.record(run, step, correct.reduce((a, c) => a + c, 0), correct.length);
    const ptr = ptrRewards({ correct, format: order.map((i) => scored[i].format), judgeScores: judge, groups: offsets }, { reasoningEnabled: open });
    const rewards = new Array<number>(scored.length);
    const trust = new Array<number>(scored.length);
    let gi = 0;
    order.forEach((i, k) => {
      while (k >= offsets[gi + 1]) gi++;
      rewards[i] = ptr.reward[k];
      trust[i] = ptr.trust[gi];
    });
    const gate = gates.run(run).gate;
    return { rewards, trust, open, gate: { ...gate.toJSON(), movingAccuracy: gate.movingAccuracy } };
  }

  /**
   * Scores texts in order, giving the event loop a turn after every YIELD_CHARS of text, so a
   * request carrying megabytes of responses does not hold up the others (or its own deadline).
   */
  async function scoreAll(field: string, texts: string[], score: (t: string, i: number) => ScoredResponse, deadline: { expired: boolean }): Promise<ScoredResponse[]> {
    const out: ScoredResponse[] = [];
    let since = 0;
    for (let i = 0; i < texts.length; i++) {
      try {
        out.push(score(texts[i], i));
      } catch (err) {
        if (err instanceof EmotionThinkerError) throw new HttpError(statusOf(err), new EmotionThinkerError(err.code, `${field}[${i}]: ${err.message}`));
        throw err;
      }
      since += texts[i].length;
      if (since >= YIELD_CHARS) {
        since = 0;
        await yieldToLoop();
        if (deadline.expired) throw new AbortError(`the request took longer than ${o.requestTimeoutMs} ms`);
      }
    }
    return out;
  }

  app.get('/health', async () => ({
    status: 'ok',
    version,
    inFlight,
    maxConcurrent: o.maxConcurrent,
    cache: { entries: cache.size, bytes: cache.bytes, limitBytes: cache.limitBytes, hits: cache.hits, misses: cache.misses },
    textCache: { entries: textCache.size, bytes: textCache.bytes, limitBytes: textCache.limitBytes, hits: textCache.hits, misses: textCache.misses },
    runs: gates.runs,
  }));

  app.post('/get_reward', async (req, reply) =>
    withDeadline(reply, async (deadline) => {
      const b = req.body;
      if (!isObject(b)) throw bad('the body must be a JSON object {query, prompts?, labels}');
      const query = stringArray(b.query, 'query');
      const prompts = b.prompts === undefined || b.prompts === null ? null : stringArray(b.prompts, 'prompts', query.length);
      if (!Array.isArray(b.labels)) throw bad('labels must be an array with one {audio, emotion} per query');
      if (b.labels.length !== query.length) throw bad(`labels has ${b.labels.length} entries but query has ${query.length}; they must match`);
      const labels = b.labels.map((l, i) => parseLabel(l, `labels[${i}]`));
      // The run (and step) whose progressive gate applies: OpenRLHF posts only {query, prompts,
      // labels} to --remote_rm_url, so it can come in that URL's query string
      // (/get_reward?run=exp1) or in the dataset's labels; other clients may put it in the body.
      const url = (req.query ?? {}) as Record<string, unknown>;
      const run = agreed('run', [
        ...(url.run === undefined ? [] : [[runArg(url.run, 'the query string\'s run'), 'the query string\'s run'] as [string, string]]),
        ...(b.run === undefined || b.run === null ? [] : [[runArg(b.run, 'run'), 'run'] as [string, string]]),
        ...labels.flatMap((l, i) => (l.run === undefined ? [] : [[l.run, `labels[${i}].run`] as [string, string]])),
      ]);
      const step = agreed('step', [
        ...(url.step === undefined ? [] : [[stepArg(url.step, 'the query string\'s step', true), 'the query string\'s step'] as [number, string]]),
        ...(b.step === undefined || b.step === null ? [] : [[stepArg(b.step, 'step'), 'step'] as [number, string]]),
        ...labels.flatMap((l, i) => (l.step === undefined ? [] : [[l.step, `labels[${i}].step`] as [number, string]])),
      ]);
      if (step !== undefined && run === undefined) throw bad('step was given without a run: the step orders one run\'s gate');
      // A few clips at a time (each decodes to up to maxDuration of samples): all of a batch at once
      // took a 3 MB body of short FLACs that decode to two minutes each to 4 GB. None starts past
      // the deadline or after the client left.
      const prosody = await pMap(
        labels,
        (l, i) => {
          if (deadline.expired) throw new AbortError(`the request took longer than ${o.requestTimeoutMs} ms`);
          return prosodyOf(l.audio, `labels[${i}].audio`);
        },
        { concurrency: MEASURE_CONCURRENCY },
      );
      // OpenRLHF sends prompt + response as the query: score the response alone.
      const texts = query.map((q, i) => (prompts && q.startsWith(prompts[i]) ? q.slice(prompts[i].length) : q));
      const scored = await scoreAll('query', texts, (t, i) => scoreRead(contextOf(prosody[i]), read(t), labels[i].emotion, false), deadline);
      const col = (f: (s: ScoredResponse) => number) => scored.map(f);
      const extra_logs = {
        format: col((s) => s.format),
        outcome: col((s) => s.correct),
        fa: col((s) => s.result.scores.fa),
        iq: col((s) => s.result.scores.iq),
        cc: col((s) => s.result.scores.cc),
        fs: col((s) => s.result.scores.fs),
      };
      if (run === undefined) {
        // No run: each response on its own (τ = 1, reasoning term on), as before runs existed.
        const rewards = Array.from(singleRewards(scored));
        return { rewards, scores: rewards, extra_logs };
      }
      const g = gatedBatch(run, step ?? null, scored, (i) => groupKey(labels[i].group ?? prompts?.[i] ?? '', prosody[i], labels[i].emotion));
      return {
        rewards: g.rewards,
        scores: g.rewards,
        extra_logs: { ...extra_logs, trust: g.trust, reasoning_enabled: g.rewards.map(() => (g.open ? 1 : 0)) },
        run,
        step: step ?? null,
        reasoningEnabled: g.open,
        gate: g.gate,
      };
    }),
  );

  app.post('/v1/rewards', async (req, reply) =>
    withDeadline(reply, async (deadline) => {
      const b = req.body;
      if (!isObject(b)) throw bad('the body must be a JSON object {run?, step?, audio, emotion, responses}');
      const run = b.run === undefined ? 'default' : runArg(b.run, 'run');
      const step = b.step === undefined || b.step === null ? null : stepArg(b.step, 'step');
      if (typeof b.emotion !== 'string' || !b.emotion) throw bad('emotion must be the reference emotion label (a string)');
      const responses = stringArray(b.responses, 'responses');
      const mode = b.mode as AdvantageMode | undefined;
      const prosody = await prosodyOf(b.audio, 'audio');
      const ctx = contextOf(prosody);
      const scored = await scoreAll('responses', responses, (t) => scoreRead(ctx, read(t), b.emotion as string, false), deadline);
      const G = responses.length;
      const correct = scored.map((s) => s.correct);
      const format = scored.map((s) => s.format);
      const judge = scored.flatMap((s) => [s.result.scores.fa, s.result.scores.iq, s.result.scores.cc, s.result.scores.fs]);
      // Validates the advantage mode before the gate records anything.
      groupAdvantages([0], 1, { mode });
      const open = gates.record(run, step as number | null, correct.reduce((a, c) => a + c, 0), G);
      const ptr = ptrRewards({ correct, format, judgeScores: judge, groups: G }, { reasoningEnabled: open });
      const adv = groupAdvantages(ptr.reward, G, { mode });
      const gate = gates.run(run).gate;
      return {
        run,
        step,
        reasoningEnabled: open,
        trust: ptr.trust[0],
        gate: { ...gate.toJSON(), movingAccuracy: gate.movingAccuracy },
        advantages: Array.from(adv),
        responses: scored.map((s, i) => ({
          answer: s.result.answer,
          label: s.result.label,
          format: s.format,
          outcome: s.correct,
          fa: s.result.scores.fa,
          iq: s.result.scores.iq,
          cc: s.result.scores.cc,
          fs: s.result.scores.fs,
          trust: ptr.trust[0],
          reasoningReward: ptr.reasoningReward[i],
          gatedReasoningReward: open ? ptr.trust[0] * ptr.reasoningReward[i] : 0,
          reward: ptr.reward[i],
          advantage: adv[i],
          ...(b.claims === true ? { claims: s.result.claims } : {}),
        })),
      };
    }),
  );

  let closing: Promise<void> | null = null;
  return {
    app,
    options: o,
    cache,
    gates,
    async listen() {
      return app.listen({ host: o.host, port: o.port });
    },
    close() {
      draining = true;
      closing ??= app.close().then(() => gates.flush());
      return closing;
    },
  };
}
