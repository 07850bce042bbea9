import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserPool } from '../browser/browser-pool.ts';
import { AppError } from '../domain/errors.ts';
import { DEFAULT_ENVIRONMENT } from '../domain/project.ts';
import { runTest, type StorageState } from '../runner/run-test.ts';
import type { Store } from '../store/connect.ts';
import { testDataDir } from './import-tests.ts';

export interface SignInDeps {
  store: Store;
  pool: BrowserPool;
  /** For the project's upload files, when the sign-in test uses any. */
  dataDir?: string;
}

export interface SignInOptions {
  /** Where the test's relative URLs point; default the environment's, else the project's baseUrl. */
  baseUrl?: string;
  signal?: AbortSignal;
}

/** Signs in for a crawl: the storage state a crawl's browser context starts from. */
export type SignIn = (
  projectId: string,
  testId: string,
  opts?: SignInOptions,
) => Promise<StorageState>;

/**
 * Run a project's sign-in test with the real runner in a fresh context and keep the context's
 * cookies and storage. A test that does not pass throws, naming the test and the failed step.
 */
export function signInSession(deps: SignInDeps): SignIn {
  return async (projectId, testId, opts = {}) => {
    const { store } = deps;
    const [project, test, env] = await Promise.all([
      store.projects.get(projectId),
      store.tests.get(projectId, testId),
      store.environments.get(projectId, DEFAULT_ENVIRONMENT),
    ]);
    if (!project) throw new AppError('not_found', `project "${projectId}" not found`);
    if (!test || test.status === 'rejected') {
      throw new AppError('validation_failed', `sign-in test "${testId}" not found in this project`);
    }
    const variables = env?.variables ?? {};
    const secrets = (env?.secretNames ?? [])
      .map((n) => variables[n])
      .filter((v): v is string => typeof v === 'string' && v.length > 0);
    // Nothing reads a sign-in's files later: a failure screenshot lives only as long as the call.
    const dir = await mkdtemp(join(tmpdir(), 'gl-sign-in-'));
    try {
      const outcome = await runTest(deps.pool, {
        test,
        baseUrl: opts.baseUrl ?? env?.baseUrl ?? project.baseUrl,
        variables,
        secrets,
        artifactsDir: dir,
        artifactsBase: dir,
        ...(deps.dataDir ? { testDataDir: testDataDir(deps.dataDir, projectId) } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        keepStorageState: true,
      });
      if (outcome.status !== 'passed' || !outcome.storageState) {
        const at = outcome.failedStep !== null ? ` at step ${outcome.failedStep + 1}` : '';
        throw new Error(
          `sign-in test '${test.name}' failed${at}: ${outcome.error ?? outcome.status}`,
        );
      }
      return outcome.storageState;
    } finally {
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  };
}
