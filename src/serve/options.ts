// The reward server's options: defaults and limits defined once (the CLI's flags and
// createRewardServer both read them from here).
import { invalidArg } from '../errors.js';

export interface ServeOptions {
  /** Bind address (default loopback). Any other address needs `token`. */
  host?: string;
  /** TCP port (default 8000; 0 picks a free one). */
  port?: number;
  /** Bearer token every request must carry (default: none, loopback only). */
  token?: string;
  /** Directories audio paths may point into (default none: base64 audio only). */
  audioRoots?: string[];
  /** Largest request body in bytes (413 beyond). */
  bodyLimit?: number;
  /** Per-request deadline in milliseconds (504 beyond). */
  requestTimeoutMs?: number;
  /** Requests handled at once; more get 429 at once (never queued). */
  maxConcurrent?: number;
  /** Prosody cache size in bytes (least recently used entries go first). */
  cacheBytes?: number;
  /** Cache of responses already read (per text: answer, label, claims), in bytes; 0 turns it off. */
  textCacheBytes?: number;
  /** Where the per-run progressive-gate states are kept (default: none, in memory only). */
  stateFile?: string;
  /** Progressive gate settings for new runs (SPEC §4 defaults: threshold 0.5, window 20). */
  gate?: { threshold?: number; window?: number; openAtStep?: number | null };
  /** Longest audio accepted, seconds (loadAudio's maxDuration). */
  maxDuration?: number;
}

export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  port: 8000,
  // 8 MiB: a base64 clip of a minute of 16 kHz 16-bit mono is 2.6 MB; a group of 64 long responses is far less.
  bodyLimit: 8 * 1024 * 1024,
  requestTimeoutMs: 30_000,
  maxConcurrent: 64,
  cacheBytes: 64 * 1024 * 1024,
  // Read responses kept per text: 16 MiB holds some 20,000 typical explanations.
  textCacheBytes: 16 * 1024 * 1024,
  // Gate states reach the disk at most this often (and at shutdown).
  stateFlushMs: 100,
  maxDuration: 120,
  // A clip path resolved and stat'ed this recently is not resolved again (a file replaced in
  // place is noticed at most this much later).
  pathMemoMs: 1000,
  // An audio file read from an --audio-root larger than this is refused before it is read.
  maxAudioFileBytes: 256 * 1024 * 1024,
  // Responses in one /v1/rewards group or one /get_reward batch.
  maxResponses: 4096,
} as const;

/** Addresses that only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const posInt = (name: string, v: unknown, min = 1): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw invalidArg(`serve: ${name} must be an integer >= ${min}; got ${String(v)}`);
  return v;
};

export type ResolvedServeOptions = Required<Omit<ServeOptions, 'token' | 'stateFile' | 'gate'>> & Pick<ServeOptions, 'token' | 'stateFile' | 'gate'>;

export function resolveServeOptions(o: ServeOptions = {}): ResolvedServeOptions {
  if (typeof o !== 'object' || o === null) throw invalidArg('serve: options must be an object');
  const host = o.host ?? SERVE_DEFAULTS.host;
  const token = o.token === '' ? undefined : o.token;
  if (token !== undefined && typeof token !== 'string') throw invalidArg('serve: token must be a string');
  if (!isLoopback(host) && !token) {
    throw invalidArg(`serve: binding to ${host} (reachable from other machines) needs a token (--token or EMOTIONTHINKER_TOKEN)`);
  }
  const audioRoots = o.audioRoots ?? [];
  if (!Array.isArray(audioRoots) || audioRoots.some((r) => typeof r !== 'string' || !r)) throw invalidArg('serve: audioRoots must be an array of directory paths');
  return {
    host,
    port: o.port === undefined ? SERVE_DEFAULTS.port : posInt('port', o.port, 0),
    token,
    audioRoots,
    bodyLimit: o.bodyLimit === undefined ? SERVE_DEFAULTS.bodyLimit : posInt('bodyLimit', o.bodyLimit),
    requestTimeoutMs: o.requestTimeoutMs === undefined ? SERVE_DEFAULTS.requestTimeoutMs : posInt('requestTimeoutMs', o.requestTimeoutMs),
    maxConcurrent: o.maxConcurrent === undefined ? SERVE_DEFAULTS.maxConcurrent : posInt('maxConcurrent', o.maxConcurrent),
    cacheBytes: o.cacheBytes === undefined ? SERVE_DEFAULTS.cacheBytes : posInt('cacheBytes', o.cacheBytes, 0),
    textCacheBytes: o.textCacheBytes === undefined ? SERVE_DEFAULTS.textCacheBytes : posInt('textCacheBytes', o.textCacheBytes, 0),
    stateFile: o.stateFile,
    gate: o.gate,
    maxDuration: o.maxDuration ?? SERVE_DEFAULTS.maxDuration,
  };
}
