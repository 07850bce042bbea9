import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { loadConfig } from '../../src/config.ts';
import { CrawlService } from '../../src/crawl/crawl-service.ts';
import type { SiteMap } from '../../src/crawl/site-map.ts';
import { startDemoSite, type DemoSite } from '../../src/demo/demo-server.ts';
import type { Project } from '../../src/domain/project.ts';
import { parseTestDocument } from '../../src/domain/test-definition.ts';
import { signInSession } from '../../src/engine/sign-in-session.ts';
import { openStore, type Store } from '../../src/store/connect.ts';
import { storeOptions } from '../../src/store/secret-key.ts';

let dir: string;
let store: Store;
let pool: BrowserPool;
let crawls: CrawlService;
let demo: DemoSite;
let project: Project;

const signInSteps = (password: string, timeout = 10_000) => [
  { goto: '/login' },
  { fill: { label: 'Email' }, value: '{{DEMO_EMAIL}}' },
  { fill: { label: 'Password' }, value: password },
  { click: { role: 'button', name: 'Sign in' } },
  { expect: { url: '/dashboard' }, timeout },
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gl-crawl-signin-'));
  const config = loadConfig(
    {},
    {
      dataDir: dir,
      databaseUrl: `sqlite:${join(dir, 'greenlight.db')}`,
      allowPrivateUrls: ['loopback'],
    },
  );
  store = await openStore(storeOptions(config));
  pool = new BrowserPool({ chromiumPath: null, browserWs: null });
  crawls = new CrawlService({
    store,
    pool,
    config,
    signIn: signInSession({ store, pool, dataDir: dir }),
  });
  demo = await startDemoSite({ port: 0, slowMs: 20 });
  project = await store.projects.create({ slug: 'demo', name: 'Demo', baseUrl: demo.url });
  await store.environments.upsert(project.id, {
    name: 'default',
    baseUrl: null,
    variables: { DEMO_EMAIL: 'demo@example.com', DEMO_PASSWORD: 'greenlight123' },
    secretNames: ['DEMO_PASSWORD'],
  });
});

afterAll(async () => {
  await crawls.close();
  await pool.close();
  await demo.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function crawlOnce(signInTestId?: string) {
  const record = await crawls.start({
    project,
    request: { maxPages: 10, concurrency: 2, generate: false, signInTestId },
  });
  await crawls.settled(record.id);
  return {
    record: await store.crawls.get(project.id, record.id),
    siteMap: (await store.crawls.siteMap(project.id, record.id)) as SiteMap | null,
  };
}

describe('crawl with sign-in', () => {
  it('crawls the dashboard signed in, and the login redirect without', async () => {
    const test = await store.tests.create(
      project.id,
      parseTestDocument({ name: 'Sign in', steps: signInSteps('{{DEMO_PASSWORD}}') }),
      { status: 'approved', source: 'api' },
    );

    const signedIn = await crawlOnce(test.id);
    expect(signedIn.record?.status).toBe('done');
    const dashboard = signedIn.siteMap?.pages.find((p) => p.path === '/dashboard');
    expect(dashboard?.status).toBe(200);
    expect(dashboard?.headings.map((h) => h.text)).toContain('Welcome, Demo User');
    expect(signedIn.siteMap?.pages.some((p) => p.path.startsWith('/login?next'))).toBe(false);

    const anonymous = await crawlOnce();
    expect(anonymous.record?.status).toBe('done');
    const paths = anonymous.siteMap?.pages.map((p) => p.path) ?? [];
    expect(paths).not.toContain('/dashboard');
    expect(paths.some((p) => p.startsWith('/login'))).toBe(true);
  });

  it('fails the crawl when the sign-in test fails', async () => {
    const test = await store.tests.create(
      project.id,
      parseTestDocument({ name: 'Bad sign in', steps: signInSteps('wrong-password', 1_000) }),
      { status: 'draft', source: 'api' },
    );
    const { record } = await crawlOnce(test.id);
    expect(record?.status).toBe('failed');
    expect(record?.error).toMatch(/^sign-in test 'Bad sign in' failed at step 5: /);
    expect(record?.pages).toBe(0);
  });

  it('refuses an unknown sign-in test before recording a crawl', async () => {
    await expect(
      crawls.start({ project, request: { signInTestId: 'no-such-test' } }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
  });
});
