import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { MASK } from '../../src/domain/variables.ts';
import { runTest } from '../../src/runner/run-test.ts';
import { runnerInput, tempBase } from '../helpers/runner-input.ts';
import { startStaticServer, type StaticServer } from '../helpers/static-server.ts';

// Every action and every expectation kind, passing, in a few long tests (one browser, few contexts).
const fixtures = resolve('test/fixtures/runner');
const base = tempBase();
let pool: BrowserPool;
let server: StaticServer;

beforeAll(async () => {
  pool = new BrowserPool({ chromiumPath: null, browserWs: null });
  server = await startStaticServer(fixtures);
});
afterAll(async () => {
  await pool.close();
  await server.close();
  rmSync(base, { recursive: true, force: true });
});

const failures = (r: Awaited<ReturnType<typeof runTest>>): string =>
  r.status === 'passed' ? '' : `${r.status}: step ${r.failedStep} ${r.error}`;

describe('runTest with passing steps', () => {
  it('runs page actions, every locator kind and every expectation', async () => {
    const input = runnerInput(
      base,
      server.url,
      [
        { goto: '/' },
        { expect: { title: 'Fixture Home', url: '/' } },
        { expect: { visible: { role: 'heading', name: 'Welcome to the fixture' } } },
        { expect: { text: { locator: { role: 'heading' }, equals: 'Welcome to the fixture' } } },
        { expect: { visible: { alt: 'Company logo' } } },
        { expect: { visible: { title: 'tooltip-text' } } },
        { expect: { text: { locator: { testId: 'build-id' }, matches: '^build-\\d+$' } } },
        { set: 'BUILD', from: { testId: 'build-id' } },
        { click: { role: 'link', name: 'Form' } },
        {
          expect: {
            url: { contains: '/form.html' },
            title: { equals: 'SIGN UP', ignoreCase: true },
          },
        },
        { fill: { label: 'Email' }, value: '{{EMAIL}}' },
        { fill: { label: 'Password' }, value: '{{PASSWORD}}' },
        { fill: { placeholder: 'Your nickname' }, value: 'nick-{{BUILD}}' },
        {
          expect: { value: { locator: { placeholder: 'Your nickname' }, equals: 'nick-build-42' } },
        },
        { select: { label: 'Country' }, option: 'Germany' },
        { expect: { value: { locator: { label: 'Country' }, equals: 'de' } } },
        { select: { label: 'Country' }, option: ['fr'] },
        { expect: { checked: { role: 'checkbox', name: 'Newsletter' } } },
        { uncheck: { role: 'checkbox', name: 'Newsletter' } },
        { check: { role: 'checkbox', name: 'Newsletter' } },
        { expect: { hidden: '#result' } },
        { expect: { disabled: { role: 'button', name: 'Create account' } } },
        { check: { label: 'Accept terms' } },
        { expect: { enabled: { role: 'button', name: 'Create account' } } },
        { upload: { label: 'Attachment' }, files: ['hello.txt', 'second.txt'] },
        { expect: { text: { locator: '#files', equals: 'hello.txt, second.txt' } } },
        { click: { role: 'button', name: 'Count', exact: true }, modifiers: ['Shift'] },
        { expect: { text: { locator: '#lastclick', equals: 'click+shift' } } },
        { expect: { text: { locator: '#count', equals: '1' } } },
        { dblclick: { role: 'button', name: 'Count', exact: true } },
        { expect: { text: { locator: '#lastclick', equals: 'dblclick' } } },
        { click: { role: 'button', name: 'Count', exact: true }, button: 'right' },
        { expect: { text: { locator: '#lastclick', equals: 'right' } } },
        { hover: '#hoverzone' },
        { expect: { visible: { text: 'Tip shown', exact: true } } },
        { press: 'x', on: { label: 'Key box' } },
        { expect: { text: { locator: '#lastkey', equals: 'x' } } },
        { click: 'h1', force: true },
        { press: 'Escape' },
        { expect: { text: { locator: '#pagekey', equals: 'Escape' } } },
        { click: { role: 'button', name: 'Create account' } },
        {
          expect: {
            visible: '#result',
            text: { locator: '#result', equals: 'Thanks, user@example.com from fr' },
            url: '/form.html?done=1',
            title: 'Signed up',
          },
        },
        { wait: { url: { matches: 'done=\\d' }, loadState: 'domcontentloaded' } },
        { goto: '{{BASE}}/table.html' },
        { expect: { count: { locator: '.row', equals: 3 } } },
        { expect: { count: { locator: { role: 'row' }, min: 2, max: 4 } } },
        { expect: { text: { locator: { css: '.row', hasText: 'Pending' }, contains: 'A-2' } } },
        { expect: { text: { locator: { css: '.row', nth: -1 }, contains: 'A-3' } } },
        { expect: { text: { locator: { css: '.row', nth: 0 }, equals: 'A-1 Paid' } } },
        { expect: { visible: { xpath: '//td[text()="A-2"]' } } },
        { expect: { attribute: { locator: '#detail', attribute: 'href', contains: 'ref=table' } } },
        { expect: { attribute: { locator: '#detail', attribute: 'data-order' } } },
        { expect: { visible: { role: 'link', name: 'last ORDER' } } },
        { set: 'ORDER', from: { text: 'Last order', exact: true }, attribute: 'data-order' },
        { expect: { visible: { css: 'td', hasText: '{{ORDER}}' } } },
        { screenshot: 'orders table' },
        { screenshot: { name: 'second row', locator: '.row >> nth=1' } },
        { screenshot: { name: 'orders table', fullPage: true } },
        { goto: '/delayed.html' },
        { wait: { attached: '#status', detached: '#spinner' } },
        { expect: { text: { locator: '#status', contains: 'loaded 3', ignoreCase: true } } },
        { wait: { visible: { role: 'heading', name: 'Dashboard ready' }, hidden: '#spinner' } },
        { wait: 5 },
        { expect: { title: { matches: '^Dash' } } },
      ],
      {
        variables: { EMAIL: 'user@example.com', PASSWORD: 'hunter2-secret', BASE: server.url },
        secrets: ['hunter2-secret'],
        testDataDir: join(fixtures, 'data'),
      },
    );
    const r = await runTest(pool, input);
    expect(failures(r)).toBe('');
    expect(r.steps.every((s) => s.status === 'passed')).toBe(true);
    expect(r.failedStep).toBeNull();
    expect(r.steps[11]?.description).toBe(`fill label="Password" with "${MASK}"`);
    expect(r.steps[12]?.description).toBe('fill placeholder="Your nickname" with "nick-build-42"');
    expect(JSON.stringify(r)).not.toContain('hunter2');
    const shots = r.artifacts.screenshots ?? [];
    expect(shots.map((s) => s.name)).toEqual(['orders table', 'second row', 'orders table']);
    expect(shots.map((s) => s.path)).toEqual([
      `${relativeDir(input.artifactsDir)}/orders_table.png`,
      `${relativeDir(input.artifactsDir)}/second_row.png`,
      `${relativeDir(input.artifactsDir)}/orders_table-2.png`,
    ]);
    for (const s of shots) expect(isPng(join(base, s.path))).toBe(true);
    expect(r.artifacts.screenshot).toBeUndefined();
    expect(r.consoleErrors).toEqual([]);
    expect(r.failedRequests).toEqual([]);
  });

  it('runs request steps with expectations, captures and variables', async () => {
    const r = await runTest(
      pool,
      runnerInput(
        base,
        server.url,
        [
          {
            request: {
              url: '/api/items',
              expect: {
                status: 200,
                headers: {
                  'X-Api-Version': { matches: '^1\\.' },
                  'content-type': 'application/json',
                },
                json: {
                  '$.total': 2,
                  '$.items[0]': { id: 1, name: 'one' },
                  "$.items[1]['tags']": ['a', 'b'],
                  '$.items.length': 2,
                  '$.items[-1].id': '2',
                },
              },
              capture: { FIRST: '$.items[0].id', VER: 'header:x-api-version', ST: 'status' },
            },
          },
          {
            request: {
              method: 'POST',
              url: '/api/items',
              json: { name: 'n-{{FIRST}}', nested: { keep: true } },
              expect: {
                status: [200, 201],
                json: { '$.name': 'n-1', '$.id': 3, '$.nested': { keep: true } },
                headers: { location: '/api/items/3' },
              },
              capture: { NEWID: '$.id', ITEM: '$' },
            },
          },
          {
            request: {
              url: '/api/items/{{NEWID}}',
              headers: { authorization: 'Bearer {{TOKEN}}' },
              expect: { status: 200, json: { '$.name': 'three' }, bodyContains: '"three"' },
            },
          },
          {
            request: {
              method: 'PUT',
              url: '{{BASE}}/api/echo?v={{VER}}',
              body: 'raw-{{ST}}',
              headers: { 'content-type': 'text/plain' },
              expect: {
                json: { '$.method': 'PUT', '$.body': 'raw-200', '$.url': '/api/echo?v=1.4' },
              },
            },
          },
          { set: 'LIT', value: 'x-{{FIRST}}' },
          {
            request: {
              url: '/api/text',
              expect: {
                bodyContains: 'plain',
                headers: { 'content-type': { contains: 'TEXT', ignoreCase: true } },
              },
              capture: { CODE: 'status' },
            },
          },
          {
            request: {
              url: '/api/echo?lit={{LIT}}&code={{CODE}}',
              expect: { json: { '$.url': '/api/echo?lit=x-1&code=200' } },
            },
          },
        ],
        {
          variables: { TOKEN: 's3cr3t-token', BASE: server.url },
          secrets: ['s3cr3t-token'],
          test: { variables: { TOKEN: 'overridden-by-env', OTHER: 'x' } },
        },
      ),
    );
    expect(failures(r)).toBe('');
    expect(r.steps[2]?.description).toBe('request GET /api/items/3');
    expect(JSON.stringify(r)).not.toContain('s3cr3t');
  });

  it('collects console errors, page errors and failed requests, masking secrets in them', async () => {
    const r = await runTest(
      pool,
      runnerInput(
        base,
        server.url,
        [
          { goto: '/errors.html' },
          { expect: { text: { locator: '#done', equals: 'fetched' } } },
          { goto: '/missing-{{KEY}}.html' },
          { request: { url: '/missing-api', expect: { status: 404 } } },
        ],
        { variables: { KEY: 'key-abc-123' }, secrets: ['key-abc-123'] },
      ),
    );
    expect(failures(r)).toBe('');
    expect(r.consoleErrors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'error', text: 'widget failed to load' }),
        expect.objectContaining({ type: 'pageerror', text: 'uncaught boom' }),
      ]),
    );
    expect(r.consoleErrors.some((c) => c.text.includes('just a log line'))).toBe(false);
    expect(r.failedRequests).toEqual(
      expect.arrayContaining([
        { url: `${server.url}/missing.json`, method: 'GET', status: 404 },
        { url: `${server.url}/missing-${MASK}.html`, method: 'GET', status: 404 },
      ]),
    );
    // API calls made by request steps are checked by their own expectations, not logged here.
    expect(r.failedRequests.some((f) => f.url.includes('missing-api'))).toBe(false);
    expect(JSON.stringify(r)).not.toContain('key-abc-123');
  });
});

function relativeDir(dir: string): string {
  return dir.slice(base.length + 1);
}

function isPng(path: string): boolean {
  return existsSync(path) && readFileSync(path).subarray(1, 4).toString() === 'PNG';
}
