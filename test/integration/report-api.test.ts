import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestExecutor } from '../../src/engine/executor.ts';
import { junitErrors, sarifErrors } from '../fixtures/report/validators.ts';
import { errorBody, passingExecutor, startHarness, type Harness } from './api-harness.ts';
import { createMember, createTriggerToken } from './auth-helpers.ts';

// A 1×1 PNG: the failure screenshot the HTML report must embed inline.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

// Tests named `fail …` fail at their second step with a screenshot; the others pass.
const executor: TestExecutor = async (job) => {
  const outcome = await passingExecutor(job);
  if (!job.test.name.startsWith('fail')) return outcome;
  writeFileSync(join(job.artifactsDir, 'failure.png'), PNG);
  return {
    ...outcome,
    status: 'failed',
    failedStep: 1,
    error: 'expected heading "Welcome" to be visible',
    steps: [
      ...outcome.steps,
      {
        index: 1,
        action: 'expect',
        description: 'expect visible heading',
        status: 'failed',
        durationMs: 5,
      },
    ],
    artifacts: { screenshot: `${job.artifactsBase}/failure.png` },
  };
};

let h: Harness;
let projectId: string;
let runId: string;
const P = '/api/v1/projects/reports';

beforeAll(async () => {
  h = await startHarness({ executor });
  const p = await h.call('POST', '/api/v1/projects', { name: 'Reports', baseUrl: 'http://r.test' });
  projectId = p.body.id as string;
  for (const [name, suite] of [
    ['passes', 'checkout'],
    ['fail sign in', 'auth'],
  ] as const) {
    const res = await h.call('POST', `${P}/tests`, {
      name,
      suite,
      status: 'approved',
      steps: [{ goto: '/' }],
    });
    expect(res.status).toBe(201);
  }
  const run = await h.call('POST', `${P}/runs`, {});
  expect(run.status).toBe(202);
  runId = run.body.id as string;
  await h.engine.waitForRun(runId, { timeoutMs: 20_000 });
});
afterAll(async () => {
  await h?.close();
});

describe('GET /runs/:runId/report', () => {
  it('serves JUnit XML that the XSD accepts', async () => {
    const res = await h.call('GET', `/api/v1/runs/${runId}/report?format=junit`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/xml/);
    expect(await junitErrors(res.body as string)).toEqual([]);
    expect(res.body).toContain('<testsuite name="auth"');
    expect(res.body).toMatch(/Screenshot: artifacts\/.*failure\.png/);
  });

  it('serves SARIF valid against the official schema', async () => {
    const res = await h.call('GET', `/api/v1/runs/${runId}/report?format=sarif`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/sarif\+json/);
    expect(sarifErrors(res.body)).toEqual([]);
    expect(res.body.runs[0].results).toHaveLength(1);
    expect(res.body.runs[0].tool.driver.informationUri).toBe(h.url);
  });

  it('serves the JSON report, valid against the published schema', async () => {
    const schema = await h.call('GET', '/api/v1/schemas/report.json', undefined, {
      authorization: '',
    });
    expect(schema.status).toBe(200);
    expect(schema.headers.get('content-type')).toMatch(/^application\/schema\+json/);
    const validate = new Ajv2020({ strict: false }).compile(schema.body);
    const res = await h.call('GET', `/api/v1/runs/${runId}/report?format=json`);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(validate(res.body), JSON.stringify(validate.errors)).toBe(true);
    expect(res.body.summary).toMatchObject({ total: 2, passed: 1, failed: 1 });
    expect(res.body.run.url).toBe(`${h.url}/projects/${projectId}/runs/${runId}`);
  });

  it('serves Markdown and a self-contained HTML page with the screenshot inline', async () => {
    const md = await h.call('GET', `/api/v1/runs/${runId}/report?format=markdown`);
    expect(md.headers.get('content-type')).toMatch(/^text\/markdown/);
    expect(md.body).toMatch(/^### ❌ Greenlight: Reports failed/);
    expect(md.body).toContain('step 2: expect visible heading');
    const html = await h.call('GET', `/api/v1/runs/${runId}/report?format=html&download=1`);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html.headers.get('content-disposition')).toBe(
      `attachment; filename="greenlight-reports-${runId}.html"`,
    );
    expect(html.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(html.body).toContain(`src="data:image/png;base64,${PNG.toString('base64')}"`);
  });

  it('answers 400 for an unknown format and 404 for an unknown run', async () => {
    errorBody(
      await h.call('GET', `/api/v1/runs/${runId}/report?format=pdf`),
      400,
      'validation_failed',
    );
    errorBody(await h.call('GET', '/api/v1/runs/nope/report?format=junit'), 404, 'not_found');
    errorBody(await h.call('GET', `${P}/runs/nope/report`), 404, 'not_found');
  });

  it('lets a trigger token of the project and a viewer read it; nobody else', async () => {
    const token = await createTriggerToken(h.store, projectId);
    const viaToken = await h.call('GET', `/api/v1/runs/${runId}/report?format=junit`, undefined, {
      authorization: `Bearer ${token}`,
    });
    expect(viaToken.status).toBe(200);
    const scoped = await h.call('GET', `${P}/runs/${runId}/report?format=markdown`, undefined, {
      authorization: `Bearer ${token}`,
    });
    expect(scoped.status).toBe(200);
    const viewer = await createMember(h.store, { role: 'viewer', scopes: ['runs:read'] });
    const viaViewer = await h.call('GET', `${P}/runs/${runId}/report?format=json`, undefined, {
      authorization: `Bearer ${viewer.apiKey}`,
    });
    expect(viaViewer.status).toBe(200);
    const other = await h.call('POST', '/api/v1/projects', {
      name: 'Other',
      baseUrl: 'http://o.test',
    });
    const otherToken = await createTriggerToken(h.store, other.body.id as string);
    const denied = await h.call('GET', `/api/v1/runs/${runId}/report`, undefined, {
      authorization: `Bearer ${otherToken}`,
    });
    expect(denied.status).toBe(403);
    const wrongProject = await h.call('GET', `/api/v1/projects/other/runs/${runId}/report`);
    errorBody(wrongProject, 404, 'not_found');
    const anonymous = await fetch(`${h.url}/api/v1/runs/${runId}/report`);
    expect(anonymous.status).toBe(401);
  });
});
