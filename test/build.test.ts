import { describe, expect, it } from 'vitest';
import { backends } from '../src/index.js';

describe('native build', () => {
  // .ci/run sets EXPECT_CUDA_BUILD=1 when nvcc is installed: the cmake-js CUDA build must then
  // have compiled and be the addon that loads, and with no GPU it must explain why.
  it.runIf(process.env.EXPECT_CUDA_BUILD === '1')('loads the cmake-js CUDA build and reports why CUDA is unavailable', () => {
    const b = backends();
    expect(b.cpu.buildSystem).toBe('cmake-js');
    expect(b.cuda.compiled).toBe(true);
    expect(b.cuda.runtimeVersion).toBeGreaterThanOrEqual(12000);
    if (!b.cuda.available) expect(b.cuda.reason).toMatch(/no CUDA driver|no CUDA device|older than/);
  });

  it('always reports a CPU backend and a CUDA status without throwing', () => {
    const b = backends();
    expect(b.cpu.addon).toMatch(/emotionthinker\.node$/);
    expect(typeof b.cuda.available).toBe('boolean');
    expect(b.cuda.available || (b.cuda.reason ?? '').length > 10).toBe(true);
  });
});
