// Bad input to the GRPO API: each case is a clear EmotionThinkerError with code ERR_INVALID_ARG
// and a message naming the field, or (NaN rewards) the documented exclusion.
import { describe, expect, it } from 'vitest';
import {
  EmotionThinkerError,
  groupAdvantages,
  groupAdvantagesAsync,
  logitsLoss,
  logitsLossAsync,
  ProgressiveGate,
  ptrRewards,
  tokenLoss,
  tokenLossAsync,
} from '../src/index.js';

function expectInvalid(fn: () => unknown, message: RegExp) {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a throw').toBeInstanceOf(EmotionThinkerError);
  expect((caught as EmotionThinkerError).code).toBe('ERR_INVALID_ARG');
  expect((caught as Error).message).toMatch(message);
}

async function expectRejects(p: () => Promise<unknown>, message: RegExp) {
  let caught: unknown;
  try {
    await p();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a rejection').toBeInstanceOf(EmotionThinkerError);
  expect((caught as EmotionThinkerError).code).toBe('ERR_INVALID_ARG');
  expect((caught as Error).message).toMatch(message);
}

describe('groupAdvantages: bad input', () => {
  const r = [1, 0, 0.5, 0.25, 1, 0];
  it('empty batch', () => expectInvalid(() => groupAdvantages([], 2), /rewards must be non-empty/));
  it('group size that does not divide the rewards', () => expectInvalid(() => groupAdvantages(r, 4), /length 6 is not a multiple of the group size 4/));
  it('zero or fractional group size', () => {
    expectInvalid(() => groupAdvantages(r, 0), /groups must be a positive integer group size/);
    expectInvalid(() => groupAdvantages(r, 1.5), /groups must be a positive integer group size/);
  });
  it('non-monotonic offsets', () => expectInvalid(() => groupAdvantages(r, [0, 4, 2, 6]), /offsets must be increasing; offsets\[2\] = 2 < offsets\[1\] = 4/));
  it('zero-size group', () => expectInvalid(() => groupAdvantages(r, [0, 3, 3, 6]), /group 1 is empty/));
  it('offsets past the end (out of range)', () => expectInvalid(() => groupAdvantages(r, [0, 3, 7]), /must end at the rewards length 6; last offset is 7/));
  it('offsets short of the end', () => expectInvalid(() => groupAdvantages(r, [0, 3, 5]), /must end at the rewards length 6/));
  it('offsets not starting at 0', () => expectInvalid(() => groupAdvantages(r, [1, 3, 6]), /offsets\[0\] must be 0; got 1/));
  it('negative or fractional offsets', () => {
    expectInvalid(() => groupAdvantages(r, [0, -3, 6]), /groups\[1\] must be a non-negative integer offset; got -3/);
    expectInvalid(() => groupAdvantages(r, [0, 2.5, 6]), /groups\[1\] must be a non-negative integer offset; got 2.5/);
  });
  it('offsets with one entry', () => expectInvalid(() => groupAdvantages(r, [6]), /at least 2 entries/));
  it('infinite reward', () => expectInvalid(() => groupAdvantages([1, Infinity, 0, 0], 2), /rewards\[1\] is Infinity; rewards must be finite/));
  it('NaN reward: documented exclusion, not an error', () => {
    const adv = groupAdvantages([1, NaN, 0], 3);
    expect(adv[1]).toBe(0);
    expect(adv[0]).toBeCloseTo(1 / (Math.SQRT1_2 * 1 + 1e-6) / 2, 5);
  });
  it('options: names the field, the value and what was expected', () => {
    expectInvalid(() => groupAdvantages(r, 2, { mode: 'ppo' as never }), /groupAdvantages: option mode must be one of 'grpo', 'dr_grpo', 'rloo'; got 'ppo'/);
    expectInvalid(() => groupAdvantages(r, 2, { eps: -1 }), /option eps must be a finite number >= 0; got -1/);
    expectInvalid(() => groupAdvantages(r, 2, { std: 'sample' as never }), /option std must be one of 'unbiased', 'population'; got 'sample'/);
    expectInvalid(() => groupAdvantages(r, 2, { singleton: 'one' as never }), /option singleton/);
    expectInvalid(() => groupAdvantages(r, 2, { threads: -2 }), /option threads/);
    expectInvalid(() => groupAdvantages(r, 2, { out: new Float32Array(6) }), /option out must be a Float64Array of length 6/);
  });
  it('wrong rewards type', () => expectInvalid(() => groupAdvantages(new Int16Array(4) as never, 2), /rewards must be a Float32Array, Float64Array or array of numbers/));
  it('async variant rejects the same way', async () => {
    await expectRejects(() => groupAdvantagesAsync(r, [0, 4, 2, 6]), /offsets must be increasing/);
    await expectRejects(() => groupAdvantagesAsync(new Float32Array([1, -Infinity]), 2), /rewards\[1\] is -Infinity/);
  });
});

describe('ptrRewards: bad input', () => {
  const ok = () => ({ correct: [1, 0, 1, 0], format: [1, 1, 0, 1], judgeScores: new Array(16).fill(3), groups: 2 as number | number[] });
  it('mismatched lengths', () => {
    expectInvalid(() => ptrRewards({ ...ok(), format: [1, 1, 1] }), /format must be of length 4/);
    expectInvalid(() => ptrRewards({ ...ok(), judgeScores: new Array(15).fill(3) }), /judgeScores must be of length 16 \(4 responses × 4 judge dimensions\)/);
  });
  it('judge scores outside [1, 5]', () => expectInvalid(() => ptrRewards({ ...ok(), judgeScores: [...new Array(15).fill(3), 6] }), /judgeScores\[15\] \(response 3, dimension 3\) must be a score in \[1, 5\]; got 6/));
  it('outcome not 0/1', () => expectInvalid(() => ptrRewards({ ...ok(), correct: [1, 0.5, 1, 0] }), /correct\[1\] must be 0 or 1/));
  it('weights that do not sum to 1', () => expectInvalid(() => ptrRewards(ok(), { judgeWeights: [0.5, 0.5, 0.5, 0.5] }), /judgeWeights must be weights summing to 1 \(they sum to 2\)/));
  it('zero-size group and bad offsets', () => {
    expectInvalid(() => ptrRewards({ ...ok(), groups: [0, 2, 2, 4] }), /group 1 is empty/);
    expectInvalid(() => ptrRewards({ ...ok(), groups: [0, 3, 2, 4] }), /offsets must be increasing/);
  });
  it('empty batch', () => expectInvalid(() => ptrRewards({ correct: [], format: [], judgeScores: [], groups: 1 }), /correct must be non-empty/));
  it('bad options', () => {
    expectInvalid(() => ptrRewards(ok(), { alpha: [1, 2] as never }), /option alpha must be \[format, outcome, reasoning\]/);
    expectInvalid(() => ptrRewards(ok(), { alpha: { format: NaN } }), /option alpha.format must be a finite number; got NaN/);
    expectInvalid(() => ptrRewards(ok(), { reasoningEnabled: 'yes' as never }), /option reasoningEnabled must be a boolean or a ProgressiveGate/);
  });
  it('a ProgressiveGate drives the reasoning term', () => {
    const gate = new ProgressiveGate({ openAtStep: 1 });
    expect(ptrRewards(ok(), { reasoningEnabled: gate }).reasoningEnabled).toBe(false);
    gate.update(0);
    expect(ptrRewards(ok(), { reasoningEnabled: gate }).reasoningEnabled).toBe(true);
  });
  it('ProgressiveGate: bad options and states', () => {
    expectInvalid(() => new ProgressiveGate({ threshold: 2 }), /ProgressiveGate: option threshold must be a number in \[0, 1\]; got 2/);
    expectInvalid(() => new ProgressiveGate({ window: 0 }), /option window must be a positive integer; got 0/);
    expectInvalid(() => new ProgressiveGate().update(1.5), /batchAccuracy must be a number in \[0, 1\]; got 1.5/);
    expectInvalid(() => ProgressiveGate.fromJSON('{'), /state is not valid JSON/);
    expectInvalid(() => ProgressiveGate.fromJSON({ version: 2 } as never), /state.version must be 1; got 2/);
  });
});

function tokenInputs(B = 2, L = 3) {
  const n = B * L;
  return {
    logp: Float32Array.from({ length: n }, (_, i) => -1 - i / 10),
    oldLogp: Float32Array.from({ length: n }, (_, i) => -1.05 - i / 10),
    refLogp: Float32Array.from({ length: n }, (_, i) => -0.9 - i / 10),
    advantages: Float32Array.from({ length: B }, (_, b) => (b % 2 ? -1 : 1)),
    mask: new Uint8Array(n).fill(1),
    shape: [B, L] as [number, number],
  };
}

describe('tokenLoss: bad input', () => {
  it('mismatched lengths', () => {
    expectInvalid(() => tokenLoss({ ...tokenInputs(), oldLogp: new Float32Array(5) }), /inputs.oldLogp must be of length 6; got a Float32Array of length 5/);
    expectInvalid(() => tokenLoss({ ...tokenInputs(), refLogp: new Float32Array(7) }), /inputs.refLogp must be of length 6/);
    expectInvalid(() => tokenLoss({ ...tokenInputs(), mask: new Uint8Array(4) }), /inputs.mask must be of length 6/);
    expectInvalid(() => tokenLoss({ ...tokenInputs(), advantages: new Float32Array(3) }), /inputs.advantages must be one per sequence \(2\) or one per token \(6\)/);
    expectInvalid(() => tokenLoss({ ...tokenInputs(), shape: [3, 3] }), /inputs.shape must be \[B, L\] with B·L = 6/);
  });
  it('mixed element types', () => {
    expectInvalid(() => tokenLoss({ ...tokenInputs(), oldLogp: new Float64Array(6) } as never), /inputs.oldLogp must be a Float32Array \(the type of inputs.logp\)/);
  });
  it('non-monotonic offsets', () => {
    const { shape: _s, ...x } = tokenInputs();
    expectInvalid(() => tokenLoss({ ...x, advantages: new Float32Array(3), offsets: [0, 4, 3, 6] }), /offsets must be non-decreasing; offsets\[2\] = 3 < offsets\[1\] = 4/);
  });
  it('out-of-range offsets', () => {
    const { shape: _s, ...x } = tokenInputs();
    expectInvalid(() => tokenLoss({ ...x, offsets: [0, 3, 9] }), /offsets must end at the token count 6; last offset is 9/);
    expectInvalid(() => tokenLoss({ ...x, offsets: [1, 3, 6] }), /offsets\[0\] must be 0; got 1/);
  });
  it('NaN or Inf log-probs (masked positions included)', () => {
    const a = tokenInputs();
    a.logp[4] = NaN;
    expectInvalid(() => tokenLoss(a), /logp\[4\] is NaN; log-probs must be finite/);
    const b = tokenInputs();
    b.oldLogp[0] = -Infinity;
    b.mask[0] = 0;
    expectInvalid(() => tokenLoss(b), /oldLogp\[0\] is -Infinity/);
    const c = tokenInputs();
    c.refLogp[5] = Infinity;
    expectInvalid(() => tokenLoss(c), /refLogp\[5\] is Infinity/);
    const d = tokenInputs();
    d.advantages[1] = NaN;
    expectInvalid(() => tokenLoss(d), /advantages\[1\] is NaN; advantages must be finite/);
  });
  it('NaN in a large batch is found and named (threaded path)', () => {
    const B = 64, L = 4096;
    const x = tokenInputs(B, L);
    x.logp[B * L - 3] = NaN;
    expectInvalid(() => tokenLoss(x, { threads: 2 }), new RegExp(`logp\\[${B * L - 3}\\] is NaN`));
  });
  it('negative mask weight', () => {
    const x = { ...tokenInputs(), mask: Float32Array.from([1, 1, -1, 1, 1, 1]) };
    expectInvalid(() => tokenLoss(x), /mask\[2\] is -1; mask weights must be finite and >= 0/);
  });
  it('empty batch', () => {
    expectInvalid(() => tokenLoss({ ...tokenInputs(), logp: new Float32Array(0) }), /empty batch: inputs.logp has no tokens/);
    const { shape: _s, ...x } = tokenInputs();
    expectInvalid(() => tokenLoss({ ...x, offsets: [0] }), /inputs.offsets must be at least 2 entries/);
  });
  it('missing refLogp with beta > 0', () => {
    const { refLogp: _r, ...x } = tokenInputs();
    expectInvalid(() => tokenLoss(x), /inputs.refLogp must be given when beta > 0 \(beta is 0.04; pass beta: 0 for no KL term\)/);
    expect(tokenLoss(x, { beta: 0 }).gradLogp).toBeInstanceOf(Float32Array);
  });
  it('missing layout', () => {
    const { shape: _s, ...x } = tokenInputs();
    expectInvalid(() => tokenLoss(x), /inputs.shape must be \[B, L\] \(or give inputs.offsets\)/);
  });
  it('bad options name the field, the value and the expectation', () => {
    const x = tokenInputs();
    expectInvalid(() => tokenLoss(x, { clipLow: 1 }), /tokenLoss: option clipLow must be a number in \[0, 1\); got 1/);
    expectInvalid(() => tokenLoss(x, { clipHigh: -0.1 }), /option clipHigh must be a finite number >= 0; got -0.1/);
    expectInvalid(() => tokenLoss(x, { clipC: 1 }), /option clipC must be a number > 1, or null for no dual clip; got 1/);
    expectInvalid(() => tokenLoss(x, { beta: NaN }), /option beta must be a finite number >= 0; got NaN/);
    expectInvalid(() => tokenLoss(x, { kl: 'k4' as never }), /option kl must be one of 'k1', 'abs', 'k2', 'k3'; got 'k4'/);
    expectInvalid(() => tokenLoss(x, { agg: 'mean' as never }), /option agg must be one of 'token-mean'/);
    expectInvalid(() => tokenLoss(x, { normLen: 0 }), /option normLen must be a finite number > 0; got 0/);
    expectInvalid(() => tokenLoss(x, { gradOut: new Float64Array(6) }), /option gradOut must be a Float32Array of length 6/);
    expectInvalid(() => tokenLoss(x, { advantagesPer: 'batch' as never }), /option advantagesPer/);
  });
  it('async variant rejects the same way', async () => {
    const a = tokenInputs();
    a.logp[2] = Infinity;
    await expectRejects(() => tokenLossAsync(a), /logp\[2\] is Infinity/);
  });
});

function logitsInputs(N = 3, V = 5) {
  return {
    logits: Float32Array.from({ length: N * V }, (_, i) => Math.sin(i)),
    labels: Int32Array.from({ length: N }, (_, i) => i % V),
    oldLogp: new Float64Array(N).fill(-1.5),
    refLogp: new Float64Array(N).fill(-1.6),
    advantages: Float64Array.from({ length: N }, (_, i) => i - 1),
  };
}

describe('logitsLoss: bad input', () => {
  it('labels outside the vocabulary', () => {
    expectInvalid(() => logitsLoss({ ...logitsInputs(), labels: [0, 5, 1] }), /labels\[1\] = 5 is outside the vocabulary \[0, 5\)/);
    expectInvalid(() => logitsLoss({ ...logitsInputs(), labels: [0, -1, 1] }), /inputs.labels\[1\] must be a non-negative integer token id; got -1/);
    expectInvalid(() => logitsLoss({ ...logitsInputs(), labels: Int32Array.from([0, -7, 1]) }), /labels\[1\] = -7 is outside the vocabulary/);
  });
  it('NaN or Inf logits', () => {
    const a = logitsInputs();
    a.logits[7] = NaN;
    expectInvalid(() => logitsLoss(a), /logits\[7\] \(row 1, column 2\) is NaN; logits must be finite/);
    const b = logitsInputs();
    b.logits[14] = -Infinity;
    expectInvalid(() => logitsLoss(b), /logits\[14\] \(row 2, column 4\) is -Infinity/);
    const c = logitsInputs();
    const bf = new Uint16Array(15).fill(0x3f80);
    bf[3] = 0x7f80; // bf16 +Inf
    expectInvalid(() => logitsLoss({ ...c, logits: bf }), /logits\[3\] \(row 0, column 3\) is Infinity/);
  });
  it('NaN or Inf log-probs', () => {
    const a = logitsInputs();
    a.oldLogp[2] = NaN;
    expectInvalid(() => logitsLoss(a), /oldLogp\[2\] is NaN; log-probs must be finite/);
    const b = logitsInputs();
    b.refLogp[0] = Infinity;
    expectInvalid(() => logitsLoss(b), /refLogp\[0\] is Infinity/);
  });
  it('mismatched lengths', () => {
    expectInvalid(() => logitsLoss({ ...logitsInputs(), logits: new Float32Array(14) }), /inputs.logits must be of length labels.length × vocab, a multiple of 3; got a Float32Array of length 14/);
    expectInvalid(() => logitsLoss({ ...logitsInputs(), vocab: 4 }), /inputs.logits must be of length labels.length × vocab \(3 × 4 = 12\); got a Float32Array of length 15/);
    expectInvalid(() => logitsLoss({ ...logitsInputs(), oldLogp: [-1, -1] }), /inputs.oldLogp must be of length 3; got \[-1, -1\]/);
    expectInvalid(() => logitsLoss({ ...logitsInputs(), advantages: [1, 2] }), /inputs.advantages must be one per sequence \(1\) or one per token \(3\)/);
    expectInvalid(() => logitsLoss({ ...logitsInputs(), shape: [2, 2] }), /inputs.shape must be \[B, L\] with B·L = 3/);
  });
  it('vocabulary above 262144', () => {
    const N = 1, V = 262145;
    expectInvalid(() => logitsLoss({ ...logitsInputs(1, 2), logits: new Float32Array(N * V), labels: [0] }), /inputs.logits must be 1 rows of 1..262144 logits \(vocab = 262145\)/);
    expectInvalid(() => logitsLoss({ ...logitsInputs(1, 2), logits: new Float32Array(N * V), labels: [0], vocab: V }), /inputs.vocab must be an integer vocabulary size in 1..262144; got 262145/);
  });
  it('empty batch', () => expectInvalid(() => logitsLoss({ ...logitsInputs(), labels: [], logits: new Float32Array(0) }), /empty batch: inputs.labels is empty/));
  it('bad options', () => {
    expectInvalid(() => logitsLoss(logitsInputs(), { temperature: 0 }), /logitsLoss: option temperature must be a number in \[0\.0001, 10000\]; got 0/);
    expectInvalid(() => logitsLoss(logitsInputs(), { inPlace: true, gradOut: new Float32Array(15) }), /option gradOut must be omitted with inPlace: true/);
    expectInvalid(() => logitsLoss(logitsInputs(), { gradOut: new Uint16Array(15) }), /option gradOut must be a Float32Array of length 15/);
    expectInvalid(() => logitsLoss({ ...logitsInputs(), logits: new Int32Array(15) } as never), /inputs.logits must be a Float32Array, Float64Array or Uint16Array \(bf16\)/);
  });
  it('async variant rejects the same way', async () => {
    const a = logitsInputs();
    a.logits[0] = NaN;
    await expectRejects(() => logitsLossAsync(a), /logits\[0\] \(row 0, column 0\) is NaN/);
  });
});

describe('backend option', () => {
  it("'cuda' is refused for the CPU-only GRPO calls; bad values are invalid", () => {
    let caught: unknown;
    try {
      groupAdvantages([1, 0], 2, { backend: 'cuda' });
    } catch (err) {
      caught = err;
    }
    expect((caught as EmotionThinkerError).code).toBe('ERR_BACKEND_UNAVAILABLE');
    expectInvalid(() => tokenLoss(tokenInputs(), { backend: 'gpu' as never }), /option "backend" must be 'auto', 'cpu' or 'cuda'/);
  });
});
