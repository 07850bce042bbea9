import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Starts a real PostgreSQL for the store tests when none answers (test/global-postgres.ts).
    globalSetup: ['test/global-postgres.ts'],
    // Browser tests share two cores; files run in parallel, tests inside a file in sequence.
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
