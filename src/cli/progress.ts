// Progress for long runs: a bar with rate and ETA (cli-progress) when stderr is a terminal,
// otherwise a plain log line every few seconds, so logs and CI output stay readable.
import cliProgress from 'cli-progress';

export interface Progress {
  tick(extra?: string): void;
  stop(): void;
}

export function progress(total: number, label: string, options: { quiet?: boolean; intervalMs?: number } = {}): Progress {
  if (options.quiet) return { tick() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {value}/{total} {percentage}% | {rate}/s | ETA {eta_formatted}`, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    const t0 = Date.now();
    bar.start(total, 0, { rate: '0.0' });
    let n = 0;
    return {
      tick() {
        n++;
        bar.update(n, { rate: (n / Math.max(0.001, (Date.now() - t0) / 1000)).toFixed(1) });
      },
      stop: () => bar.stop(),
    };
  }
  const every = options.intervalMs ?? 5000;
  const t0 = Date.now();
  let last = t0, n = 0;
  return {
    tick() {
      n++;
      const now = Date.now();
      if (now - last >= every || n === total) {
        last = now;
        const rate = n / Math.max(0.001, (now - t0) / 1000);
        const eta = rate > 0 ? (total - n) / rate : 0;
        process.stderr.write(`${label}: ${n}/${total} (${((100 * n) / total).toFixed(0)}%), ${rate.toFixed(1)}/s, ETA ${eta.toFixed(0)} s\n`);
      }
    },
    stop() {},
  };
}
