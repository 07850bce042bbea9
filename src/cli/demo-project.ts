import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { DEFAULT_ENVIRONMENT, type Project } from '../domain/project.ts';
import type { Store } from '../store/connect.ts';
import { importTestData, importTests } from '../engine/import-tests.ts';
import { IDENTITY_PATH, startDemoSite } from '../demo/demo-server.ts';

export const DEMO_SLUG = 'demo';
/** The port the bundled demo site wants (GREENLIGHT_DEMO_PORT, default 3100). */
export const demoPort = (): number => Number(process.env.GREENLIGHT_DEMO_PORT ?? 3100);
/** The bundled tests of the demo project (demo/tests in the checkout). */
const demoTestsDir = join(import.meta.dirname, '..', '..', 'demo', 'tests');

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
  /** Set when the wanted port was taken by another process and the site runs elsewhere. */
  note?: string;
  /** Stops the site if this process started it. */
  close(): Promise<void>;
}

/** The data folder's demo identity (created once): whose demo site a listening one is. */
function demoIdentity(dataDir: string | undefined): string {
  if (!dataDir) return randomUUID();
  const file = join(dataDir, 'demo-site.json');
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { identity?: unknown };
    if (typeof saved.identity === 'string' && saved.identity.length >= 32) return saved.identity;
  } catch {
    // none yet (or unreadable): make one
  }
  const identity = randomUUID();
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify({ identity }) + '\n', { mode: 0o600 });
  return identity;
}

/** Whether `url` is the demo site of this data folder (not merely something on the port). */
async function isOurDemoSite(url: string, identity: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}${IDENTITY_PATH}`, {
      signal: AbortSignal.timeout(1000),
      redirect: 'error',
    });
    const body = (await res.json()) as { identity?: unknown };
    return res.ok && body.identity === identity;
  } catch {
    return false;
  }
}

/**
 * Make sure this data folder's demo site answers: reuse it when it already listens on the demo
 * port (a running `greenlight serve` on the same folder), else start it there, else — the port
 * being another process's — on a free port, saying so. A foreign server is never adopted.
 */
export async function ensureDemoSite(opts: {
  port: number;
  host?: string;
  dataDir?: string;
}): Promise<DemoSiteHandle> {
  const host = opts.host ?? '127.0.0.1';
  const identity = demoIdentity(opts.dataDir);
  const url = `http://${host}:${opts.port}`;
  if (opts.port !== 0 && (await isOurDemoSite(url, identity))) {
    return { url, close: async () => {} };
  }
  try {
    return await startDemoSite({ host, port: opts.port, identity });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    const site = await startDemoSite({ host, port: 0, identity });
    return {
      ...site,
      note: `port ${opts.port} is taken by another process; the demo site runs on ${site.url}`,
    };
  }
}

/**
 * Let this process's URL guard reach exactly the demo site's origin (a loopback address the guard
 * otherwise refuses): the bundled demo works out of the box and nothing else is opened.
 */
export function trustDemoSite(config: Pick<Config, 'trustedOrigins'>, site: { url: string }): void {
  const origin = new URL(site.url).origin;
  if (!config.trustedOrigins.includes(origin)) config.trustedOrigins.push(origin);
}
