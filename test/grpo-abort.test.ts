// AbortSignal on the async GRPO calls (issue #14): an already-aborted signal rejects at once with
// an AbortError and starts no work; aborting while the native work runs rejects the promise
// without waiting for it (the work finishes in the background and its result is dropped).
import { describe, expect, it } from 'vitest';
import { EmotionThinkerError, groupAdvantagesAsync, logitsLossAsync, tokenLossAsync } from '../src/index.js';
import { rng } from './helpers/rng.js';

function filled(n: number, seed: number, scale: number, offset = 0): Float32Array {
  const r = rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = offset + scale * (r() - 0.5);
  return a;
}

// Each call is sized so its native work takes far longer than one turn of the event loop.
interface Case {
  name: string;
  /** Runs the call with `signal`, writing into `out`; resolves to the values it produced. */
  run: (signal: AbortSignal | undefined, out: Float32Array) => Promise<ArrayLike<number>>;
  outLength: number;
}

const ADV_N = 1 << 22;
const rewards = filled(ADV_N, 1, 2);
const TOK_N = 1 << 22;
const tokInputs = {
  logp: filled(TOK_N, 2, 1, -1),
  oldLogp: filled(TOK_N, 3, 1, -1),
  refLogp: filled(TOK_N, 4, 1, -1),
  advantages: filled(1024, 5, 2),
  shape: [1024, TOK_N / 1024] as [number, number],
};
const ROWS = 64;
const VOCAB = 65536;
const logits = filled(ROWS * VOCAB, 6, 20);
const labels = Int32Array.from({ length: ROWS }, (_, i) => (i * 7919) % VOCAB);
const logitsInputs = { logits, labels, oldLogp: new Float64Array(ROWS).fill(-11), refLogp: new Float64Array(ROWS).fill(-11), advantages: filled(ROWS, 7, 2) };

const cases: Case[] = [
  { name: 'groupAdvantagesAsync', outLength: ADV_N, run: (signal, out) => groupAdvantagesAsync(rewards, 8, { signal, out }) },
  {
    name: 'tokenLossAsync',
    outLength: TOK_N,
    run: async (signal, out) => (await tokenLossAsync(tokInputs, { signal, gradOut: out })).gradLogp!,
  },
  {
    name: 'logitsLossAsync',
    outLength: ROWS * VOCAB,
    run: async (signal, out) => (await logitsLossAsync(logitsInputs, { signal, gradOut: out })).gradLogits!,
  },
];

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string; cause?: unknown }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string; cause?: unknown };
  }
  throw new Error('expected the promise to reject');
}

function nonZero(a: ArrayLike<number>): number {
  let c = 0;
  for (let i = 0; i < a.length; i++) c += a[i] !== 0 ? 1 : 0;
  return c;
}

describe.each(cases)('$name with a signal', ({ run, outLength }) => {
  it('an already-aborted signal rejects with AbortError (code ABORT_ERR, cause = reason) and computes nothing', async () => {
    const ac = new AbortController();
    const reason = new Error('stop now');
    ac.abort(reason);
    const out = new Float32Array(outLength);
    const err = await rejection(run(ac.signal, out));
    expect(err.name).toBe('AbortError');
    expect(err.code).toBe('ABORT_ERR');
    expect(err.cause).toBe(reason);
    // No native work was started, so the output buffer is still all zeros, even after the
    // thread pool had time to run it.
    await new Promise((r) => setTimeout(r, 50));
    expect(nonZero(out)).toBe(0);
  });

  it('aborting while the native work runs rejects with AbortError; the call works again afterwards', async () => {
    const ac = new AbortController();
    const out = new Float32Array(outLength);
    const p = run(ac.signal, out);
    // The work is on the thread pool now; its completion can only be delivered on a later turn
    // of the event loop, so the abort comes first (without it the same call resolves, below).
    ac.abort();
    const err = await rejection(p);
    expect(err.name).toBe('AbortError');
    expect(err.code).toBe('ABORT_ERR');
    // The same call without abort completes, with finite values (the dropped background work
    // did not break anything).
    const again = await run(undefined, new Float32Array(outLength));
    expect(nonZero(again)).toBeGreaterThan(0);
    let finite = true;
    for (let i = 0; i < again.length; i++) finite &&= Number.isFinite(again[i]);
    expect(finite).toBe(true);
  });

  it('an unaborted signal changes nothing', async () => {
    const ac = new AbortController();
    const a = await run(ac.signal, new Float32Array(outLength));
    const b = await run(undefined, new Float32Array(outLength));
    expect(Buffer.compare(Buffer.from(new Float32Array(a).buffer), Buffer.from(new Float32Array(b).buffer))).toBe(0);
  });
});

describe('signal validation', () => {
  it('a signal that is not an AbortSignal is ERR_INVALID_ARG naming the call', async () => {
    const err = await rejection(groupAdvantagesAsync([1, 2], 2, { signal: 'stop' as never }));
    expect(err).toBeInstanceOf(EmotionThinkerError);
    expect(err.code).toBe('ERR_INVALID_ARG');
    expect(err.message).toMatch(/groupAdvantagesAsync: options.signal must be an AbortSignal, got string/);
  });
});
