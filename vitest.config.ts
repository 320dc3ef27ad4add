import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Native addons are not safe to share between worker threads of one process.
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
