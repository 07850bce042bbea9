import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageSnapshot, SiteMap } from '../../src/crawl/site-map.ts';
import { flagStaleTests } from '../../src/engine/stale-tests.ts';
import { startHarness, type Harness } from './api-harness.ts';

let h: Harness;
let projectId = '';
const P = '/api/v1/projects/stale';
const origin = 'http://shop.test';

function page(path: string, over: Partial<PageSnapshot> = {}): PageSnapshot {
  return {
    url: origin + path,
    path,
    status: 200,
    title: 'Shop',
    headings: [],
    links: [],
    navLinks: [],
    forms: [],
    buttons: [],
    inputs: [],
    consoleErrors: [],
    apiCalls: [],
    fingerprint: path,
    depth: 1,
    ...over,
  };
}

/** A hand-written crawl of a small shop: what the crawler would hand over. */
const site: SiteMap = {
  startUrl: `${origin}/`,
  origin,
  pages: [
    page('/', {
      depth: 0,
      headings: [{ level: 1, text: 'Welcome to the  shop' }],
      navLinks: [{ href: `${origin}/products`, text: 'Products' }],
      buttons: [{ text: 'Add to cart', role: 'button', testId: 'add-to-cart' }],
    }),
    page('/products', { links: [{ href: `${origin}/products/1`, text: 'Blue mug' }] }),
    page('/login', {
      forms: [
        {
          action: `${origin}/login`,
          method: 'POST',
          fields: [{ label: 'Email', name: 'email', type: 'email', required: true }],
          submitText: 'Sign in',
          destructive: false,
        },
      ],
      inputs: [
        {
          label: 'Email',
          name: 'email',
          type: 'email',
          placeholder: 'you@example.com',
          required: true,
        },
      ],
    }),
    page('/reports', { status: 404, title: 'Not found' }),
    page('/new-home', { requestedUrl: `${origin}/old-home` }),
  ],
  brokenLinks: [{ from: `${origin}/`, url: `${origin}/gone`, status: 410 }],
  skipped: [{ url: `${origin}/archive`, reason: 'max-pages' }],
};

async function create(name: string, steps: unknown[], status = 'draft'): Promise<string> {
  const res = await h.call('POST', `${P}/tests`, { name, steps, status });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const ids: Record<string, string> = {};

beforeAll(async () => {
  h = await startHarness();
  projectId = (await h.call('POST', '/api/v1/projects', { name: 'Stale', baseUrl: origin })).body
    .id;
  ids.fine = await create(
    'Fine',
    [
      { goto: '/' },
      { expect: { visible: { role: 'heading', name: 'welcome to the shop' } } },
      { click: { testId: 'add-to-cart' } },
      { click: { role: 'link', name: 'Products' } },
      { goto: '/login' },
      { fill: { label: 'Email' }, value: 'x@example.test' },
      { fill: { role: 'textbox', name: 'Email' }, value: 'x@example.test' },
      { click: { role: 'button', name: 'Sign in', exact: true } },
      { goto: '/products?page=2' },
      { goto: '/old-home' },
      { goto: '/archive' },
      { goto: '{{OTHER}}/x' },
      { click: 'css=.anything' },
      { expect: { hidden: { text: 'Never on the page' } } },
    ],
    'approved',
  );
  ids.missingPage = await create('Missing page', [{ goto: '/promo' }]);
  ids.notFound = await create('Reports', [{ goto: '/reports/' }]);
  ids.gone = await create('Gone', [{ goto: '/gone' }]);
  ids.locator = await create(
    'Locator gone',
    [{ goto: '/' }, { click: { role: 'button', name: 'Buy now' } }, { click: { testId: 'pay' } }],
    'approved',
  );
  ids.rejected = await create('Rejected', [{ goto: '/promo' }], 'rejected');
});
afterAll(async () => {
  await h?.close();
});

describe('stale tests', () => {
  it('flags tests whose page is gone or whose locators match nothing, with reasons', async () => {
    const r = await flagStaleTests(h.store, projectId, site);
    expect(r.checked).toBe(5); // rejected tests are not checked
    expect(r.newlyFlagged).toBe(4);
    const reasons = Object.fromEntries(r.flagged.map((f) => [f.testId, f.reason]));
    expect(Object.keys(reasons).sort()).toEqual(
      [ids.missingPage, ids.notFound, ids.gone, ids.locator].sort(),
    );
    expect(reasons[ids.missingPage!]).toBe('step 1: page /promo was not found by the crawl');
    expect(reasons[ids.notFound!]).toBe('step 1: page /reports answered 404 in the crawl');
    expect(reasons[ids.gone!]).toBe('step 1: page /gone answered 410 in the crawl');
    expect(reasons[ids.locator!]).toBe(
      'step 2: role=button[name="Buy now"] matches nothing in the crawled pages; ' +
        'step 3: testId="pay" matches nothing in the crawled pages',
    );
  });

  it('lists flagged tests with ?stale=true and shows the flag on the test', async () => {
    const stale = await h.call('GET', `${P}/tests?stale=true`);
    expect(stale.body.total).toBe(4);
    const locator = stale.body.items.find((t: { id: string }) => t.id === ids.locator);
    expect(locator.stale).toMatchObject({ reason: expect.stringContaining('Buy now') });
    expect(locator.status).toBe('approved'); // a flag asks for review; it does not unapprove
    const fresh = await h.call('GET', `${P}/tests?stale=false`);
    expect(fresh.body.items.map((t: { id: string }) => t.id).sort()).toEqual(
      [ids.fine, ids.rejected].sort(),
    );
    expect(fresh.body.items[0].stale).toBeNull();
    const history = await h.call('GET', `${P}/tests/${ids.gone}/history`);
    expect(history.body.items[0]).toMatchObject({
      action: 'flagged_stale',
      actor: 'crawl',
      status: 'draft',
      note: 'step 1: page /gone answered 410 in the crawl',
    });
  });

  it('does not flag again for the same reason', async () => {
    const again = await flagStaleTests(h.store, projectId, site);
    expect(again.flagged).toHaveLength(4);
    expect(again.newlyFlagged).toBe(0);
    const history = await h.call('GET', `${P}/tests/${ids.gone}/history`);
    expect(history.body.items).toHaveLength(2);
  });

  it('clears the flag when the test is approved or edited', async () => {
    const approved = await h.call('POST', `${P}/tests/${ids.locator}/approve`);
    expect(approved.body).toMatchObject({ status: 'approved', stale: null });
    const versions = (await h.call('GET', `${P}/tests/${ids.locator}/history`)).body.items;
    expect(versions.map((v: { action: string }) => v.action)).toEqual([
      'approved',
      'flagged_stale',
      'created',
    ]);

    const edited = await h.call('PATCH', `${P}/tests/${ids.missingPage}`, {
      steps: [{ goto: '/' }],
    });
    expect(edited.body.stale).toBeNull();

    const stale = await h.call('GET', `${P}/tests?stale=true`);
    expect(stale.body.items.map((t: { id: string }) => t.id).sort()).toEqual(
      [ids.notFound, ids.gone].sort(),
    );
  });

  it('does not flag again what a reviewer approved after the same flag', async () => {
    const r = await flagStaleTests(h.store, projectId, site);
    expect(r.flagged.map((f) => f.testId).sort()).toEqual([ids.notFound, ids.gone].sort());
    expect(r.newlyFlagged).toBe(0);
    const locator = await h.call('GET', `${P}/tests/${ids.locator}`);
    expect(locator.body.stale).toBeNull();
  });

  it('flags nothing when the crawl reached no page (the site may be down)', async () => {
    const down: SiteMap = { ...site, pages: [page('/', { status: 503 })], brokenLinks: [] };
    const r = await flagStaleTests(h.store, projectId, down);
    expect(r.flagged).toEqual([]);
  });
});
