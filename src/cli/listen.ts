// `emotionthinker listen`: the live-audio WebSocket server (src/listen.ts) until Ctrl-C.
import type { Command } from 'commander';
import { LISTEN_DEFAULTS, MAX_IDLE_SECONDS, startListenServer } from '../listen.js';
import { intFlag, numberFlag } from './flags.js';

interface Helpers {
  /** cli.ts's error printer (message + code, exit status). */
  fail: (cmd: string, err: unknown) => void;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
}

export function registerListen(program: Command, { fail, signal }: Helpers): void {
  program
    .command('listen')
    .description('WebSocket server for live audio: PCM16 mono in (ws://HOST:PORT/stream?rate=HZ), JSON events out (frames, turns, explained emotion per turn)')
    .option('--host <host>', 'address to bind', LISTEN_DEFAULTS.host)
    .option('--port <port>', 'port (0: any free port)', intFlag(0, 65535), LISTEN_DEFAULTS.port)
    .option('--token <token>', 'token clients must present (?token= or Authorization: Bearer); required beyond loopback')
    .option('--idle <seconds>', `close a connection silent this long (at most ${MAX_IDLE_SECONDS})`, numberFlag(0, MAX_IDLE_SECONDS), LISTEN_DEFAULTS.idleSeconds)
    .option('--model <file>', 'model JSON (default: the bundled model)')
    .action(async (opts: { host: string; port: number; token?: string; idle: number; model?: string }) => {
      try {
        const server = await startListenServer({ host: opts.host, port: opts.port, token: opts.token, idleSeconds: opts.idle, model: opts.model });
        process.stderr.write(`listen: ${server.url}?rate=<Hz> (example page: ${server.pageUrl}); Ctrl-C stops\n`);
        // Machine-readable line for scripts and tests.
        process.stdout.write(JSON.stringify({ url: server.url, pageUrl: server.pageUrl, port: server.port }) + '\n');
        // Ctrl-C (the CLI's signal) or SIGTERM (a service manager): clients are told (1001) and the server closes.
        await new Promise<void>((resolve) => {
          if (signal.aborted) return resolve();
          signal.addEventListener('abort', () => resolve(), { once: true });
          process.once('SIGTERM', () => resolve());
        });
        await server.close();
      } catch (err) {
        fail('listen', err);
      }
    });
}
