import type { BrowserPool } from '../browser/browser-pool.ts';
import type { EgressProxy } from '../browser/egress-proxy.ts';
import { runTest } from '../runner/run-test.ts';
import type { TestExecutor } from './engine.ts';
import { testDataDir } from './import-tests.ts';
import { liveTap, viewportOf } from './live-tap.ts';
import type { LiveView } from './live-view.ts';

/** The engine's executor backed by a real browser (the run's): one job → one fresh context. */
export function chromiumExecutor(
  pool: BrowserPool,
  dataDir: string,
  live?: LiveView,
  /** The URL guard: every request of every test goes through it (run targets are user input). */
  egress?: EgressProxy,
): TestExecutor {
  return (job) =>
    runTest(pool, {
      test: job.test,
      lane: job.lane,
      baseUrl: job.run.baseUrl,
      variables: job.variables,
      secrets: job.secrets,
      artifactsDir: job.artifactsDir,
      // Result paths are artifact store keys: relative to the root the engine gave the attempt.
      artifactsBase: job.artifactsRoot,
      testDataDir: testDataDir(dataDir, job.run.projectId),
      trace: job.options.trace,
      screenshots: job.options.screenshots,
      video: job.options.video,
      emulation: job.options,
      ...viewportOf(job.options),
      ...(live ? { onPage: liveTap(live, job) } : {}),
      signal: job.signal,
      baselines: job.baselines,
      ...(job.locatorMemory ? { locatorMemory: job.locatorMemory } : {}),
      healing: job.options.healing,
      ...(egress ? { proxy: egress.contextProxy } : {}),
    });
}
