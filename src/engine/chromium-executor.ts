import type { BrowserPool } from '../browser/browser-pool.ts';
import { runTest } from '../runner/run-test.ts';
import type { TestExecutor } from './engine.ts';
import { testDataDir } from './import-tests.ts';

/** The engine's executor backed by real Chromium: one job → one fresh browser context. */
export function chromiumExecutor(pool: BrowserPool, dataDir: string): TestExecutor {
  return (job) =>
    runTest(pool, {
      test: job.test,
      baseUrl: job.run.baseUrl,
      variables: job.variables,
      secrets: job.secrets,
      artifactsDir: job.artifactsDir,
      // The runner stores artifact paths relative to the data dir, which the API serves from.
      artifactsBase: dataDir,
      testDataDir: testDataDir(dataDir, job.run.projectId),
      trace: job.options.trace,
      signal: job.signal,
    });
}
