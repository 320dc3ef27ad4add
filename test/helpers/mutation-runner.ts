// Runs cases of the mutated corpus (test/helpers/mutate.mjs) in child processes
// (test/helpers/mutation-child.mjs), many cases per child. A child that dies (signal, abort,
// V8 fatal error, out of memory) or stops making progress is blamed on the case it had started
// and not finished; that case is recorded and a new child goes on from the next index.
import { spawn } from 'node:child_process';
import path from 'node:path';

export interface StageOutcome {
  stage: 'loadAudio' | 'extractProsody' | 'analyze';
  ok: boolean;
  ms: number;
  code?: string;
  error?: string;
  message?: string;
  problems?: string[];
}

export interface CaseOutcome {
  index: number;
  seed: string;
  ops: string[];
  size: number;
  resample: boolean;
  stages: StageOutcome[];
  maxRSS: number;
}

export interface DeadCase {
  index: number;
  kind: 'crash' | 'hang';
  /** Exit code or signal, and the end of the child's stderr. */
  detail: string;
}

export interface RunOptions {
  dist: string;
  seedDir: string;
  shared: string;
  samples: string;
  from: number;
  to: number;
  baseSeed: number;
  /** A child that prints nothing for this long is killed and its current case is a hang (the
   * cost goal is 2 s per call: benchmarks/mutation-cost.mjs; this only has to end the case). */
  stallMs: number;
}

const CHILD = path.join(__dirname, 'mutation-child.mjs');

function runChild(o: RunOptions, from: number): Promise<{ lines: string[]; exit: string | null; stderr: string; stalled: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, o.dist, o.seedDir, o.shared, o.samples, String(from), String(o.to), String(o.baseSeed)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    let stalled = false;
    let timer = setTimeout(stall, o.stallMs);
    function stall() {
      stalled = true;
      child.kill('SIGKILL');
    }
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      clearTimeout(timer);
      timer = setTimeout(stall, o.stallMs);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ lines: out.split('\n'), exit: code === 0 ? null : signal ? `signal ${signal}` : `exit code ${code}`, stderr, stalled });
    });
  });
}

/** Outcomes of cases [from, to), and the cases that killed or stalled their child. */
export async function runMutationCases(o: RunOptions): Promise<{ outcomes: CaseOutcome[]; dead: DeadCase[]; children: number }> {
  const outcomes: CaseOutcome[] = [];
  const dead: DeadCase[] = [];
  let next = o.from;
  let children = 0;
  while (next < o.to) {
    children++;
    const { lines, exit, stderr, stalled } = await runChild(o, next);
    let started = -1;
    let finished = 0;
    for (const line of lines) {
      if (line.startsWith('S ')) started = Number(line.slice(2));
      else if (line.startsWith('R ')) {
        const r = JSON.parse(line.slice(2)) as CaseOutcome;
        outcomes.push(r);
        started = -1;
        finished++;
        next = r.index + 1;
      }
    }
    if (exit === null && !stalled) break;
    const why = `${stalled ? `no progress for ${o.stallMs} ms` : exit}; ${stderr.trim().split('\n').slice(-6).join(' | ')}`;
    if (started < 0) {
      // Died before its first case: the start-up itself failed (no case's fault).
      if (finished === 0) throw new Error(`mutation child failed before its first case (${exit}): ${stderr.slice(-1500)}`);
      // Died between cases (e.g. a worker of the previous case): blame that case, go on.
      dead.push({ index: next - 1, kind: stalled ? 'hang' : 'crash', detail: `after the case finished: ${why}` });
      continue;
    }
    dead.push({ index: started, kind: stalled ? 'hang' : 'crash', detail: why });
    next = started + 1;
  }
  return { outcomes, dead, children };
}
