import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { videoSupport } from '../../src/browser/video-support.ts';
import { sweepArtifacts } from '../../src/engine/artifact-retention.ts';
import { chromiumExecutor } from '../../src/engine/chromium-executor.ts';
import type { TestExecutor } from '../../src/engine/executor.ts';
import type { ArtifactSettings } from '../../src/engine/artifact-settings.ts';
import { startStaticServer, type StaticServer } from '../helpers/static-server.ts';
import { errorBody, startHarness, type Harness } from './api-harness.ts';
import { createTriggerToken, TEST_PASSWORD } from './auth-helpers.ts';

/** Serving run artifacts over real HTTP from a real Chromium run, and the limits on them. */
const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/artifacts');
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let site: StaticServer;
let pool: BrowserPool;

/** The real Chromium executor; its data dir is the one the engine gave the attempt's folder. */
const chromium: TestExecutor = (job) =>
  chromiumExecutor(pool, resolve(job.artifactsDir, '../../..'))(job);

beforeAll(async () => {
  site = await startStaticServer(fixtures);
  pool = new BrowserPool({ chromiumPath: null, browserWs: null });
});
afterAll(async () => {
  await pool.close();
  await site?.close();
});

/** A harness with a project (slug `slug`) of two approved tests: one fails, one passes. */
async function setUp(slug: string, artifacts?: ArtifactSettings) {
  const h = await startHarness({
    executor: chromium,
    config: { allowPrivateUrls: ['loopback'] },
    ...(artifacts ? { artifacts } : {}),
  });
  const p = await h.call('POST', '/api/v1/projects', { name: slug, slug, baseUrl: site.url });
  expect(p.status, JSON.stringify(p.body)).toBe(201);
  const tests = [
    {
      name: 'fails on a missing heading',
      stepTimeout: 800,
      steps: [{ goto: '/index.html' }, { expect: { visible: { role: 'heading', name: 'Nope' } } }],
    },
    {
      name: 'passes in three steps',
      steps: [
        { goto: '/index.html' },
        { click: { role: 'button', name: 'Press me' } },
        { expect: { visible: { text: 'Clicked' } } },
      ],
    },
  ];
  for (const t of tests) {
    const res = await h.call('POST', `/api/v1/projects/${slug}/tests`, {
      ...t,
      status: 'approved',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }
  return { h, projectId: p.body.id as string };
}

async function runAndWait(h: Harness, slug: string, body: object): Promise<string> {
  const run = await h.call('POST', `/api/v1/projects/${slug}/runs`, body);
  expect(run.status, JSON.stringify(run.body)).toBe(202);
  await h.engine.waitForRun(run.body.id as string, { timeoutMs: 60_000 });
  return run.body.id as string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- results are read as JSON
type ResultJson = any;

async function resultsOf(h: Harness, slug: string, runId: string): Promise<ResultJson[]> {
  const res = await h.call('GET', `/api/v1/projects/${slug}/runs/${runId}/results`);
  expect(res.status).toBe(200);
  return res.body.items as ResultJson[];
}

const byName = (results: ResultJson[], prefix: string): ResultJson =>
  results.find((r: ResultJson) => String(r.testName).startsWith(prefix));

/** GET a path exactly as written: fetch would resolve `..` and `%2e%2e` before sending. */
function rawStatus(base: string, path: string, headers: Record<string, string>): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((done, fail) => {
    const req = request({ hostname, port, path, headers, method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode ?? 0));
    });
    req.on('error', fail);
    req.end();
  });
}

async function login(h: Harness): Promise<string> {
  const res = await h.call(
    'POST',
    '/api/v1/auth/login',
    { email: h.admin.email, password: TEST_PASSWORD },
    { cookie: '' },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const token = /access_token=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? '';
  expect(token).not.toBe('');
  return `access_token=${token}`;
}

describe('serving artifacts of a real Chromium run', () => {
  let h: Harness;
  let projectId: string;
  let runId: string;
  let failed: ResultJson;
  let passed: ResultJson;
  let token: string;
  let otherToken: string;

  beforeAll(async () => {
    ({ h, projectId } = await setUp('shots'));
    runId = await runAndWait(h, 'shots', { screenshots: 'every-step' });
    const results = await resultsOf(h, 'shots', runId);
    failed = byName(results, 'fails');
    passed = byName(results, 'passes');
    token = await createTriggerToken(h.store, projectId);
    const other = await h.call('POST', '/api/v1/projects', {
      name: 'Other',
      slug: 'other',
      baseUrl: site.url,
    });
    otherToken = await createTriggerToken(h.store, other.body.id as string);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('lists absolute URLs beside the failure screenshot and the every-step screenshots', () => {
    expect(failed.status).toBe('failed');
    expect(failed.artifacts.screenshot).toMatch(
      new RegExp(`^artifacts/${runId}/.+/failure\\.png$`),
    );
    const rest = String(failed.artifacts.screenshot).slice(`artifacts/${runId}/`.length);
    expect(failed.artifacts.screenshotUrl).toBe(
      `${h.url}/api/v1/projects/${projectId}/runs/${runId}/artifacts/${rest}`,
    );
    // The failing test passed its first step: that one has its screenshot too.
    expect(failed.artifacts.screenshots.map((s: ResultJson) => s.step)).toEqual([0]);

    expect(passed.status).toBe('passed');
    const shots = passed.artifacts.screenshots as ResultJson[];
    expect(shots.map((s) => s.step)).toEqual([0, 1, 2]);
    for (const s of shots) {
      expect(s.url).toMatch(new RegExp(`^${h.url}/api/v1/projects/${projectId}/runs/${runId}/`));
      expect(existsSync(join(h.config.dataDir, s.path))).toBe(true);
    }
  });

  it('serves every-step screenshots as PNGs', async () => {
    for (const s of passed.artifacts.screenshots as ResultJson[]) {
      const res = await fetch(s.url as string, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(bytes.subarray(0, 8).equals(PNG_MAGIC)).toBe(true);
      expect(Number(res.headers.get('content-length'))).toBe(bytes.length);
    }
  });

  it('serves the failure screenshot on both routes to a trigger token and to a session', async () => {
    const rest = String(failed.artifacts.screenshot).slice(`artifacts/${runId}/`.length);
    const scoped = `${h.url}/api/v1/projects/${projectId}/runs/${runId}/artifacts/${rest}`;
    const plain = `${h.url}/api/v1/runs/${runId}/artifacts/${rest}`;
    const cookie = await login(h);
    for (const url of [scoped, plain]) {
      const credentials: Record<string, string>[] = [
        { authorization: `Bearer ${token}` },
        { cookie },
      ];
      for (const headers of credentials) {
        const res = await fetch(url, { headers });
        expect(res.status, `${url} ${JSON.stringify(headers)}`).toBe(200);
        expect(res.headers.get('content-type')).toBe('image/png');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        const bytes = Buffer.from(await res.arrayBuffer());
        expect(bytes.subarray(0, 8).equals(PNG_MAGIC)).toBe(true);
        expect(Number(res.headers.get('content-length'))).toBe(bytes.length);
      }
    }
    const dl = await fetch(`${plain}?download=1`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(dl.headers.get('content-disposition')).toBe('attachment; filename="failure.png"');
    await dl.arrayBuffer();
  });

  it("answers 404 to another project's token and 401 to nobody", async () => {
    const rest = String(failed.artifacts.screenshot).slice(`artifacts/${runId}/`.length);
    const other = { authorization: `Bearer ${otherToken}` };
    errorBody(
      await h.call('GET', `/api/v1/runs/${runId}/artifacts/${rest}`, undefined, other),
      404,
      'not_found',
    );
    errorBody(
      await h.call(
        'GET',
        `/api/v1/projects/${projectId}/runs/${runId}/artifacts/${rest}`,
        undefined,
        other,
      ),
      404,
      'not_found',
    );
    // The other project's own scope does not reach this run either.
    errorBody(
      await h.call(
        'GET',
        `/api/v1/projects/other/runs/${runId}/artifacts/${rest}`,
        undefined,
        other,
      ),
      404,
      'not_found',
    );
    const anonymous = await fetch(`${h.url}/api/v1/runs/${runId}/artifacts/${rest}`);
    expect(anonymous.status).toBe(401);
  });

  it('refuses traversal, absolute paths, NUL and symlinks out of the run folder with 404', async () => {
    const runDir = join(h.config.dataDir, 'artifacts', runId);
    writeFileSync(join(h.config.dataDir, 'secret.txt'), 'outside');
    symlinkSync(join(h.config.dataDir, 'secret.txt'), join(runDir, 'escape.txt'));
    mkdirSync(join(runDir, 'notes'));
    writeFileSync(join(runDir, 'notes', 'inside.json'), '{"ok":true}');
    const auth = { authorization: `Bearer ${token}` };
    for (const bad of [
      '../../greenlight.db',
      'notes/../../../secret.txt',
      '..%2F..%2Fgreenlight.db',
      '%2e%2e/%2e%2e/greenlight.db',
      '..%2Fsecret.txt',
      '%2Fetc%2Fpasswd',
      'notes%2F..%2F..%2F..%2Fsecret.txt',
      'notes/inside.json%00.png',
      'escape.txt',
      'notes',
      'does-not-exist.png',
    ]) {
      for (const base of [`/api/v1/runs/${runId}`, `/api/v1/projects/${projectId}/runs/${runId}`]) {
        expect(await rawStatus(h.url, `${base}/artifacts/${bad}`, auth), bad).toBe(404);
      }
    }
    const ok = await h.call(
      'GET',
      `/api/v1/runs/${runId}/artifacts/notes/inside.json`,
      undefined,
      auth,
    );
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^application\/json/);
    expect(ok.body).toEqual({ ok: true });
  });

  it('puts absolute artifact URLs into the JSON report', async () => {
    const res = await h.call('GET', `/api/v1/runs/${runId}/report?format=json`);
    expect(res.status).toBe(200);
    const urls = JSON.stringify(res.body).match(/"url":"[^"]+\/artifacts\/[^"]+"/g) ?? [];
    expect(urls.length).toBeGreaterThanOrEqual(5);
    expect(
      urls.every((u) =>
        u.includes(`${h.url}/api/v1/projects/${projectId}/runs/${runId}/artifacts/`),
      ),
    ).toBe(true);
  });

  it('answers 410 artifact_expired once retention deleted the run’s artifacts', async () => {
    const rest = String(failed.artifacts.screenshot).slice(`artifacts/${runId}/`.length);
    const later = new Date(Date.now() + 3 * 86_400_000);
    const report = await sweepArtifacts(
      {
        store: h.store,
        artifactStore: h.engine.artifactStore,
        dataDir: h.config.dataDir,
        clock: () => later,
      },
      { days: 2, runs: 100 },
      { projectId },
    );
    expect(report.runs.map((r) => r.runId)).toEqual([runId]);
    expect(report.bytes).toBeGreaterThan(0);
    expect(existsSync(join(h.config.dataDir, 'artifacts', runId))).toBe(false);
    const auth = { authorization: `Bearer ${token}` };
    for (const base of [`/api/v1/runs/${runId}`, `/api/v1/projects/${projectId}/runs/${runId}`]) {
      errorBody(
        await h.call('GET', `${base}/artifacts/${rest}`, undefined, auth),
        410,
        'artifact_expired',
      );
    }
    // Bad paths stay 404 whatever the run's state.
    const res = await h.call('GET', `/api/v1/runs/${runId}/artifacts/..%2Fx`, undefined, auth);
    expect(res.status).toBe(404);
  });
});

describe('size limits', () => {
  it('drops a file over the per-file limit and notes it; the outcome stays', async () => {
    const { h } = await setUp('tiny-file', { limits: { maxFileBytes: 200, maxRunBytes: 1e9 } });
    try {
      const runId = await runAndWait(h, 'tiny-file', {});
      const failed = byName(await resultsOf(h, 'tiny-file', runId), 'fails');
      expect(failed.status).toBe('failed');
      expect(failed.artifacts.screenshot).toBeUndefined();
      expect(failed.artifacts.dropped).toHaveLength(1);
      const [d] = failed.artifacts.dropped as ResultJson[];
      expect(d).toMatchObject({ name: 'failure.png', reason: 'file_limit' });
      expect(d.bytes).toBeGreaterThan(200);
      const dir = join(h.config.dataDir, 'artifacts', runId);
      const attempt = `${failed.testId}-1`;
      expect(existsSync(join(dir, attempt, 'failure.png'))).toBe(false);
    } finally {
      await h.close();
    }
  }, 60_000);

  it('drops files once the run is over its limit', async () => {
    const { h } = await setUp('tiny-run', { limits: { maxFileBytes: 1e9, maxRunBytes: 100 } });
    try {
      const runId = await runAndWait(h, 'tiny-run', { screenshots: 'every-step' });
      const results = await resultsOf(h, 'tiny-run', runId);
      expect(byName(results, 'fails').status).toBe('failed');
      expect(byName(results, 'passes').status).toBe('passed');
      const dropped = results.flatMap((r: ResultJson) => r.artifacts.dropped ?? []);
      expect(dropped.length).toBeGreaterThanOrEqual(4);
      expect(dropped.every((d: ResultJson) => d.reason === 'run_limit')).toBe(true);
      for (const r of results) {
        expect(r.artifacts.screenshot).toBeUndefined();
        expect(r.artifacts.screenshots).toBeUndefined();
      }
    } finally {
      await h.close();
    }
  }, 60_000);
});

describe('video', () => {
  it('is refused at run creation, naming the missing ffmpeg, on POST /runs and the trigger', async () => {
    const missing = { findVideo: () => videoSupport(() => false) };
    const { h, projectId } = await setUp('novideo', missing);
    try {
      const body = errorBody(
        await h.call('POST', '/api/v1/projects/novideo/runs', { video: true }),
        400,
        'video_unavailable',
      );
      expect(body.error).toMatch(/ffmpeg/);
      expect(body.error).toContain('npx playwright install ffmpeg');
      expect(body.details).toMatchObject({ field: 'video', missing: 'ffmpeg' });
      expect(String(body.details.lookedFor)).toMatch(/ffmpeg/);
      const token = await createTriggerToken(h.store, projectId);
      errorBody(
        await h.call(
          'POST',
          `/api/v1/projects/${projectId}/trigger`,
          { video: true },
          {
            authorization: `Bearer ${token}`,
          },
        ),
        400,
        'video_unavailable',
      );
      // Nothing was queued by the refused requests.
      const runs = await h.call('GET', '/api/v1/projects/novideo/runs');
      expect(runs.body.total).toBe(0);
    } finally {
      await h.close();
    }
  }, 60_000);

  it("looks for Playwright's own ffmpeg build through its registry", () => {
    const found = videoSupport();
    expect(found.lookedFor).toMatch(/ffmpeg/);
    expect(found.available).toBe(existsSync(found.lookedFor ?? ''));
  });
});
