import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntilDone, startTriggerHarness, type TriggerHarness } from './trigger-harness.ts';

// AegisRunner's CI API (seed 002): the token names the project, `aegis_` prefix accepted,
// `{ runId, status: "queued", runType, url }`, the status endpoint, `wait: true` failing curl -f,
// and unsupported fields refused by name.

let h: TriggerHarness;
let green: { id: string; slug: string; token: string };
let red: { id: string; slug: string; token: string };
const aegis = (token: string) => ({ authorization: `Bearer aegis_${token}` });

beforeAll(async () => {
  h = await startTriggerHarness();
  green = await h.project('aegis-green', ['checkout/pass buy', 'pass home']);
  red = await h.project('aegis-red', ['fail cart']);
});
afterAll(async () => h?.close());

describe('AegisRunner trigger (seed 002)', () => {
  it('queues a run and reports it on the status endpoint', async () => {
    const res = await h.call(
      'POST',
      '/api/v1/ci/trigger',
      {
        baseUrl: 'https://pr-123.preview.example.com',
        suiteIds: ['checkout'],
        browserProfile: 'chromium',
        device: 'desktop',
        githubRepo: 'org/app',
        githubPrNumber: 123,
        githubCommitSha: 'abc1234',
      },
      aegis(green.token),
    );
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      runId: expect.any(String),
      status: 'queued',
      runType: 'manual',
      url: `${h.url}/projects/${green.id}/runs/${res.body.runId}`,
      statusUrl: `${h.url}/api/v1/ci/runs/${res.body.runId}`,
    });
    // `url` is the run's page in the dashboard, a page a person opens in a browser.
    const page = await h.call('GET', res.body.url, undefined, { accept: 'text/html' });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const done = await pollUntilDone(h, res.body.statusUrl, `aegis_${green.token}`, 'status', [
      'queued',
      'running',
    ]);
    expect(done.body).toMatchObject({
      runId: res.body.runId,
      status: 'passed',
      passed: 1,
      failed: 0,
      total: 1,
      runType: 'manual',
    });
    expect(typeof done.body.durationMs).toBe('number');
    const run = await h.store.runs.get(null, res.body.runId);
    expect(run?.baseUrl).toBe('https://pr-123.preview.example.com');
    const meta = await h.store.runTriggers.get(res.body.runId);
    expect(meta).toMatchObject({
      shape: 'aegis',
      concurrencyKey: 'pr:123',
      git: { repository: 'org/app', prNumber: 123, commitSha: 'abc1234' },
    });
    // The plain token works too.
    const plain = await h.call('GET', res.body.statusUrl, undefined, {
      authorization: `Bearer ${green.token}`,
    });
    expect(plain.status).toBe(200);
  });

  it("fails seed 002's `curl -fsSL … wait: true` when the run fails", async () => {
    const curl = async (token: string): Promise<number> => {
      try {
        await promisify(execFile)('curl', [
          '-fsSL',
          '-X',
          'POST',
          `${h.url}/api/v1/ci/trigger`,
          '-H',
          `Authorization: Bearer aegis_${token}`,
          '-H',
          'Content-Type: application/json',
          '-d',
          '{ "wait": true, "githubRepo": "org/app", "githubPrNumber": 5 }',
        ]);
        return 0;
      } catch (e) {
        const code = (e as { code?: number | string }).code;
        if (code === 'ENOENT') return -2;
        return typeof code === 'number' ? code : -1;
      }
    };
    const ok = await curl(green.token);
    expect(ok).toBe(0);
    expect(await curl(red.token)).toBe(22); // curl -f: HTTP error
    const res = await h.call('POST', '/api/v1/ci/trigger', { wait: true }, aegis(red.token));
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'run_failed', status: 'failed', failed: 1 });
  });

  it('refuses what it cannot honour, naming the field', async () => {
    // testDataSetId names a data set: one the project lacks is a 404 naming it.
    const ds = await h.call(
      'POST',
      '/api/v1/ci/trigger',
      { testDataSetId: 'ds-1' },
      aegis(green.token),
    );
    expect([ds.status, ds.body.code, ds.body.details]).toEqual([
      404,
      'not_found',
      { dataSet: 'ds-1' },
    ]);
    // On a server without a crawl-phase runner (this harness), a crawl is refused as `crawl`;
    // `greenlight serve` has one (crawl-phase.test.ts). Without PR feedback, so is the token.
    const cases: [Record<string, unknown>, string][] = [
      [{ crawl: true }, 'crawl'],
      [{ crawlPages: ['/a'] }, 'crawl'],
      [{ githubToken: 'ghp_x' }, 'githubToken'],
      [{ selectionStrategy: 'smart' }, 'selectionStrategy'],
      [{ browserProfile: 'webkit' }, 'browser'],
    ];
    for (const [body, named] of cases) {
      const res = await h.call('POST', '/api/v1/ci/trigger', body, aegis(green.token));
      expect([res.status, res.body.code, res.body.details?.field], named).toEqual([
        400,
        'unsupported_field',
        named,
      ]);
    }
    // Crawl options without a crawl mean nothing: refused by name, never ignored.
    for (const body of [
      { generateTests: true },
      { maxPages: 10 },
      { maxDepth: 2 },
      { fillForms: true },
      { respectRobots: false },
    ]) {
      const res = await h.call('POST', '/api/v1/ci/trigger', body, aegis(green.token));
      const field = Object.keys(body)[0]!;
      expect([res.status, res.body.code, res.body.details?.[0]?.path], field).toEqual([
        400,
        'validation_failed',
        `body.${field}`,
      ]);
    }
    // Strategy changed needs the changed files, named by their field.
    const changed = await h.call(
      'POST',
      '/api/v1/ci/trigger',
      { selectionStrategy: 'changed' },
      aegis(green.token),
    );
    expect([changed.status, changed.body.code, changed.body.details?.field]).toEqual([
      400,
      'validation_failed',
      'changedFiles',
    ]);
    // Asking for nothing is fine: crawl false is no crawl.
    const ok = await h.call('POST', '/api/v1/ci/trigger', { crawl: false }, aegis(green.token));
    expect(ok.status).toBe(202);
    await pollUntilDone(h, ok.body.statusUrl, green.token, 'status', ['queued', 'running']);
  });

  it('answers 401 without a token, 403 for another project, 404 for an unknown run', async () => {
    expect((await h.call('POST', '/api/v1/ci/trigger', {})).status).toBe(401);
    const res = await h.call('POST', '/api/v1/ci/trigger', {}, aegis(green.token));
    const other = await h.call('GET', res.body.statusUrl, undefined, aegis(red.token));
    expect([other.status, other.body.error]).toEqual([403, 'Token belongs to a different project']);
    const unknown = await h.call('GET', '/api/v1/ci/runs/nope', undefined, aegis(green.token));
    expect(unknown.status).toBe(404);
    // A personal key names no project: told to use the project path.
    const user = await h.call(
      'POST',
      '/api/v1/ci/trigger',
      {},
      {
        authorization: `Bearer ${h.admin.apiKey}`,
      },
    );
    expect([user.status, user.body.code]).toEqual([400, 'bad_request']);
    await pollUntilDone(h, res.body.statusUrl, green.token, 'status', ['queued', 'running']);
  });

  it('replays an Idempotency-Key in the Aegis shape', async () => {
    const headers = { ...aegis(green.token), 'idempotency-key': 'gha-77' };
    const a = await h.call('POST', '/api/v1/ci/trigger', { suiteIds: ['checkout'] }, headers);
    const b = await h.call('POST', '/api/v1/ci/trigger', { suiteIds: ['checkout'] }, headers);
    expect([a.status, b.status]).toEqual([202, 200]);
    expect(b.body).toEqual(a.body);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    const c = await h.call('POST', '/api/v1/ci/trigger', {}, headers);
    expect([c.status, c.body.code]).toEqual([422, 'idempotency_mismatch']);
    await pollUntilDone(h, a.body.statusUrl, green.token, 'status', ['queued', 'running']);
  });
});
