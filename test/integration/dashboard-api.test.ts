import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestExecutor } from '../../src/engine/executor.ts';
import { makeOutcome } from '../helpers/records.ts';
import { startHarness, type Harness } from './api-harness.ts';

// What the dashboard needs from the server: its files at / with deep links, the trace viewer at
// /trace/, and the API additions it reads (trends, test import). The API keeps its JSON errors.

const html = { accept: 'text/html,application/xhtml+xml' };

describe('serving the dashboard', () => {
  let h: Harness;
  let dist: string;
  beforeAll(async () => {
    dist = mkdtempSync(join(tmpdir(), 'gl-dist-'));
    mkdirSync(join(dist, 'assets'));
    writeFileSync(
      join(dist, 'index.html'),
      '<!doctype html><title>Greenlight</title><div id="root"></div>',
    );
    writeFileSync(join(dist, 'assets', 'app-abc123.js'), 'console.log(1)');
    h = await startHarness({ webDist: dist });
  });
  afterAll(async () => {
    await h.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it('serves index.html at / and at every dashboard path, never cached; hashed assets for a year', async () => {
    for (const path of ['/', '/projects/shop/runs/123?test=abc', '/sign-in']) {
      const res = await fetch(h.url + path, { headers: html });
      expect([path, res.status, res.headers.get('content-type')]).toEqual([
        path,
        200,
        'text/html; charset=utf-8',
      ]);
      expect(await res.text()).toContain('<div id="root">');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self';");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
    const asset = await fetch(`${h.url}/assets/app-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    // A missing asset is a 404, not the app shell (a stale tab must not parse HTML as JS).
    const missing = await fetch(`${h.url}/assets/gone.js`, { headers: html });
    expect(missing.status).toBe(404);
  });

  it('keeps the API, its errors, the legacy redirects, /docs and /openapi.json as they were', async () => {
    const unknown = await fetch(`${h.url}/api/v1/nothing-here`, { headers: html });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      error: 'no route GET /api/v1/nothing-here',
      code: 'not_found',
    });
    const anonymous = await fetch(`${h.url}/api/v1/projects`, { headers: html });
    expect(anonymous.status).toBe(401);
    const legacy = await fetch(`${h.url}/api/projects?x=1`, { redirect: 'manual' });
    expect([legacy.status, legacy.headers.get('location')]).toEqual([308, '/api/v1/projects?x=1']);
    expect((await fetch(`${h.url}/docs`, { redirect: 'follow' })).status).toBe(200);
    const doc = (await (await fetch(`${h.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/projects/{id}/trends',
        '/api/v1/projects/{id}/tests/import',
      ]),
    );
    // A POST to a page path is no page: JSON 404.
    expect((await fetch(`${h.url}/projects`, { method: 'POST', headers: html })).status).toBe(404);
  });

  it("serves Playwright's trace viewer from playwright-core at /trace/", async () => {
    const page = await fetch(`${h.url}/trace/index.html`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    const worker = await fetch(`${h.url}/trace/sw.bundle.js`);
    expect([worker.status, worker.headers.get('content-type')]).toEqual([
      200,
      'application/javascript; charset=utf-8',
    ]);
    // Read to the end: an unread body keeps its connection busy, and closing the app waits for it.
    expect((await worker.text()).length).toBeGreaterThan(0);
  });
});

describe('a server whose dashboard was not built', () => {
  it('says how to build it instead of failing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'gl-nodist-'));
    const h = await startHarness({ webDist: empty });
    try {
      const res = await fetch(`${h.url}/projects`, { headers: html });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('npm run build -w web');
      expect((await fetch(`${h.url}/api/v1/health`)).status).toBe(200);
    } finally {
      await h.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('GET /projects/:id/trends', () => {
  // "flips" alternates failed/passed from run to run; "slow" always takes 3 s; "steady" 0.5 s.
  let runNo = 0;
  const executor: TestExecutor = async (job) => {
    const name = job.test.name;
    const fail = name === 'flips' && runNo % 2 === 0;
    return makeOutcome(job.test, {
      status: fail ? 'failed' : 'passed',
      error: fail ? 'boom' : null,
      durationMs: name === 'slow' ? 3000 : name === 'steady' ? 500 : 100,
    });
  };
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ executor });
  });
  afterAll(() => h.close());

  it('gives pass rate and duration per finished run, oldest first, and the flakiest and slowest tests', async () => {
    const p = await h.call('POST', '/api/v1/projects', {
      name: 'Trends',
      baseUrl: 'https://example.com',
    });
    for (const name of ['flips', 'slow', 'steady']) {
      const t = await h.call('POST', `/api/v1/projects/${p.body.id}/tests`, {
        name,
        status: 'approved',
        steps: [{ goto: '/' }],
      });
      expect(t.status).toBe(201);
    }
    const empty = await h.call('GET', `/api/v1/projects/${p.body.slug}/trends`);
    expect(empty.body).toEqual({ runs: [], flakiest: [], slowest: [] });
    const ids: string[] = [];
    for (runNo = 0; runNo < 3; runNo++) {
      const run = await h.call('POST', `/api/v1/projects/${p.body.id}/runs`, {});
      await h.engine.waitForRun(run.body.id);
      ids.push(run.body.id);
    }
    const res = await h.call('GET', `/api/v1/projects/${p.body.slug}/trends?runs=2&top=2`);
    expect(res.status).toBe(200);
    expect(res.body.runs.map((r: { runId: string }) => r.runId)).toEqual([ids[1], ids[2]]);
    expect(res.body.runs[0]).toMatchObject({
      status: 'passed',
      total: 3,
      passed: 3,
      failed: 0,
      passRate: 1,
    });
    expect(res.body.runs[1]).toMatchObject({ status: 'failed', passed: 2, failed: 1 });
    expect(res.body.runs[1].passRate).toBeCloseTo(2 / 3);
    expect(typeof res.body.runs[1].durationMs).toBe('number');
    expect(res.body.flakiest).toEqual([
      expect.objectContaining({ name: 'flips', flakyScore: 67, results: 3 }),
    ]);
    expect(
      res.body.slowest.map((t: { name: string; medianMs: number }) => [t.name, t.medianMs]),
    ).toEqual([
      ['slow', 3000],
      ['steady', 500],
    ]);
    const bad = await h.call('GET', `/api/v1/projects/${p.body.id}/trends?runs=0`);
    expect([bad.status, bad.body.code]).toEqual([400, 'validation_failed']);
  });
});

describe('POST /projects/:id/tests/import', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('imports YAML and JSON files in one go, updates by key on a second import, and writes nothing when one file is bad', async () => {
    const p = await h.call('POST', '/api/v1/projects', {
      name: 'Imports',
      baseUrl: 'https://example.com',
    });
    const path = `/api/v1/projects/${p.body.id}/tests`;
    const files = [
      {
        name: 'checkout/cart.yaml',
        content:
          'suite: checkout\ntests:\n  - name: Cart\n    steps:\n      - goto: /cart\n  - key: pay\n    name: Pay\n    status: approved\n    steps:\n      - goto: /pay\n',
      },
      { name: 'home.json', content: JSON.stringify({ name: 'Home', steps: [{ goto: '/' }] }) },
    ];
    const first = await h.call('POST', `${path}/import`, { files });
    expect([first.status, first.body]).toEqual([200, { files: 2, created: 3, updated: 0 }]);
    const again = await h.call('POST', `${path}/import`, { files, status: 'approved' });
    expect(again.body).toEqual({ files: 2, created: 0, updated: 3 });
    const counts = await h.call('GET', `${path}/counts`);
    // The document's own status wins; the others take the import's default.
    expect(counts.body).toMatchObject({ total: 3 });
    const list = await h.call('GET', `${path}?limit=10`);
    const byName = Object.fromEntries(
      list.body.items.map(
        (t: { name: string; status: string; suite: string | null; key: string }) => [t.name, t],
      ),
    );
    expect(byName.Pay).toMatchObject({ status: 'approved', suite: 'checkout', key: 'pay' });
    expect(byName.Cart.key).toBe('checkout/cart.yaml#cart');
    expect(byName.Cart.status).toBe('approved');

    // The same files again with no status asked for: approved tests stay approved (a reset to
    // draft would drop them from gated runs); an explicit status still applies to all.
    const third = await h.call('POST', `${path}/import`, { files });
    expect(third.body).toEqual({ files: 2, created: 0, updated: 3 });
    const statuses = async (): Promise<Record<string, string>> =>
      Object.fromEntries(
        (await h.call('GET', `${path}?limit=10`)).body.items.map(
          (t: { name: string; status: string }) => [t.name, t.status],
        ),
      );
    expect(await statuses()).toEqual({ Cart: 'approved', Pay: 'approved', Home: 'approved' });
    await h.call('POST', `${path}/import`, { files, status: 'draft' });
    // The file's own `status: approved` still wins over the import's.
    expect(await statuses()).toEqual({ Cart: 'draft', Pay: 'approved', Home: 'draft' });

    const bad = await h.call('POST', `${path}/import`, {
      files: [
        { name: 'new.yaml', content: 'name: New\nsteps:\n  - goto: /new\n' },
        { name: 'broken.yaml', content: 'name: Broken\nsteps:\n  - clik: "#x"\n' },
      ],
    });
    expect([bad.status, bad.body.code]).toEqual([400, 'validation_failed']);
    expect(bad.body.error).toContain('broken.yaml');
    expect((await h.call('GET', `${path}/counts`)).body.total).toBe(3);
    const unknownField = await h.call('POST', `${path}/import`, { files, extra: 1 });
    expect(unknownField.status).toBe(400);
  });
});

describe('POST /tests/validate', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it("answers the server parser's issues with their path from the test's root, and stores nothing", async () => {
    const ok = await h.call('POST', '/api/v1/tests/validate', {
      content: 'name: Fine\nsteps:\n  - goto: /\n',
    });
    expect(ok.body).toEqual({ valid: true, tests: 1, issues: [] });
    const bad = await h.call('POST', '/api/v1/tests/validate', {
      content: 'name: Broken\nsteps:\n  - goto: /\n  - click: { role: nope }\n',
    });
    expect(bad.status).toBe(200);
    expect(bad.body.valid).toBe(false);
    expect(bad.body.issues[0]).toMatchObject({ step: 1, path: expect.stringMatching(/^click/) });
    expect(bad.body.issues[0].at.slice(0, 3)).toEqual(['steps', 1, 'click']);
    const yaml = await h.call('POST', '/api/v1/tests/validate', { content: 'name: [unclosed' });
    expect(yaml.body.issues[0].message).toMatch(/^not valid YAML/);
    const json = await h.call('POST', '/api/v1/tests/validate', {
      content: '{"name":"J","steps":[{"goto":"/"}]}',
      format: 'json',
    });
    expect(json.body.valid).toBe(true);
    const anonymous = await fetch(`${h.url}/api/v1/tests/validate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'name: x' }),
    });
    expect(anonymous.status).toBe(401);
  });
});
