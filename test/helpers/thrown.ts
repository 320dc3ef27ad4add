// The EmotionThinkerError a synchronous call throws; fails the test when it returns or throws
// anything else. `returned` says what the test expected, for the message when nothing is thrown.
import { expect } from 'vitest';
import { EmotionThinkerError } from '../../src/index.js';

export function thrownError(fn: () => unknown, returned = 'expected an error, but the call returned'): EmotionThinkerError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EmotionThinkerError);
    return err as EmotionThinkerError;
  }
  throw new Error(returned);
}
