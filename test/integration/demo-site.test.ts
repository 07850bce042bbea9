import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { demoPaths, demoUser, demoVariables, products } from '../../src/demo/demo-data.ts';
import { startDemoSite, type DemoSite } from '../../src/demo/demo-server.ts';
import { loadDemoTests, type DemoTest } from '../../src/demo/demo-tests.ts';
import type { Step } from '../../src/domain/steps.ts';
import { parseTestFile } from '../../src/domain/test-file.ts';
import { runTest, type TestOutcome } from '../../src/runner/run-test.ts';

const KNOWN_FAILURE = 'catalog-focus-timer-price';
const goodLogin = { email: demoUser.email, password: demoUser.password };

async function get(site: DemoSite, path: string, init: RequestInit = {}) {
  const res = await fetch(site.url + path, { redirect: 'manual', ...init });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function postJson(site: DemoSite, path: string, body: unknown, cookie?: string) {
  const res = await fetch(site.url + path, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

/** The `name=value` part of a response's Set-Cookie, to send back like a browser would. */
function cookieOf(headers: Headers): string {
  const value = headers.get('set-cookie');
  expect(value).toBeTruthy();
  return (value as string).split(';')[0] as string;
}

/** A GET with the path sent byte for byte (fetch would normalise `..` away). */
function rawGet(site: DemoSite, path: string): Promise<number> {
  const { hostname, port } = new URL(site.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

const h1Count = (html: string): number => (html.match(/<h1[\s>]/g) ?? []).length;

describe('demo site over HTTP', () => {
  let site: DemoSite;
  beforeAll(async () => {
    site = await startDemoSite({ slowMs: 50 });
  });
  afterAll(async () => {
    await site.close();
  });

  it('serves every page with a title, one h1, landmarks and the shared navigation', async () => {
    const paths = ['/', '/products', '/login', '/app', '/contact', '/reports'];
    for (const p of products) paths.push(`/products/${p.id}`);
    for (const path of paths) {
      const res = await get(site, path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.text).toMatch(/<title>[^<]+ · Acme Tasks|<title>Acme Tasks · /);
      expect(h1Count(res.text), path).toBe(1);
      expect(res.text).toContain('<main id="main"');
      expect(res.text).toContain('<nav aria-label="Main"');
      expect(res.text).not.toContain('<!--#'); // every include marker was filled
      expect(res.text).toMatch(/aria-current="page"/);
      // Nothing may come from outside: no CDN, no web fonts.
      expect(res.text).not.toMatch(/(src|href)="(https?:)?\/\//);
    }
  });

  it('answers every same-site link on its pages', async () => {
    const seen = new Set<string>();
    for (const path of ['/', '/products', '/login', '/app', '/contact']) {
      const { text } = await get(site, path);
      for (const m of text.matchAll(/(?:href|src)="(\/[^"#]*)"/g)) seen.add(m[1] as string);
    }
    expect(seen.size).toBeGreaterThan(10);
    for (const link of seen) {
      const { status } = await get(site, link);
      // The dashboard redirects signed-out visitors; everything else must simply load.
      expect([200, 302], link).toContain(status);
    }
  });

  it('answers unknown pages and products with real 404 pages', async () => {
    const product = await get(site, '/products/no-such-thing');
    expect(product.status).toBe(404);
    expect(product.text).toContain('<h1>Product not found</h1>');
    expect(h1Count(product.text)).toBe(1);
    const page = await get(site, '/no/such/page');
    expect(page.status).toBe(404);
    expect(page.text).toContain('<h1>Page not found</h1>');
    const api = await get(site, '/api/nothing');
    expect(api.status).toBe(404);
    expect(JSON.parse(api.text)).toEqual({ error: 'no such endpoint', code: 'not_found' });
  });

  it('never serves files outside the site folder and refuses other methods', async () => {
    expect(await rawGet(site, '/assets/../../package.json')).toBe(404);
    expect(await rawGet(site, '/assets/..%2f..%2fpackage.json')).toBe(404);
    expect(await rawGet(site, '/assets/%2e%2e/%2e%2e/package.json')).toBe(404);
    expect(await rawGet(site, '/assets/')).toBe(404);
    expect((await get(site, '/', { method: 'DELETE' })).status).toBe(405);
  });

  it('serves the products API', async () => {
    expect(JSON.parse((await get(site, '/api/health')).text)).toEqual({ status: 'ok' });
    const list = await get(site, '/api/products');
    expect(list.status).toBe(200);
    expect(list.headers.get('content-type')).toMatch(/^application\/json/);
    const body = JSON.parse(list.text) as { total: number; items: { id: string }[] };
    expect(body.total).toBe(products.length);
    expect(body.items.map((i) => i.id)).toEqual(products.map((p) => p.id));
    const one = JSON.parse((await get(site, '/api/products/task-board')).text);
    expect(one).toMatchObject({ name: 'Magnetic Task Board', price: 49, stock: 8 });
    const missing = await get(site, '/api/products/nope');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text).code).toBe('not_found');
  });

  it('validates sign-in on the server with the same messages as the page', async () => {
    const cases: [Record<string, string>, Record<string, string>][] = [
      [{ email: '', password: 'greenlight123' }, { email: 'Email is required' }],
      [{ email: 'nope', password: 'greenlight123' }, { email: 'Enter a valid email' }],
      [
        { email: 'demo@example.com', password: 'short' },
        { password: 'Password must be at least 8 characters' },
      ],
    ];
    for (const [input, fields] of cases) {
      const res = await postJson(site, '/api/login', input);
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ code: 'validation_failed', details: { fields } });
    }
    const script = await readFile(join(demoPaths.site, 'assets/login.js'), 'utf8');
    for (const [, fields] of cases) {
      for (const message of Object.values(fields)) expect(script).toContain(`'${message}'`);
    }
    const wrong = await postJson(site, '/api/login', {
      email: 'demo@example.com',
      password: 'wrong-password',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toEqual({ error: 'Invalid email or password', code: 'invalid_credentials' });
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' };
    expect((await fetch(`${site.url}/api/login`, init)).status).toBe(400);
    expect((await fetch(`${site.url}/api/login`)).status).toBe(405);
  });

  it('signs in with a cookie, guards the dashboard and signs out', async () => {
    const guard = await get(site, '/dashboard');
    expect(guard.status).toBe(302);
    expect(guard.headers.get('location')).toBe('/login?next=%2Fdashboard');

    const ok = await postJson(site, '/api/login', goodLogin);
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ user: { name: 'Demo User' }, redirect: '/dashboard' });
    expect(ok.headers.get('set-cookie')).toMatch(/HttpOnly/);
    const cookie = cookieOf(ok.headers);
    const dash = await get(site, '/dashboard', { headers: { cookie } });
    expect(dash.status).toBe(200);
    expect(dash.text).toContain('Welcome, Demo User</h1>');

    const out = await fetch(`${site.url}/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie },
    });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/login');
    expect((await get(site, '/dashboard', { headers: { cookie } })).status).toBe(302);
  });

  it('accepts a plain form post and answers with redirects', async () => {
    const form = (email: string, password: string) =>
      fetch(`${site.url}/api/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email, password }).toString(),
      });
    const good = await form('demo@example.com', 'greenlight123');
    expect(good.status).toBe(303);
    expect(good.headers.get('location')).toBe('/dashboard');
    const badRes = await form('demo@example.com', 'wrong-password');
    expect(badRes.headers.get('location')).toBe('/login?error=invalid');
  });

  it('keeps todos per visitor cookie', async () => {
    const first = await get(site, '/api/todos');
    const a = cookieOf(first.headers);
    expect(JSON.parse(first.text)).toMatchObject({ left: 2 });
    const added = await postJson(site, '/api/todos', { title: 'Buy milk' }, a);
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ item: { title: 'Buy milk', done: false }, left: 3 });
    expect((await postJson(site, '/api/todos', { title: '  ' }, a)).status).toBe(400);

    const other = JSON.parse((await get(site, '/api/todos')).text) as { items: unknown[] };
    expect(other.items).toHaveLength(3);
    const mine = JSON.parse((await get(site, '/api/todos', { headers: { cookie: a } })).text);
    expect(mine.items).toHaveLength(4);

    const id = (added.json as { item: { id: number } }).item.id;
    const patched = await fetch(`${site.url}/api/todos/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', cookie: a },
      body: JSON.stringify({ done: true }),
    });
    expect(await patched.json()).toMatchObject({ item: { done: true }, left: 2 });
    const del = await fetch(`${site.url}/api/todos/${id}`, {
      method: 'DELETE',
      headers: { cookie: a },
    });
    expect(del.status).toBe(204);
  });

  it('accepts a contact message and rejects an incomplete one', async () => {
    const sent = await postJson(site, '/api/contact', {
      name: 'Ada',
      email: 'ada@example.com',
      topic: 'billing',
      subscribe: true,
      message: 'Hello',
      attachment: { name: 'notes.txt', size: 120, type: 'text/plain' },
    });
    expect(sent.status).toBe(201);
    expect(sent.json).toMatchObject({ topic: 'Billing', subscribed: true });
    const bad = await postJson(site, '/api/contact', { name: '', email: 'x', message: '' });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.json.details.fields).sort()).toEqual(
      ['email', 'message', 'name', 'topic'].sort(),
    );
  });
});

describe('demo site options', () => {
  it('holds /reports back for slowMs, and close() does not wait for it', async () => {
    const site = await startDemoSite({ slowMs: 400 });
    try {
      const t0 = performance.now();
      const res = await get(site, '/reports');
      expect(res.status).toBe(200);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(380);
      expect(res.text).toContain('data-testid="report-total-completed">130<');
    } finally {
      await site.close();
    }
    const slow = await startDemoSite({ slowMs: 60_000 });
    const pending = fetch(`${slow.url}/reports`).catch(() => 'aborted');
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    await slow.close();
    expect(await pending).toBe('aborted');
    expect(performance.now() - t0).toBeLessThan(2_000);
  });

  it('breaks the sign-in button and the dashboard greeting in broken mode', async () => {
    const before = process.env.GREENLIGHT_DEMO_BROKEN;
    process.env.GREENLIGHT_DEMO_BROKEN = '1';
    const site = await startDemoSite({ slowMs: 0 });
    if (before === undefined) delete process.env.GREENLIGHT_DEMO_BROKEN;
    else process.env.GREENLIGHT_DEMO_BROKEN = before;
    try {
      const login = await get(site, '/login');
      expect(login.text).toMatch(/data-testid="login-submit">Log in<\/button>/);
      expect(login.text).not.toMatch(/>\s*Sign in\s*<\/button>/);
      const ok = await postJson(site, '/api/login', goodLogin);
      const dash = await get(site, '/dashboard', { headers: { cookie: cookieOf(ok.headers) } });
      expect(dash.text).toContain('Welcome, undefined</h1>');
    } finally {
      await site.close();
    }
  });
});

describe('demo project tests', () => {
  let tests: DemoTest[];
  beforeAll(async () => {
    tests = await loadDemoTests();
  });

  it('parses every file with parseTestFile', async () => {
    const files = (await readdir(demoPaths.tests)).filter((f) => f.endsWith('.yaml'));
    let count = 0;
    for (const f of files) {
      count += parseTestFile(await readFile(join(demoPaths.tests, f), 'utf8'), f).length;
    }
    expect(count).toBe(tests.length);
  });

  it('has approved tests in several suites, drafts, smoke tags and one known failure', () => {
    const approved = tests.filter((t) => t.test.status === 'approved');
    expect(approved.length).toBeGreaterThanOrEqual(15);
    expect(tests.filter((t) => t.test.status === 'draft').length).toBeGreaterThanOrEqual(2);
    expect(new Set(approved.map((t) => t.test.suite)).size).toBeGreaterThanOrEqual(2);
    expect(tests.every((t) => t.test.suite !== undefined)).toBe(true);
    expect(approved.filter((t) => t.test.tags.includes('smoke')).length).toBeGreaterThan(3);
    const keys = tests.map((t) => t.test.key);
    expect(keys.every((k) => k !== undefined)).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
    const failing = tests.filter((t) => t.test.tags.includes('known-failure'));
    expect(failing.map((t) => t.test.key)).toEqual([KNOWN_FAILURE]);
    expect(failing[0]?.test.tags).not.toContain('smoke');
    expect(failing[0]?.test.name).toMatch(/known failing/);
  });

  it('uses relative paths, existing upload files and the demo variables', () => {
    const steps: Step[] = tests.flatMap((t) => t.test.steps);
    for (const s of steps) {
      if ('goto' in s) expect(s.goto.startsWith('/')).toBe(true);
      if ('upload' in s) {
        for (const f of [s.files].flat()) {
          expect(existsSync(join(demoPaths.testData, f)), f).toBe(true);
        }
      }
    }
    const text = JSON.stringify(steps);
    expect(text).toContain('{{DEMO_EMAIL}}');
    expect(text).toContain('{{DEMO_PASSWORD}}');
    expect(text).not.toContain(demoVariables.variables.DEMO_PASSWORD);
    const used = new Set(steps.map((s) => Object.keys(s).find((k) => k !== 'name')));
    for (const action of ['fill', 'click', 'expect', 'select', 'check', 'upload', 'press']) {
      expect(used).toContain(action);
    }
    for (const action of ['wait', 'request', 'set', 'screenshot']) expect(used).toContain(action);
    // Issue 15's steps each have a demo test: lists, classes, not, chained locators, state.
    for (const action of ['reload', 'back']) expect(used).toContain(action);
    for (const key of ['"texts"', '"class"', '"not"', '"within"', '"has"', '"hasNot"']) {
      expect(text).toContain(`${key}:`);
    }
    for (const key of ['"hasNotText"', '"storage"', '"cookie"', '"empty"', '"focused"']) {
      expect(text).toContain(`${key}:`);
    }
  });
});

describe('demo tests in Chromium', () => {
  let pool: BrowserPool;
  let artifacts: string;
  let tests: DemoTest[];
  beforeAll(async () => {
    pool = new BrowserPool({ chromiumPath: null, browserWs: null });
    artifacts = await mkdtemp(join(tmpdir(), 'greenlight-demo-'));
    tests = (await loadDemoTests()).filter((t) => t.test.status === 'approved');
  });
  afterAll(async () => {
    await pool.close();
    await rm(artifacts, { recursive: true, force: true });
  });

  async function runAll(site: DemoSite, list: DemoTest[], stepTimeoutMs?: number) {
    const out = new Map<string, TestOutcome>();
    for (const { test } of list) {
      const key = test.key as string;
      const result = await runTest(pool, {
        test: {
          id: key,
          name: test.name,
          steps: test.steps,
          variables: test.variables ?? {},
          timeoutMs: test.timeout ?? null,
          stepTimeoutMs: stepTimeoutMs ?? test.stepTimeout ?? null,
        },
        baseUrl: site.url,
        variables: { ...demoVariables.variables },
        secrets: demoVariables.secretNames.map((n) => demoVariables.variables[n]),
        artifactsDir: join(artifacts, key),
        artifactsBase: artifacts,
        testDataDir: demoPaths.testData,
      });
      out.set(key, result);
    }
    return out;
  }

  it('passes every approved test except the known failure', { timeout: 180_000 }, async () => {
    const site = await startDemoSite({ slowMs: 300 });
    try {
      const results = await runAll(site, tests);
      const summary = [...results].map(([k, r]) => `${k}: ${r.status} ${r.error ?? ''}`);
      for (const [key, r] of results) {
        expect(r.status, summary.join('\n')).toBe(key === KNOWN_FAILURE ? 'failed' : 'passed');
      }
      expect(results.get(KNOWN_FAILURE)?.error).toContain('$19.99');
      expect(results.get('contact-send')?.artifacts.screenshots).toHaveLength(1);
      expect(results.get('reports-weekly')?.artifacts.screenshots).toHaveLength(1);
      // The secret password never shows in a result, though the tests typed it.
      expect(JSON.stringify([...results.values()])).not.toContain(
        demoVariables.variables.DEMO_PASSWORD,
      );
    } finally {
      await site.close();
    }
  });

  it('fails the sign-in tests when the app is broken', { timeout: 120_000 }, async () => {
    const site = await startDemoSite({ slowMs: 0, broken: true });
    try {
      const auth = tests.filter((t) => t.test.suite === 'auth');
      const results = await runAll(site, auth, 1_500);
      expect(results.get('auth-sign-in')?.status).toBe('failed');
      expect(results.get('auth-sign-out')?.status).toBe('failed');
      // Pages the regression did not touch still pass: the failures point at the real change.
      expect(results.get('auth-dashboard-guard')?.status).toBe('passed');
    } finally {
      await site.close();
    }
  });
});
