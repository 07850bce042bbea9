import { join } from 'node:path';
import { DEFAULT_ENVIRONMENT, type Project } from '../domain/project.ts';
import type { Store } from '../store/connect.ts';
import { importTestData, importTests } from '../engine/import-tests.ts';
import { startDemoSite } from '../demo/demo-server.ts';

export const DEMO_SLUG = 'demo';
/** The bundled tests of the demo project (demo/tests in the checkout). */
export const demoTestsDir = join(import.meta.dirname, '..', '..', 'demo', 'tests');

/**
 * Seed the demo project on first start: project, a `default` environment with the sign-in
 * variables (password secret) and the bundled tests. Later starts only keep its base URL current,
 * so reviews and edits made by the user survive.
 */
export async function ensureDemoProject(
  store: Store,
  dataDir: string,
  baseUrl: string,
): Promise<Project> {
  const existing = await store.projects.get(DEMO_SLUG);
  if (existing) {
    return existing.baseUrl === baseUrl
      ? existing
      : store.projects.update(existing.id, { baseUrl });
  }
  const project = await store.projects.create({
    slug: DEMO_SLUG,
    name: 'Demo: Acme Tasks',
    baseUrl,
    parallelWorkers: 4,
  });
  await store.environments.upsert(project.id, {
    name: DEFAULT_ENVIRONMENT,
    baseUrl: null,
    variables: { DEMO_EMAIL: 'demo@example.com', DEMO_PASSWORD: 'greenlight123' },
    secretNames: ['DEMO_PASSWORD'],
  });
  await importTests(store, project.id, demoTestsDir, { source: 'demo' });
  await importTestData(dataDir, project.id, demoTestsDir);
  return project;
}

export interface DemoSiteHandle {
  url: string;
  /** Stops the site if this process started it. */
  close(): Promise<void>;
}

async function isDemoSite(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { status?: string; app?: string };
    return res.ok && body.status === 'ok';
  } catch {
    return false;
  }
}

/**
 * Make sure the bundled demo site answers: reuse one already listening on the demo port (a
 * running `greenlight serve`), else start it there, else on a free port.
 */
export async function ensureDemoSite(port: number, host = '127.0.0.1'): Promise<DemoSiteHandle> {
  const url = `http://${host}:${port}`;
  if (await isDemoSite(url)) return { url, close: async () => {} };
  try {
    return await startDemoSite({ host, port });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    return startDemoSite({ host, port: 0 });
  }
}
