// Issue #15 item 8: one table of error codes (ET_ERROR_CODES in native/common/error.hpp) and one
// exception-to-code mapping in the bindings (coded_error in bindings/convert.hpp).
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, EmotionThinkerError, fromNative } from '../src/errors.js';
import { native } from '../src/native.js';
import { groupAdvantages, groupAdvantagesAsync, tokenLossAsync } from '../src/index.js';

describe('error codes', () => {
  it('the TypeScript codes are exactly the public rows of the native table, in order', () => {
    expect(native.errorCodes.filter((r) => r.public).map((r) => r.code)).toEqual([...ERROR_CODES]);
    for (const r of native.errorCodes) expect(r.meaning.length).toBeGreaterThan(0);
  });

  it('an internal code (ERR_CANCELLED) is not public: fromNative turns it into ERR_INTERNAL', () => {
    expect(native.errorCodes.find((r) => r.code === 'ERR_CANCELLED')?.public).toBe(false);
    expect(fromNative(Object.assign(new Error('x'), { code: 'ERR_CANCELLED' })).code).toBe('ERR_INTERNAL');
  });

  it('et::Error keeps its code through the sync and the async bindings alike', async () => {
    // Infinite reward: the native core throws ERR_INVALID_ARG (the TS layer does not check values).
    let sync: unknown;
    try {
      groupAdvantages(new Float64Array([1, Infinity]), 2);
    } catch (e) {
      sync = e;
    }
    expect(sync).toBeInstanceOf(EmotionThinkerError);
    expect((sync as EmotionThinkerError).code).toBe('ERR_INVALID_ARG');
    await expect(groupAdvantagesAsync(new Float64Array([1, Infinity]), 2)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: (sync as Error).message });
    await expect(
      tokenLossAsync({ logp: new Float64Array([NaN, 0]), oldLogp: new Float64Array(2), advantages: [1], shape: [1, 2] }, { beta: 0 }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' });
  });
});
