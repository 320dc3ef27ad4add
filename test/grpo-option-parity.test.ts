// Issue #15: one owner per GRPO option set. Every option set resolves to the same options through
// the CPU entry (grpo.ts: groupAdvantages, ptrRewards, tokenLoss, logitsLoss — whatever their
// backend) and the CUDA device-buffer entry (cuda.ts), for the defaults and for each option
// changed on its own. Nothing is launched, so this runs without a GPU. The options come from the
// table in native/grpo/options.hpp (native.grpoOptionSpecs); the raw bindings read the same table.
import { describe, expect, it } from 'vitest';
import { groupAdvantagesOptions, ptrRewardOptions, resolveLogitsLossCall, resolveTokenLossCall, tokenLoss, type AdvantageMode, type KlEstimator, type LossAggregation } from '../src/grpo.js';
import { cudaAdvantageOptions, cudaPtrOptions, resolveCudaLogitsLossCall, resolveCudaTokenLossCall } from '../src/cuda.js';
import { grpoOptionSpecs } from '../src/grpo-options.js';
import { native, type RawOptionSpec } from '../src/native.js';

// Valid values other than the default for one row (each is resolved on both entries).
function variants(s: RawOptionSpec): unknown[] {
  switch (s.kind) {
    case 'enum':
      return s.choices!.filter((c) => c !== s.default);
    case 'bool':
      return [!s.default];
    case 'weights':
      return [[0.1, 0.2, 0.3, 0.4], [0.5, 0.5]];
    default: {
      const ok = (v: number) =>
        Number.isFinite(v) && (s.kind !== 'integer' || Number.isInteger(v)) && (s.minOpen ? v > s.min : v >= s.min) && (s.maxOpen ? v < s.max : v <= s.max);
      const d = typeof s.default === 'number' ? s.default : 0;
      const picks = [d * 2, d + 0.5, d / 2, s.min + 0.25, 7, 2].filter((v) => ok(v) && v !== d);
      const out: unknown[] = [picks[0]];
      if (s.nullable) out.push(null);
      if (s.derived) out.push(d === 0 ? picks[1] ?? picks[0] : d);  // an explicit value where the default is derived
      return out;
    }
  }
}

const sets = grpoOptionSpecs;

describe('the option tables', () => {
  it('are exported by the addon with a default, a range text and a meaning for every row', () => {
    for (const set of ['advantages', 'ptr', 'loss', 'logits'] as const) {
      expect(sets[set].length).toBeGreaterThan(0);
      for (const s of sets[set]) {
        expect(typeof s.key).toBe('string');
        expect(s.expected.length).toBeGreaterThan(0);
        expect(s.meaning.length).toBeGreaterThan(0);
        if (s.kind === 'enum') expect(s.choices).toContain(s.default);
      }
    }
  });

  it('list the choices the public TypeScript types name (a type restates them; this keeps them equal)', () => {
    const kl: KlEstimator[] = ['k1', 'abs', 'k2', 'k3'];
    const agg: LossAggregation[] = ['token-mean', 'seq-mean-token-mean', 'seq-mean-token-sum', 'seq-mean-token-sum-norm'];
    const mode: AdvantageMode[] = ['grpo', 'dr_grpo', 'rloo'];
    const choices = (set: 'loss' | 'advantages', key: string) => sets[set].find((s) => s.key === key)!.choices;
    expect(choices('loss', 'kl')).toEqual(kl);
    expect(choices('loss', 'agg')).toEqual(agg);
    expect(choices('advantages', 'mode')).toEqual(mode);
  });

  it('hold the defaults docs/formulas.md gives (where the layers used to disagree)', () => {
    const d = (set: 'loss' | 'ptr' | 'advantages' | 'logits', key: string) => sets[set].find((s) => s.key === key)!;
    expect(d('loss', 'beta').default).toBe(0.04);  // "KL β = 0.04"
    expect(d('loss', 'clipC').default).toBe(3);  // "Dual-clip c (default 3, or off)"
    expect(d('loss', 'clipC').nullable).toBe(true);
    expect(d('loss', 'normLen').derived).toMatch(/padded row length/);
    expect(d('loss', 'advantagesPer').derived).toMatch(/per sequence when it equals the number of sequences/);
    expect(d('ptr', 'alphaFormat').default).toBe(0.3);
    expect(d('logits', 'temperature').default).toBe(1);
  });
});

describe('CPU and CUDA entries resolve every option set identically', () => {
  it('group advantages: defaults and each option changed', () => {
    expect(cudaAdvantageOptions('x', {})).toEqual(groupAdvantagesOptions('x', {}));
    for (const s of sets.advantages) {
      if (s.key === 'threads') continue;  // the CPU's worker count: the device-buffer API has none
      for (const v of variants(s)) {
        const o = { [s.key]: v };
        expect(cudaAdvantageOptions('x', o), `${s.key} = ${JSON.stringify(v)}`).toEqual(groupAdvantagesOptions('x', o));
        expect((groupAdvantagesOptions('x', o) as unknown as Record<string, unknown>)[s.key]).toEqual(v);
      }
    }
  });

  it('PTR: defaults and each option changed', () => {
    const both = (o: Record<string, unknown>) => {
      const cpu = ptrRewardOptions('x', o);
      expect(cudaPtrOptions('x', o), JSON.stringify(o)).toEqual(cpu);
      return cpu;
    };
    const dflt = both({});
    expect(Array.from(dflt.judgeWeights)).toEqual([0.25, 0.25, 0.25, 0.25]);
    const alphaName: Record<string, string> = { alphaFormat: 'format', alphaOutcome: 'outcome', alphaReasoning: 'reasoning' };
    for (const s of sets.ptr) {
      for (const v of variants(s)) {
        const o = s.key in alphaName ? { alpha: { [alphaName[s.key]]: v } } : { [s.key]: v };
        const r = both(o) as unknown as Record<string, unknown>;
        expect(ArrayBuffer.isView(r[s.key]) ? Array.from(r[s.key] as Float64Array) : r[s.key]).toEqual(v);
      }
    }
  });

  for (const [name, cpu, gpu, set] of [
    ['token loss', resolveTokenLossCall, resolveCudaTokenLossCall, 'loss'],
    ['logits loss', resolveLogitsLossCall, resolveCudaLogitsLossCall, 'logits'],
  ] as const) {
    it(`${name}: defaults and each option changed, on padded and single-sequence layouts`, () => {
      const calls = [
        { shape: [3, 4] as const, tokens: 12, advLength: 3 },
        { shape: [3, 4] as const, tokens: 12, advLength: 12 },
        // No layout: one sequence (logitsLoss and both CUDA calls; tokenLoss requires a layout).
        ...(set === 'logits' ? [{ tokens: 5, advLength: 5 }] : []),
      ];
      const rows = set === 'logits' ? [...sets.loss, ...sets.logits] : sets.loss;
      for (const call of calls) {
        const d = cpu({}, call);
        expect(gpu({}, call)).toEqual(d);
        expect(d.beta).toBe(0.04);
        expect(d.clipC).toBe(3);
        expect(d.normLen).toBe(call.shape ? call.shape[1] : call.tokens);
        expect(d.advantagesPer).toBe(call.advLength === (call.shape?.[0] ?? 1) ? 'sequence' : 'token');
        for (const s of rows) {
          if (s.key === 'threads') continue;  // the CPU's worker count: the device-buffer API has none
          for (const v of variants(s)) {
            const o = { [s.key]: v };
            const r = cpu(o as never, call) as unknown as Record<string, unknown>;
            expect(gpu(o as never, call), `${s.key} = ${JSON.stringify(v)}`).toEqual(r);
            expect(r[s.key]).toEqual(v === null ? 0 : v);
          }
        }
      }
    });
  }

  it('bad values are refused with the same message by both entries', () => {
    const call = { shape: [2, 2] as const, tokens: 4, advLength: 2 };
    for (const [o, msg] of [
      [{ clipC: 1 }, /option clipC must be a number > 1, or null for no dual clip; got 1/],
      [{ beta: -1 }, /option beta must be a finite number >= 0; got -1/],
      [{ kl: 'k9' }, /option kl must be one of 'k1', 'abs', 'k2', 'k3'; got 'k9'/],
      [{ normLen: 0 }, /option normLen must be a finite number > 0; got 0/],
    ] as const) {
      expect(() => resolveTokenLossCall(o as never, call)).toThrow(msg);
      expect(() => resolveCudaTokenLossCall(o as never, call)).toThrow(msg);
    }
    expect(() => ptrRewardOptions('p', { judgeWeights: new Array(9).fill(1 / 9) })).toThrow(/judgeWeights must be 1\.\.8 finite weights/);
    expect(() => cudaPtrOptions('p', { judgeWeights: new Array(9).fill(1 / 9) })).toThrow(/judgeWeights must be 1\.\.8 finite weights/);
  });
});

describe('the raw bindings take their defaults from the same table', () => {
  // Inputs where every defaulted option matters: a large ratio with A < 0 (the dual clip binds),
  // a reference (the KL term), per-sequence advantages.
  const inputs = () => ({
    logp: new Float64Array([-0.1, -0.2, -3, -0.4, -0.5, -0.6]),
    oldLogp: new Float64Array([-2.5, -0.25, -3.2, -0.3, -0.1, -0.9]),
    refLogp: new Float64Array([-0.3, -0.1, -2, -0.5, -0.7, -0.2]),
    advantages: new Float64Array([-1.5, 0.8]),
  });

  it('an empty options object to native.grpoTokenLoss gives tokenLoss with its defaults', () => {
    const want = tokenLoss({ ...inputs(), shape: [2, 3] });
    expect(want.metrics.clipFracDual).toBeGreaterThan(0);
    expect(want.metrics.klMean).toBeGreaterThan(0);
    const grad = new Float64Array(6);
    const m = native.grpoTokenLoss({ ...inputs(), batch: 2, length: 3, advPerToken: false }, {} as never, grad);
    expect(m.loss).toBe(want.loss);
    expect(Array.from(grad)).toEqual(Array.from(want.gradLogp!));
    // Before issue #15 the binding defaulted to beta 0 and no dual clip: a different loss.
    const off = tokenLoss({ ...inputs(), shape: [2, 3] }, { beta: 0, clipC: null });
    expect(m.loss).not.toBe(off.loss);
  });

  it('advPerToken absent from the raw inputs means per sequence on both loss calls', () => {
    const grad = new Float64Array(6);
    const m = native.grpoTokenLoss({ ...inputs(), batch: 2, length: 3 } as never, {} as never, grad);
    expect(m.loss).toBe(tokenLoss({ ...inputs(), shape: [2, 3] }).loss);
  });
});
