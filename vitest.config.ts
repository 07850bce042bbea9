import { defineConfig } from 'vitest/config';

// Browser tests share two cores; files run in parallel, tests inside a file in sequence.
const shared = { testTimeout: 60_000, hookTimeout: 60_000 };

export default defineConfig({
  test: {
    // Starts a real PostgreSQL for the store tests when none answers (test/global-postgres.ts).
    globalSetup: ['test/global-postgres.ts'],
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      {
        // Pure unit tests share workers (no per-file isolation): they hold no global state,
        // and a fresh worker per file cost more than their own run time.
        test: { ...shared, name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false },
      },
      {
        test: {
          ...shared,
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/unit/**'],
        },
      },
    ],
  },
});
