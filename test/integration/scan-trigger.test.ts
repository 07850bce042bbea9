import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { chromiumExecutor } from '../../src/engine/chromium-executor.ts';
import type { TestExecutor } from '../../src/engine/executor.ts';
import { sarifErrors } from '../fixtures/report/validators.ts';
import { startStaticServer, type StaticServer } from '../helpers/static-server.ts';
import { startHarness, type Harness } from './api-harness.ts';
import { createTriggerToken } from './auth-helpers.ts';

// A CI trigger that carries a scan: the browser test passes in real Chromium, and the run's one
// verdict still fails on the new high finding; every report shows the finding.

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/artifacts');
let site: StaticServer;
let pool: BrowserPool;
let h: Harness;
let token: string;
const chromium: TestExecutor = (job) =>
  chromiumExecutor(pool, resolve(job.artifactsDir, '../../..'))(job);

beforeAll(async () => {
  site = await startStaticServer(fixtures);
  pool = new BrowserPool({ chromiumPath: null, browserWs: null });
  h = await startHarness({ executor: chromium, config: { allowPrivateUrls: ['loopback'] } });
  const p = await h.call('POST', '/api/v1/projects', {
    name: 'shop',
    slug: 'shop',
    baseUrl: site.url,
  });
  const t = await h.call('POST', '/api/v1/projects/shop/tests', {
    name: 'the button works',
    status: 'approved',
    steps: [
      { goto: '/index.html' },
      { click: { role: 'button', name: 'Press me' } },
      { expect: { visible: { text: 'Clicked' } } },
    ],
  });
  expect(t.status, JSON.stringify(t.body)).toBe(201);
  token = await createTriggerToken(h.store, p.body.id as string);
});
afterAll(async () => {
  await h?.close();
  await pool?.close();
  await site?.close();
});

async function trigger(files: Record<string, string>) {
  const res = await h.call(
    'POST',
    '/api/v1/projects/shop/trigger',
    { scan: { files, branch: 'feature' } },
    { authorization: `Bearer ${token}` },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const run = await h.engine.waitForRun(res.body.runId as string, { timeoutMs: 60_000 });
  return run;
}

describe('a trigger with a scan', () => {
  it('fails the verdict on a new high finding while the browser test passes', async () => {
    const run = await trigger({
      'src/render.ts':
        'export const show = (el: Element, html: string) => {\n  el.innerHTML = html;\n};\n',
    });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(
      /scan gate failed: new findings of severity high or above > 0 \(actual 1\)/,
    );
    expect(run).toMatchObject({ passed: 1, failed: 0, total: 1 });

    const scan = await h.call('GET', `/api/v1/projects/shop/runs/${run.id}/scan`);
    expect(scan.body).toMatchObject({
      total: 1,
      scan: { status: 'failed', runId: run.id },
      findings: [{ ruleId: 'GL-OWASP-DOM-XSS', status: 'new', startLine: 2 }],
    });

    const junit = await h.call('GET', `/api/v1/runs/${run.id}/report?format=junit`);
    const suites = new XMLParser({ ignoreAttributes: false }).parse(junit.body).testsuites;
    expect(suites['@_failures']).toBe('1');
    expect(JSON.stringify(suites)).toContain('scan.GL-OWASP-DOM-XSS');

    const sarif = (await h.call('GET', `/api/v1/runs/${run.id}/report?format=sarif`)).body;
    expect(sarifErrors(sarif)).toEqual([]);
    expect(sarif.runs[0].results[0]).toMatchObject({
      ruleId: 'GL-OWASP-DOM-XSS',
      level: 'error',
      locations: [
        {
          physicalLocation: { artifactLocation: { uri: 'src/render.ts', uriBaseId: '%SRCROOT%' } },
        },
      ],
      partialFingerprints: { 'greenlightFinding/v1': expect.stringMatching(/^[a-f0-9]{64}$/) },
    });

    const md = (await h.call('GET', `/api/v1/runs/${run.id}/report?format=markdown`))
      .body as string;
    expect(md).toContain('#### Scan findings (1)');
  });

  it('passes when the scan finds nothing that gates', async () => {
    const run = await trigger({
      'src/render.ts':
        'export const show = (el: Element, text: string) => {\n  el.textContent = text;\n};\n',
    });
    expect(run.status).toBe('passed');
  });
});
