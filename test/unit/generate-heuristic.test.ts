import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatedKey, normalisedSteps } from '../../src/crawl/generate-dedupe.ts';
import { generateTests, kindOf } from '../../src/crawl/generate.ts';
import { shapeCaptures } from '../../src/crawl/generate-api-contract.ts';
import type { FormSnapshot, SiteMap } from '../../src/crawl/site-map.ts';
import { parseTestDocument, type TestDocument } from '../../src/domain/test-definition.ts';

const fixture = (): SiteMap =>
  JSON.parse(
    readFileSync(new URL('../fixtures/crawl/demo-site.json', import.meta.url), 'utf8'),
  ) as SiteMap;

const byKey = (docs: TestDocument[], key: string): TestDocument => {
  const d = docs.find((t) => t.key === key);
  if (!d) throw new Error(`no test ${key}; have ${docs.map((t) => t.key).join(', ')}`);
  return d;
};

describe('generateTests on the demo site map', () => {
  const docs = generateTests(fixture(), []);

  it('writes exactly the expected suite, every test a valid draft', () => {
    expect(docs.map((d) => d.key).sort()).toEqual(
      [
        'crawl:smoke:/',
        'crawl:smoke:/products',
        'crawl:smoke:/app',
        'crawl:smoke:/reports',
        'crawl:smoke:/contact',
        'crawl:smoke:/login',
        'crawl:smoke:/login?next=%2Fdashboard',
        'crawl:smoke:/products/paper-planner',
        'crawl:smoke:/products/task-board',
        'crawl:smoke:/products/focus-timer',
        'crawl:journey:/products',
        'crawl:journey:/app',
        'crawl:journey:/reports',
        'crawl:journey:/contact',
        'crawl:journey:/dashboard',
        'crawl:journey:/login',
        'crawl:form-validation:/login#1',
        'crawl:form-validation:/contact#1',
        'crawl:form-submit:/contact#1',
        'crawl:form-submit:/app#1',
        'crawl:api:GET /api/todos',
      ].sort(),
    );
    for (const d of docs) {
      // Round-trips through the public parser: what the API would accept from a user.
      expect(parseTestDocument(JSON.parse(JSON.stringify(d)))).toEqual(d);
      expect(d.status).toBe('draft');
      expect(d.tags).toContain('generated');
      expect(d.suite).toBe('Generated');
    }
  });

  it('smoke tests check status, title, main heading and form buttons', () => {
    const login = byKey(docs, 'crawl:smoke:/login');
    expect(login.tags).toEqual(['generated', 'smoke']);
    expect(login.steps).toEqual([
      {
        request: {
          method: 'GET',
          url: '/login',
          expect: { status: 200, headers: { 'content-type': { contains: 'text/html' } } },
        },
        name: '/login answers 200 with an HTML page',
      },
      { goto: '/login' },
      { expect: { title: { contains: 'Sign in · Acme Tasks' } } },
      { expect: { visible: { role: 'heading', name: 'Sign in', exact: true } } },
      { expect: { visible: { role: 'button', name: 'Sign in', exact: true } } },
      { expect: { noConsoleErrors: true } },
    ]);
    expect(login.description).toMatch(/no console errors/);
  });

  it('journeys click each menu link from the start page, and follow redirects seen in the crawl', () => {
    expect(byKey(docs, 'crawl:journey:/products').steps).toEqual([
      { goto: '/' },
      { click: { role: 'link', name: 'Products', exact: true, nth: 0 } },
      { expect: { url: { equals: '/products' } } },
      { expect: { visible: { role: 'heading', name: 'Products', exact: true } } },
    ]);
    const dashboard = byKey(docs, 'crawl:journey:/dashboard');
    expect(dashboard.steps[2]).toEqual({
      expect: { url: { matches: '^https?://[^/]+\\/login(?:[?#]|$)' } },
    });
    expect(docs.some((d) => d.key === 'crawl:journey:/')).toBe(false); // "Home" links to itself
  });

  it('checks validation on forms that ask for an address or a secret, and never submits sign-in', () => {
    const v = byKey(docs, 'crawl:form-validation:/login#1');
    expect(v.steps.slice(0, 3)).toEqual([
      { goto: '/login' },
      { click: { role: 'button', name: 'Sign in', exact: true } },
      { expect: { url: { matches: '^https?://[^/]+\\/login(?:[?#]|$)' } } },
    ]);
    expect(docs.some((d) => d.key?.startsWith('crawl:form-submit:/login'))).toBe(false);
    // The todo form has one optional text field: an empty "Add" proves nothing generic.
    expect(docs.some((d) => d.key === 'crawl:form-validation:/app#1')).toBe(false);
  });

  it('submits the contact form with sample data, skipping files and optional checkboxes', () => {
    const steps = byKey(docs, 'crawl:form-submit:/contact#1').steps;
    expect(steps.slice(0, 6)).toEqual([
      { goto: '/contact' },
      { fill: { label: 'Your name', exact: true }, value: 'Greenlight Test' },
      { fill: { label: 'Email', exact: true }, value: 'greenlight@example.com' },
      { select: { label: 'Topic', exact: true }, option: 'Sales' },
      {
        fill: { label: 'Message', exact: true },
        value: 'Hello from Greenlight: an automated test message.',
      },
      { click: { role: 'button', name: 'Send message', exact: true } },
    ]);
  });

  it('turns GET API calls into contract tests checking status, type and top-level shape', () => {
    expect(byKey(docs, 'crawl:api:GET /api/todos').steps).toEqual([
      {
        request: {
          method: 'GET',
          url: '/api/todos',
          expect: { status: 200, headers: { 'content-type': { contains: 'application/json' } } },
          capture: { SHAPE_ITEMS: '$.items.length', SHAPE_LEFT: '$.left' },
        },
        name: 'GET /api/todos keeps its contract',
      },
    ]);
  });
});

describe('generateTests safety and options', () => {
  const withForm = (form: Partial<FormSnapshot>): SiteMap => {
    const site = fixture();
    const contact = site.pages.find((p) => p.path === '/contact');
    if (!contact) throw new Error('fixture has no /contact');
    contact.forms = [{ ...(contact.forms[0] as FormSnapshot), ...form }];
    contact.buttons = [{ text: form.submitText ?? 'Send message', role: 'button' }];
    return site;
  };

  it('never submits a destructive form by default, but still checks its validation', () => {
    const site = withForm({ submitText: 'Delete account', destructive: true });
    const docs = generateTests(site, []);
    expect(docs.some((d) => d.key === 'crawl:form-submit:/contact#1')).toBe(false);
    expect(docs.some((d) => d.key === 'crawl:form-validation:/contact#1')).toBe(true);
    const optedIn = generateTests(site, [], { submitDestructiveForms: true });
    expect(optedIn.some((d) => d.key === 'crawl:form-submit:/contact#1')).toBe(true);
  });

  it('does not submit POST forms whose purpose is not known to be harmless', () => {
    const docs = generateTests(
      withForm({
        method: 'POST',
        action: 'http://127.0.0.1:4173/projects',
        submitText: 'Create project',
      }),
      [],
    );
    expect(docs.some((d) => d.key === 'crawl:form-submit:/contact#1')).toBe(false);
  });

  it('skips POST API calls and failed calls', () => {
    const site = fixture();
    const app = site.pages.find((p) => p.path === '/app');
    app?.apiCalls.push(
      {
        method: 'POST',
        url: `${site.origin}/api/todos`,
        status: 201,
        contentType: 'application/json',
      },
      {
        method: 'GET',
        url: `${site.origin}/api/missing`,
        status: 404,
        contentType: 'application/json',
      },
    );
    const api = generateTests(site, [], { kinds: ['api'] });
    expect(api.map((d) => d.key)).toEqual(['crawl:api:GET /api/todos']);
  });

  it('limits output to the asked kinds and count', () => {
    const docs = generateTests(fixture(), [], { kinds: ['journey'] });
    expect(docs.every((d) => kindOf(d.key) === 'journey')).toBe(true);
    expect(generateTests(fixture(), [], { maxTests: 3 })).toHaveLength(3);
    expect(
      generateTests(fixture(), [], { submitSafeForms: false }).some((d) =>
        d.key?.startsWith('crawl:form-submit'),
      ),
    ).toBe(false);
  });

  it('skips pages with a bad status and other origins', () => {
    const site = fixture();
    site.pages.push({
      ...(site.pages[0] as SiteMap['pages'][number]),
      url: `${site.origin}/gone`,
      path: '/gone',
      status: 404,
    });
    site.pages.push({
      ...(site.pages[0] as SiteMap['pages'][number]),
      url: 'https://elsewhere.example/',
      path: '/',
    });
    const keys = generateTests(site, [], { kinds: ['smoke'] }).map((d) => d.key);
    expect(keys).not.toContain('crawl:smoke:/gone');
    expect(keys.filter((k) => k === 'crawl:smoke:/')).toHaveLength(1);
  });
});

describe('dedupe against existing tests', () => {
  it('a second generation with the first one stored yields nothing', () => {
    const first = generateTests(fixture(), []);
    const stored = first.map((d) => ({ key: d.key ?? null, name: d.name, steps: d.steps }));
    expect(generateTests(fixture(), stored)).toEqual([]);
  });

  it('drops a test with the same key, and one with the same steps under another key', () => {
    const first = generateTests(fixture(), []);
    const smoke = byKey(first, 'crawl:smoke:/');
    const journey = byKey(first, 'crawl:journey:/products');
    const existing = [
      { key: 'crawl:smoke:/', name: 'edited by a reviewer', steps: [{ goto: '/elsewhere' }] },
      // Hand-written, different key and labels, same behaviour.
      {
        key: 'my-products-test',
        name: 'Products via menu',
        steps: journey.steps.map((s) => ({ ...s, name: 'a label', timeout: 5000 })),
      },
    ];
    const keys = generateTests(fixture(), existing).map((d) => d.key);
    expect(keys).not.toContain(smoke.key);
    expect(keys).not.toContain(journey.key);
    expect(keys).toHaveLength(first.length - 2);
  });

  it('normalises shorthand steps before comparing', () => {
    expect(normalisedSteps([{ click: '#save' }, { wait: 100 }])).toBe(
      normalisedSteps([{ click: { css: '#save' } }, { wait: { ms: 100 }, name: 'pause' }]),
    );
  });

  it('keeps keys within the schema limit and unique', () => {
    const a = generatedKey('smoke', `/${'a'.repeat(300)}`);
    const b = generatedKey('smoke', `/${'a'.repeat(299)}b`);
    expect(a.length).toBeLessThanOrEqual(200);
    expect(a).not.toBe(b);
  });

  it('captures prove structure: arrays by length, keys by presence, odd keys quoted', () => {
    expect(shapeCaptures({ items: [], 'a b': 'string', n: 'number' })).toEqual({
      SHAPE_ITEMS: '$.items.length',
      SHAPE_A_B: '$["a b"]',
      SHAPE_N: '$.n',
    });
    expect(shapeCaptures(['string'])).toEqual({ SHAPE_ROOT_LIST: '$.length' });
  });
});
