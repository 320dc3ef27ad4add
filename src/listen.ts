// `emotionthinker listen`: a WebSocket server (ws) in front of createProsodyStream. One stream per
// connection at ws://HOST:PORT/stream?rate=48000[&vad=silero][&frames=0][&token=T]:
//  - the client sends binary messages of PCM16 little-endian mono at `rate` (any size; a sample
//    may be split across messages), and text messages of JSON commands: {"type":"end"} ends the
//    input (the last turn is analysed, then the server closes the connection), {"type":"ping"}
//    gets {"type":"pong"};
//  - the server sends JSON events as text: {"type":"ready", …} first, then the stream's events
//    (frame, speech-start, speech-end, utterance, error);
//  - a malformed message (text that is not a known JSON command) gets an error event and the
//    connection stays open; a bad URL (rate, vad, frames) or token is refused at the upgrade (HTTP
//    400 / 401); more than maxConnections at once: 503;
//  - a client silent for idleSeconds is closed (close code 4000, "idle timeout"); a client that
//    does not read (socket buffer above maxBufferedBytes) loses frame events, and one with 8× that
//    buffered is closed (4001, "client too slow"): utterances are never dropped while it is open;
//    input is paused while the stream's backlog is above its high-water mark; a client that
//    disconnects mid-utterance: its stream is closed and the open turn dropped.
// Bound beyond loopback, a token is required (refused at start without one). GET / serves the
// example page (examples/live/) so a browser can try it.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { createProsodyStream, type StreamEvent } from './stream.js';
import { invalidArg } from './errors.js';
import { packageRoot } from './package-root.js';
import type { EmotionModel } from './inference/model.js';
import { modelOption } from './inference/model.js';
import { AUDIO_LIMITS } from './audio-limits.js';

export interface ListenOptions {
  host?: string;
  port?: number;
  /** Required when host is not a loopback address. */
  token?: string;
  /** Seconds without a message before a connection is closed (default 30). */
  idleSeconds?: number;
  /** Connections served at once (default 64). */
  maxConnections?: number;
  /** Largest binary message (default 1 MiB: 10 s of 48 kHz PCM16). */
  maxMessageBytes?: number;
  /** Socket send buffer above which frame events are dropped (default 1 MiB). */
  maxBufferedBytes?: number;
  model?: string | EmotionModel;
}

/** Events other than frames waiting for a client past which it is closed as too slow (with 8 × maxBufferedBytes). */
const MAX_WAITING_MESSAGES = 4096;

/** Longest idleSeconds: setTimeout's limit (2^31 - 1 ms). */
export const MAX_IDLE_SECONDS = 2147483;

export const LISTEN_DEFAULTS = { host: '127.0.0.1', port: 8080, idleSeconds: 30, maxConnections: 64, maxMessageBytes: 1 << 20, maxBufferedBytes: 1 << 20 } as const;

export interface ListenServer {
  /** ws://host:port/stream */
  url: string;
  /** http://host:port/ (the example page) */
  pageUrl: string;
  port: number;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

const EXAMPLE_FILES: Record<string, [string, string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/pcm-worklet.js': ['pcm-worklet.js', 'text/javascript; charset=utf-8'],
};

function tokenOk(expected: string | undefined, req: IncomingMessage, url: URL): boolean {
  if (expected === undefined) return true;
  const auth = req.headers.authorization;
  const given = url.searchParams.get('token') ?? (auth?.startsWith('Bearer ') ? auth.slice(7) : null);
  if (given === null) return false;
  const a = Buffer.from(given), b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function refuse(socket: import('node:stream').Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
}

/** Starts the server; resolves once it listens. */
export async function startListenServer(options: ListenOptions = {}): Promise<ListenServer> {
  const o = { ...LISTEN_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as Required<Omit<ListenOptions, 'token' | 'model'>> & ListenOptions;
  if (!isLoopback(o.host) && !o.token) throw invalidArg(`listen: a token is required when bound beyond loopback (host ${o.host}); pass --token`);
  for (const k of ['idleSeconds', 'maxConnections', 'maxMessageBytes', 'maxBufferedBytes'] as const) {
    if (!(typeof o[k] === 'number' && o[k] > 0)) throw invalidArg(`listen: option "${k}" must be a positive number; got ${JSON.stringify(o[k])}`);
  }
  // setTimeout's longest delay: past it Node fires at once, and every connection was closed as idle.
  if (o.idleSeconds > MAX_IDLE_SECONDS) throw invalidArg(`listen: option "idleSeconds" must be at most ${MAX_IDLE_SECONDS} s (24.8 days); got ${o.idleSeconds}`);
  if (!(Number.isInteger(o.port) && o.port >= 0 && o.port <= 65535)) throw invalidArg(`listen: port must be an integer in 0..65535; got ${JSON.stringify(o.port)}`);
  const model = modelOption(o.model);
  const exampleDir = path.join(packageRoot, 'examples', 'live');

  const http: Server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    if (pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const file = EXAMPLE_FILES[pathname];
    if (req.method !== 'GET' || !file) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    try {
      res.writeHead(200, { 'Content-Type': file[1], 'Cache-Control': 'no-store' }).end(readFileSync(path.join(exampleDir, file[0])));
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('example page not installed');
    }
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: o.maxMessageBytes });
  let open = 0;

  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/stream') return refuse(socket, 404, 'not found: connect to /stream?rate=<Hz>');
    if (!tokenOk(o.token, req, url)) return refuse(socket, 401, 'unauthorized: a token is required (?token= or Authorization: Bearer)');
    const rate = Number(url.searchParams.get('rate'));
    if (!Number.isInteger(rate) || rate < AUDIO_LIMITS.minSampleRate || rate > AUDIO_LIMITS.maxSampleRate) {
      return refuse(socket, 400, `bad request: ?rate= must be an integer sample rate in ${AUDIO_LIMITS.minSampleRate}..${AUDIO_LIMITS.maxSampleRate} Hz; got ${JSON.stringify(url.searchParams.get('rate'))}`);
    }
    const vad = url.searchParams.get('vad') ?? 'energy';
    if (vad !== 'energy' && vad !== 'silero') return refuse(socket, 400, `bad request: ?vad= must be energy or silero; got ${JSON.stringify(vad)}`);
    const framesParam = url.searchParams.get('frames') ?? '1';
    if (framesParam !== '0' && framesParam !== '1') return refuse(socket, 400, `bad request: ?frames= must be 0 or 1; got ${JSON.stringify(framesParam)}`);
    if (open >= o.maxConnections) return refuse(socket, 503, `busy: ${o.maxConnections} connections are open`);
    let stream: ReturnType<typeof createProsodyStream>;
    try {
      stream = createProsodyStream({ sampleRate: rate, vad, frames: framesParam === '1', model });
    } catch (err) {
      return refuse(socket, 400, `bad request: ${(err as Error).message}`);
    }
    // The slot is taken now (so the limit counts handshakes in progress) and given back exactly
    // once: when the WebSocket closes, or when the socket closes without one (ws refuses a bad
    // handshake without calling back: those slots were never freed, and 64 of them made every
    // later client a 503).
    open++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      open--;
      stream.close();
    };
    let upgraded = false;
    socket.once('close', () => {
      if (!upgraded) release();
    });
    wss.handleUpgrade(req, socket, head, (ws) => {
      upgraded = true;
      serve(ws, stream, release);
    });
  });

  function serve(ws: WebSocket, stream: ReturnType<typeof createProsodyStream>, release: () => void): void {
    let droppedFrames = 0;
    let tooSlow = false;
    let waiting = 0; // events other than frames handed to ws and not yet written to the socket
    const send = (ev: StreamEvent | Record<string, unknown>) => {
      if (ws.readyState !== ws.OPEN) return;
      if ((ev as StreamEvent).type === 'frame' && ws.bufferedAmount > o.maxBufferedBytes) {
        droppedFrames++;
        return;
      }
      // Bytes and messages: each queued message holds more memory than its bytes (its frame header
      // is a slice of an 8 KB pool slab, which stays alive with it): 8 MiB of small events held
      // 193 MB, so a message count bounds it too.
      if (ws.bufferedAmount > 8 * o.maxBufferedBytes || waiting > MAX_WAITING_MESSAGES) {
        // A client that reads nothing, not even the turns: closed rather than buffered without
        // bound. From here its audio is read and dropped, not analysed: the close frame waits
        // behind what it never read (ws cuts the socket after 30 s), and its stream went on
        // analysing meanwhile (216 MB retained after 80 s of flooding).
        if (!tooSlow) {
          tooSlow = true;
          stream.close();
          ws.close(4001, 'client too slow');
        }
        return;
      }
      // Frames are bounded by the byte limit above (dropped past maxBufferedBytes); the count
      // bounds the rest (counting frames too closed a slow reader before any frame was dropped).
      if ((ev as StreamEvent).type === 'frame') ws.send(JSON.stringify(ev));
      else {
        waiting++;
        ws.send(JSON.stringify(ev), () => waiting--);
      }
    };
    stream.on('event', (ev: StreamEvent) => send(ev));
    send({ type: 'ready', sampleRate: stream.sampleRate, lagSeconds: stream.lagSeconds, hopSeconds: stream.hopSeconds });
    let idle: NodeJS.Timeout;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        send({ type: 'error', code: 'ERR_INVALID_ARG', message: `idle timeout: no message for ${o.idleSeconds} s`, time: stream.writtenSeconds });
        ws.close(4000, 'idle timeout');
      }, o.idleSeconds * 1000);
    };
    touch();
    const sendError = (message: string) => send({ type: 'error', code: 'ERR_INVALID_ARG', message, time: stream.writtenSeconds });
    ws.on('message', (data, isBinary) => {
      if (tooSlow) return;
      touch();
      if (isBinary) {
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
        if (!stream.write(buf)) {
          // Backpressure: stop reading this socket until the stream has caught up.
          ws.pause();
          void stream.drained().then(() => ws.resume());
        }
        return;
      }
      let msg: unknown;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return sendError(`malformed message: text messages must be JSON commands ({"type":"end"} or {"type":"ping"}); got ${JSON.stringify(data.toString().slice(0, 80))}`);
      }
      const type = msg && typeof msg === 'object' ? (msg as { type?: unknown }).type : undefined;
      if (type === 'ping') return send({ type: 'pong' });
      if (type === 'end') {
        void stream.end().then(() => {
          send({ type: 'end', droppedFrames: droppedFrames + stream.droppedFrames });
          ws.close(1000, 'end of stream');
        });
        return;
      }
      sendError(`malformed message: unknown command ${JSON.stringify(type ?? msg)}; expected {"type":"end"} or {"type":"ping"}`);
    });
    ws.on('error', () => undefined); // a broken socket is handled by 'close'
    ws.on('close', () => {
      clearTimeout(idle);
      release(); // a client gone mid-utterance: the open turn is dropped
    });
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(o.port, o.host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const h = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `ws://${h}:${port}/stream`,
    pageUrl: `http://${h}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // Clients hear why (1001 "going away"); one that does not answer the close is cut after a second.
        for (const c of wss.clients) c.close(1001, 'server shutting down');
        const cut = setTimeout(() => {
          for (const c of wss.clients) c.terminate();
          http.closeAllConnections?.(); // a half-sent HTTP request would hold close() for minutes
        }, 1000);
        wss.close();
        http.close(() => {
          clearTimeout(cut);
          resolve();
        });
        http.closeIdleConnections?.();
      }),
  };
}
