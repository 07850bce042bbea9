import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { sarifErrors } from '../fixtures/report/validators.ts';
import { sseReader, type SseMessage } from '../helpers/sse.ts';
import { createMember } from './auth-helpers.ts';
import { startTriggerHarness, type TriggerHarness } from './trigger-harness.ts';

// The scan gate over real HTTP: sentrik's API under /scan-gate and Greenlight's own scan resources.

const j = (...p: string[]) => p.join('');
const leaky = {
  'src/app.ts': `export const run = (s: string) => eval(s);\nconst key = "${j('AKIA', 'Q3ZV7RN2WXLBT5KM')}";\n`,
  'README.md': '# ok\n',
};

describe('the scan gate API', () => {
  let h: TriggerHarness;
  let project: { id: string; slug: string; token: string };
  let scanToken: string;
  let admin: Record<string, string>;
  let sentrik: Record<string, string>;

  beforeAll(async () => {
    h = await startTriggerHarness();
    project = await h.project('shop', ['pass home', 'pass cart']);
    scanToken = (
      await h.store.triggerTokens.create(project.id, { name: 'scan', scopes: ['trigger', 'scan'] })
    ).token;
    admin = { authorization: `Bearer ${h.admin.apiKey}`, 'x-greenlight-project': project.slug };
    sentrik = { authorization: `Bearer ${scanToken}` };
  });
  afterAll(() => h.close());

  it('health is open; everything else needs a token with the scan scope', async () => {
    expect(await h.call('GET', '/scan-gate/health')).toMatchObject({
      status: 200,
      body: { status: 'ok' },
    });
    expect((await h.call('POST', '/scan-gate/scan', { files: leaky })).status).toBe(401);
    const noScope = await h.call(
      'POST',
      '/scan-gate/scan',
      { files: leaky },
      { authorization: `Bearer ${project.token}` },
    );
    expect(noScope).toMatchObject({
      status: 403,
      body: { code: 'forbidden', error: expect.stringMatching(/scan scope/) },
    });
    // A scan-only token opens no trigger endpoint.
    const scanOnly = (
      await h.store.triggerTokens.create(project.id, { name: 's', scopes: ['scan'] })
    ).token;
    expect(
      (
        await h.call(
          'POST',
          `/api/v1/projects/${project.slug}/trigger`,
          {},
          { authorization: `Bearer ${scanOnly}` },
        )
      ).status,
    ).toBe(403);
  });

  it('POST /scan and /gate answer in sentrik shapes; validation errors are 422; missing features 501', async () => {
    const scan = await h.call('POST', '/scan-gate/scan', { files: leaky }, sentrik);
    expect(scan.status).toBe(200);
    expect(scan.body).toMatchObject({
      total: 2,
      by_severity: { critical: 1, high: 1, medium: 0, low: 0, info: 0 },
    });
    const key = scan.body.findings.find(
      (f: { rule_id: string }) => f.rule_id === 'GL-SEC-AWS-ACCESS-KEY',
    );
    expect(key).toMatchObject({
      file: 'src/app.ts',
      line: 2,
      severity: 'critical',
      status: 'new',
      fingerprint: expect.stringMatching(/^[a-f0-9]{64}$/),
    });
    expect(JSON.stringify(scan.body)).not.toContain('Q3ZV7RN2WXLBT5KM');

    const gate = await h.call('POST', '/scan-gate/gate', { files: leaky }, sentrik);
    expect(gate.body).toMatchObject({
      passed: false,
      total_findings: 2,
      critical: 1,
      high: 1,
      approval_id: expect.any(String),
    });
    expect(gate.body.conditions).toContainEqual({
      metric: 'secrets',
      comparator: '>',
      threshold: 0,
      actual: 1,
      passed: false,
    });

    expect(await h.call('POST', '/scan-gate/scan', { files: 'nope' }, sentrik)).toMatchObject({
      status: 422,
      body: { code: 'validation_failed' },
    });
    expect(await h.call('POST', '/scan-gate/scan', {}, sentrik)).toMatchObject({ status: 422 });
    expect(await h.call('POST', '/scan-gate/scan', { repo_path: '/etc' }, sentrik)).toMatchObject({
      status: 422,
      body: { error: expect.stringMatching(/GREENLIGHT_SCAN_ROOTS/) },
    });
    for (const [m, p] of [
      ['GET', '/api/license'],
      ['GET', '/api/work-items'],
      ['POST', '/api/generate-reqs'],
    ] as const) {
      expect(await h.call(m, `/scan-gate${p}`, undefined, sentrik)).toMatchObject({
        status: 501,
        body: { code: 'not_implemented' },
      });
    }
  });

  it('POST /report renders SARIF that validates, with relative paths and partial fingerprints', async () => {
    const r = await h.call('POST', '/scan-gate/report?format=sarif', { files: leaky }, sentrik);
    expect(r.body.format).toBe('sarif');
    const log = JSON.parse(r.body.content);
    expect(sarifErrors(log)).toEqual([]);
    const result = log.runs[0].results[0];
    expect(result.locations[0].physicalLocation.artifactLocation).toEqual({
      uri: 'src/app.ts',
      uriBaseId: '%SRCROOT%',
    });
    expect(result.partialFingerprints['greenlightFinding/v1']).toMatch(/^[a-f0-9]{64}$/);
    const junit = await h.call('POST', '/scan-gate/report?format=junit', { files: leaky }, sentrik);
    expect(
      new XMLParser({ ignoreAttributes: false }).parse(junit.body.content).testsuites['@_failures'],
    ).toBe('2');
  });

  it('packs import and export as YAML (sentrik vocabulary too), with overrides', async () => {
    const yaml = [
      'name: "Team rules"',
      'rules:',
      '  - id: TEAM-001',
      '    name: no-left-pad',
      '    type: regex',
      '    pattern: "left-pad"',
      '    severity: high',
      '    file_glob: "**/*.js"',
      '    remediation_guidance: "Use String.prototype.padStart"',
    ].join('\n');
    const imported = await h.call('POST', '/scan-gate/api/packs/import', yaml, {
      ...admin,
      'content-type': 'application/yaml',
    });
    expect(imported).toMatchObject({ status: 201, body: { id: 'team-rules', rules: 1 } });
    const exported = await h.call(
      'GET',
      '/scan-gate/api/packs/team-rules/export',
      undefined,
      admin,
    );
    expect(exported.body).toContain('kind: regex');
    expect(exported.body).toContain('help: Use String.prototype.padStart');
    const files = { 'a.js': "require('left-pad');\n" };
    expect((await h.call('POST', '/scan-gate/gate', { files }, sentrik)).body).toMatchObject({
      passed: false,
      high: 1,
    });
    const o = await h.call(
      'POST',
      '/scan-gate/api/packs/team-rules/overrides',
      { 'TEAM-001': { severity: 'low' } },
      admin,
    );
    expect(o.status).toBe(200);
    expect((await h.call('POST', '/scan-gate/gate', { files }, sentrik)).body).toMatchObject({
      passed: true,
      low: 1,
    });
    const bad = await h.call(
      'POST',
      '/scan-gate/api/packs',
      {
        id: 'x',
        name: 'x',
        rules: [
          { id: 'R', name: 'r', kind: 'regex', severity: 'low', message: 'm', pattern: '(a)\\1' },
        ],
      },
      admin,
    );
    expect(bad).toMatchObject({ status: 422, body: { error: expect.stringMatching(/RE2/) } });
    expect((await h.call('DELETE', '/scan-gate/api/packs/secrets', undefined, admin)).status).toBe(
      409,
    );
    expect(
      (await h.call('DELETE', '/scan-gate/api/packs/team-rules', undefined, admin)).status,
    ).toBe(204);
    const rules = await h.call('GET', '/scan-gate/rules', undefined, sentrik);
    expect(rules.body.total).toBeGreaterThan(30);
  });

  it('an approval by the right role covers exactly those findings until it expires; the audit chain verifies', async () => {
    const gate = await h.call('POST', '/scan-gate/gate', { files: leaky }, sentrik);
    const id = gate.body.approval_id as string;
    const editor = await createMember(h.store, { role: 'editor' });
    const asEditor = {
      authorization: `Bearer ${editor.apiKey}`,
      'x-greenlight-project': project.slug,
    };
    expect(
      (await h.call('PATCH', `/scan-gate/api/approvals/${id}`, { status: 'approved' }, asEditor))
        .status,
    ).toBe(403);
    const ok = await h.call(
      'PATCH',
      `/scan-gate/api/approvals/${id}`,
      { status: 'approved', comment: 'known issue' },
      admin,
    );
    expect(ok).toMatchObject({
      status: 200,
      body: { status: 'approved', expiresAt: expect.any(String) },
    });
    expect(
      (await h.call('GET', `/scan-gate/api/approvals/${id}/status`, undefined, sentrik)).body,
    ).toMatchObject({ status: 'approved' });
    expect((await h.call('POST', '/scan-gate/gate', { files: leaky }, sentrik)).body).toMatchObject(
      { passed: true, approved: 2 },
    );
    // Another finding is not covered.
    const more = { ...leaky, 'b.js': 'eval(b);\n' };
    expect((await h.call('POST', '/scan-gate/gate', { files: more }, sentrik)).body).toMatchObject({
      passed: false,
      high: 1,
    });
    const audit = await h.call('GET', '/scan-gate/api/audit', undefined, sentrik);
    expect(audit.body.chain).toEqual({ valid: true, broken_at: null });
    expect(audit.body.entries.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining([
        'scan.finished',
        'approval.requested',
        'approval.approved',
        'pack.imported',
      ]),
    );
  });

  it('streams a scan over SSE and serves findings with excerpts for a project', async () => {
    const res = await fetch(`${h.url}/scan-gate/api/run-scan-stream`, {
      method: 'POST',
      headers: { ...sentrik, 'content-type': 'application/json' },
      body: JSON.stringify({ files: leaky }),
    });
    const reader = sseReader(res, { skip: (m) => !m.event });
    const events: SseMessage[] = [];
    for (let m = await reader.next(); m; m = await reader.next()) events.push(m);
    const done = events.find((e) => e.event === 'done')!;
    // The approval of the test before still covers these findings.
    expect(done.data).toMatchObject({ status: 'passed', scan_id: expect.any(String) });
    expect(events.some((e) => e.event === 'progress')).toBe(true);
    const list = await h.call('GET', `/api/v1/projects/${project.slug}/scans`, undefined, admin);
    const scanId = list.body.scans[0].id;
    const f = await h.call(
      'GET',
      `/api/v1/projects/${project.slug}/scans/${scanId}/findings?severity=high`,
      undefined,
      admin,
    );
    expect(f.body.findings[0]).toMatchObject({
      ruleId: 'GL-OWASP-EVAL',
      excerpt: {
        startLine: 1,
        lines: expect.arrayContaining([expect.stringContaining('eval(s)')]),
      },
    });
    const sup = await h.call(
      'POST',
      `/api/v1/projects/${project.slug}/scans/${scanId}/findings/${f.body.findings[0].fingerprint}/suppress`,
      { reason: 'sandboxed' },
      admin,
    );
    expect(sup).toMatchObject({ status: 201, body: { approver: h.admin.email } });
    expect(
      (await h.call('GET', '/scan-gate/api/suppressions', undefined, sentrik)).body.total,
    ).toBe(1);
  });
});
