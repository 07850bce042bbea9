import { parseTestDocument } from '../../src/domain/test-definition.ts';
import { flagStaleTests } from '../../src/engine/stale-tests.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoSite, type DemoSite } from '../../src/demo/demo-server.ts';
import type { Store } from '../../src/store/connect.ts';
import { startTestApi, type TestApi } from '../helpers/test-api.ts';
import { createAdmin } from './auth-helpers.ts';

let api: TestApi;
let store: Store;
let demo: DemoSite;
let url: string;
let auth: Record<string, string>;

beforeAll(async () => {
  api = await startTestApi({
    config: { allowPrivateUrls: ['loopback'] },
    workers: 1,
    crawls: {
      phases: false,
      afterCrawl: (projectId, siteMap, actor) =>
        flagStaleTests(api.store, projectId, siteMap, { actor }),
    },
  });
  ({ store, url } = api);
  const admin = await createAdmin(store);
  auth = { authorization: `Bearer ${admin.apiKey}`, 'content-type': 'application/json' };
  demo = await startDemoSite({ slowMs: 20 });
});

afterAll(async () => {
  await api.close();
  await demo.close();
});

const post = (path: string, body: unknown) =>
  fetch(`${url}/api/v1${path}`, { method: 'POST', headers: auth, body: JSON.stringify(body) });

/** Read an SSE stream to its end: the events in order. */
async function readEvents(
  path: string,
): Promise<{ event: string; data: Record<string, unknown> }[]> {
  const res = await fetch(`${url}/api/v1${path}`, {
    headers: auth,
    signal: AbortSignal.timeout(60_000),
  });
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const text = await res.text();
  return text
    .split('\n\n')
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      return event && data ? { event, data: JSON.parse(data) as Record<string, unknown> } : null;
    })
    .filter((e): e is { event: string; data: Record<string, unknown> } => e !== null);
}

describe('crawl API', () => {
  it('202, progress over SSE, the result by GET, and draft tests generated', async () => {
    const project = await (await post('/projects', { name: 'Demo', baseUrl: demo.url })).json();
    const retired = await store.tests.create(
      project.id,
      parseTestDocument({ name: 'Old pricing page', steps: [{ goto: '/pricing-2019' }] }),
      { status: 'approved', source: 'api' },
    );
    const res = await post(`/projects/${project.id}/crawl`, { maxPages: 20, concurrency: 2 });
    expect(res.status).toBe(202);
    const { crawlId, eventsUrl } = await res.json();
    expect(eventsUrl).toBe(`/api/v1/projects/${project.id}/crawls/${crawlId}/events`);

    const events = await readEvents(eventsUrl.replace('/api/v1', ''));
    const kinds = events.map((e) => e.event);
    expect(kinds).toContain('progress');
    expect(kinds.filter((k) => k === 'page')).toHaveLength(10);
    expect(kinds.at(-1)).toBe('done');
    const done = events.at(-1)?.data;
    expect(done).toMatchObject({ crawlId, status: 'done', pages: 10, error: null });
    expect(Number(done?.generated)).toBeGreaterThan(0);

    const got = await (
      await fetch(`${url}/api/v1/projects/${project.id}/crawls/${crawlId}`, { headers: auth })
    ).json();
    expect(got).toMatchObject({ id: crawlId, status: 'done', pages: 10 });
    expect(got.pageList.map((p: { path: string }) => p.path)).toContain('/products/paper-planner');
    expect(got.brokenLinks).toEqual([]);

    const drafts = await store.tests.list(project.id, { status: 'draft', limit: 500, offset: 0 });
    expect(drafts.total).toBe(done?.generated);
    expect(drafts.items.every((t) => t.source === 'crawl')).toBe(true);
    // The drafts are the crawl's work: their history names `crawl`, not the user who started it.
    const [created] = await store.testHistory.list(project.id, drafts.items[0]!.id);
    expect(created).toMatchObject({ action: 'created', actor: 'crawl' });
    // The crawl did not find the retired page, so its test is flagged for review.
    expect((await store.tests.get(project.id, retired.id))?.stale?.reason).toContain(
      '/pricing-2019',
    );

    // A second crawl proposes nothing new: generated tests are deduplicated by key.
    const second = await (await post(`/projects/${project.id}/crawl`, {})).json();
    const again = await readEvents(second.eventsUrl.replace('/api/v1', ''));
    expect(again.at(-1)?.data).toMatchObject({ status: 'done' });
    // A page that timed out under load in one crawl may appear in the other, so the second crawl
    // may add that page's tests — but never a second copy of a test the first one made.
    const all = await store.tests.list(project.id, { limit: 500, offset: 0 });
    const keys = all.items.map((t) => t.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(all.total).toBe(Number(done?.generated) + Number(again.at(-1)?.data.generated) + 1);
  });

  it('refuses metadata addresses, and aborts a running crawl', async () => {
    const project = await (await post('/projects', { name: 'Other', baseUrl: demo.url })).json();
    const refused = await post(`/projects/${project.id}/crawl`, {
      startUrl: 'http://169.254.169.254/',
    });
    expect(refused.status).toBe(400);
    expect((await refused.json()).code).toBe('validation_failed');

    const started = await (await post(`/projects/${project.id}/crawl`, { concurrency: 1 })).json();
    const abort = await post(`/projects/${project.id}/crawls/${started.crawlId}/abort`, {});
    expect(abort.status).toBe(202);
    const events = await readEvents(started.eventsUrl.replace('/api/v1', ''));
    expect(events.at(-1)?.data).toMatchObject({ status: 'cancelled' });
    const after = await post(`/projects/${project.id}/crawls/${started.crawlId}/abort`, {});
    expect(after.status).toBe(409);
  });
});
