// `emotionthinker serve`: the reward server (src/serve/server.ts). Prints one JSON line with the
// URL once listening; SIGTERM or SIGINT stop accepting, let in-flight requests finish, write the
// gate state and exit 0.
import { Command } from 'commander';
import { intFlag, numberFlag } from './flags.js';
import { SERVE_DEFAULTS } from '../serve/options.js';

interface Helpers {
  fail: (cmd: string, err: unknown, exitCode?: number) => void;
}

interface Opts {
  host: string;
  port: number;
  token?: string;
  audioRoot: string[];
  bodyLimit: number;
  timeoutMs: number;
  maxConcurrent: number;
  cacheBytes: number;
  textCacheBytes: number;
  state?: string;
  gateThreshold?: number;
  gateWindow?: number;
  gateOpenAt?: number;
}

export function registerServe(program: Command, { fail }: Helpers): void {
  program
    .command('serve')
    .description('reward server for trainers: POST /get_reward (OpenRLHF), POST /v1/rewards (GRPO-PTR groups), GET /health')
    .option('--host <addr>', 'bind address; any but loopback needs a token', SERVE_DEFAULTS.host)
    .option('--port <n>', 'TCP port (0: any free port)', intFlag(0, 65535), SERVE_DEFAULTS.port)
    .option('--token <t>', 'bearer token required on every request (default: $EMOTIONTHINKER_TOKEN)')
    .option('--audio-root <dir>', 'directory audio paths may point into (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--body-limit <bytes>', 'largest request body (413 beyond)', intFlag(1), SERVE_DEFAULTS.bodyLimit)
    .option('--timeout-ms <ms>', 'per-request deadline (504 beyond)', intFlag(1), SERVE_DEFAULTS.requestTimeoutMs)
    .option('--max-concurrent <n>', 'requests handled at once (429 beyond)', intFlag(1), SERVE_DEFAULTS.maxConcurrent)
    .option('--cache-bytes <bytes>', 'prosody cache size', intFlag(0), SERVE_DEFAULTS.cacheBytes)
    .option('--text-cache-bytes <bytes>', 'cache of responses already read, per text (0: off)', intFlag(0), SERVE_DEFAULTS.textCacheBytes)
    .option('--state <file>', 'JSON file keeping each run\'s progressive-gate state across restarts')
    .option('--gate-threshold <x>', 'moving batch accuracy that opens the gate (default 0.5)', numberFlag())
    .option('--gate-window <n>', 'steps in the moving accuracy (default 20)', intFlag(1))
    .option('--gate-open-at <step>', 'open the gate at this step whatever the accuracy', intFlag(0))
    .action(async (opts: Opts) => {
      let server;
      try {
        const { createRewardServer } = await import('../serve/server.js');
        server = createRewardServer({
          host: opts.host,
          port: opts.port,
          token: opts.token ?? process.env.EMOTIONTHINKER_TOKEN,
          audioRoots: opts.audioRoot,
          bodyLimit: opts.bodyLimit,
          requestTimeoutMs: opts.timeoutMs,
          maxConcurrent: opts.maxConcurrent,
          cacheBytes: opts.cacheBytes,
          textCacheBytes: opts.textCacheBytes,
          stateFile: opts.state,
          gate: { threshold: opts.gateThreshold, window: opts.gateWindow, openAtStep: opts.gateOpenAt },
        });
        const url = await server.listen();
        process.stdout.write(JSON.stringify({ listening: url, audioRoots: opts.audioRoot, token: !!server.options.token, state: opts.state ?? null }) + '\n');
      } catch (err) {
        fail('serve', err, (err as { code?: string }).code === 'ERR_INVALID_ARG' ? 2 : 1);
        return;
      }
      const s = server;
      let stopping = false;
      const stop = (sig: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`serve: ${sig}: draining in-flight requests\n`);
        // Requests end by their deadline; past it (plus a margin) nothing is left worth waiting for.
        setTimeout(() => {
          s.gates.flush();
          process.stderr.write('serve: drain deadline passed; exiting\n');
          process.exit(0);
        }, s.options.requestTimeoutMs + 5000).unref();
        s.close().then(
          () => {
            process.stderr.write('serve: stopped\n');
            process.exit(0);
          },
          (err) => {
            fail('serve', err);
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
