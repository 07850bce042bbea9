import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../src/browser/browser-pool.ts';
import { sweepArtifacts } from '../../src/engine/artifact-retention.ts';
import { chromiumExecutor } from '../../src/engine/chromium-executor.ts';
import { baselineSource } from '../../src/engine/visual-baselines.ts';
import type { TestExecutor } from '../../src/engine/executor.ts';
import { filesBelow } from '../../src/store/artifacts/filesystem.ts';
import { S3ArtifactStore } from '../../src/store/artifacts/s3.ts';
import { startS3Server, type S3Server } from '../helpers/s3-server.ts';
import { startStaticServer, type StaticServer } from '../helpers/static-server.ts';
import { errorBody, startHarness, type Harness } from './api-harness.ts';

/**
 * Artifacts in an S3 bucket (a real s3rver on 127.0.0.1): a real Chromium run's files are
 * uploaded after each test and served, expired, purged and reported missing through the store.
 */
const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/artifacts');
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let s3: S3Server;
let site: StaticServer;
let pool: BrowserPool;
/** Reads the bucket directly, as another machine would. */
let bucket: S3ArtifactStore;

const chromium: TestExecutor = (job) => chromiumExecutor(pool, job.artifactsRoot)(job);

beforeAll(async () => {
  s3 = await startS3Server();
  site = await startStaticServer(fixtures);
  pool = new BrowserPool({ chromiumPath: null, browserWs: null });
  bucket = await S3ArtifactStore.open(s3.config('gl/'));
});
afterAll(async () => {
  await bucket?.close();
  await pool?.close();
  await site?.close();
  await s3?.close();
});

/** A harness on an S3 store, with a project of one test that fails and so leaves a screenshot. */
async function setUp(slug: string, store: S3ArtifactStore) {
  const h = await startHarness({
    executor: chromium,
    config: { allowPrivateUrls: ['loopback'] },
    artifactStore: store,
  });
  const p = await h.call('POST', '/api/v1/projects', { name: slug, slug, baseUrl: site.url });
  expect(p.status, JSON.stringify(p.body)).toBe(201);
  const t = await h.call('POST', `/api/v1/projects/${slug}/tests`, {
    name: 'fails on a missing heading',
    stepTimeout: 800,
    status: 'approved',
    // The short step timeout is for the failing expect; the page load gets its own, so a busy
    // machine fails the test on the heading, not on the navigation.
    steps: [
      { goto: '/index.html', timeout: 30_000 },
      { expect: { visible: { role: 'heading', name: 'Nope' } } },
    ],
  });
  expect(t.status, JSON.stringify(t.body)).toBe(201);
  return { h, projectId: p.body.id as string, testId: t.body.id as string };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- results are read as JSON
type ResultJson = any;

async function runOnce(h: Harness, slug: string, body: object): Promise<[string, ResultJson]> {
  const run = await h.call('POST', `/api/v1/projects/${slug}/runs`, body);
  expect(run.status, JSON.stringify(run.body)).toBe(202);
  const runId = run.body.id as string;
  await h.engine.waitForRun(runId, { timeoutMs: 60_000 });
  const res = await h.call('GET', `/api/v1/projects/${slug}/runs/${runId}/results`);
  expect(res.status).toBe(200);
  return [runId, res.body.items[0]];
}

async function fetchBytes(h: Harness, url: string): Promise<[Response, Buffer]> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${h.admin.apiKey}` } });
  return [res, Buffer.from(await res.arrayBuffer())];
}

describe('artifacts in an S3 bucket', () => {
  let h: Harness;
  let store: S3ArtifactStore;
  let projectId: string;
  let runId: string;
  let result: ResultJson;

  beforeAll(async () => {
    store = await S3ArtifactStore.open(s3.config('gl/'));
    ({ h, projectId } = await setUp('s3', store));
    [runId, result] = await runOnce(h, 's3', { trace: true });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('uploads a real run’s screenshot and trace and leaves no local copy', async () => {
    expect(result.status).toBe('failed');
    expect(result.artifacts.screenshot).toMatch(
      new RegExp(`^artifacts/${runId}/.+/failure\\.png$`),
    );
    expect(result.artifacts.trace).toMatch(new RegExp(`^artifacts/${runId}/.+\\.zip$`));
    expect(result.artifacts.missing).toBeUndefined();
    const keys = (await bucket.list(`artifacts/${runId}/`)).map((e) => e.key);
    expect(keys).toEqual(
      expect.arrayContaining([result.artifacts.screenshot, result.artifacts.trace]),
    );
    expect(await filesBelow(store.stagingRoot)).toEqual([]);
    expect(existsSync(join(h.config.dataDir, 'artifacts'))).toBe(false);
  });

  it('serves the files through the API byte for byte, streamed with their size', async () => {
    for (const [url, key, type] of [
      [result.artifacts.screenshotUrl, result.artifacts.screenshot, 'image/png'],
      [result.artifacts.traceUrl, result.artifacts.trace, 'application/zip'],
    ] as [string, string, string][]) {
      const [res, body] = await fetchBytes(h, url);
      expect(res.status, url).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      expect(Number(res.headers.get('content-length'))).toBe(body.length);
      expect(body.equals((await bucket.read(key))!)).toBe(true);
    }
    const [, png] = await fetchBytes(h, result.artifacts.screenshotUrl as string);
    expect(png.subarray(0, 8).equals(PNG_MAGIC)).toBe(true);
    errorBody(
      await h.call('GET', `/api/v1/runs/${runId}/artifacts/nope/failure.png`),
      404,
      'not_found',
    );
  });

  it('embeds the screenshot in the HTML report from the bucket', async () => {
    const res = await h.call('GET', `/api/v1/projects/s3/runs/${runId}/report?format=html`);
    expect(res.status).toBe(200);
    const png = (await bucket.read(result.artifacts.screenshot as string))!;
    expect(res.body).toContain(`data:image/png;base64,${png.toString('base64')}`);
  });

  it('retention deletes the run’s objects and the API answers 410', async () => {
    const bytes = await bucket.totalBytes(`artifacts/${runId}/`);
    expect(bytes).toBeGreaterThan(0);
    const later = new Date(Date.now() + 40 * 86_400_000);
    const report = await sweepArtifacts(
      { store: h.store, artifactStore: store, dataDir: h.config.dataDir, clock: () => later },
      { days: 30, runs: 100 },
    );
    expect(report.runs).toEqual([{ runId, projectId, bytes }]);
    expect(await bucket.list(`artifacts/${runId}/`)).toEqual([]);
    const [res] = await fetchBytes(h, result.artifacts.screenshotUrl as string);
    expect(res.status).toBe(410);
  });

  it('purging a deleted project removes its runs’ objects and its baselines', async () => {
    const [otherRun] = await runOnce(h, 's3', {});
    const baseline = `baselines/${projectId}/some-test/home-chromium-abc.png`;
    await store.putBuffer(baseline, PNG_MAGIC);
    expect((await bucket.list(`artifacts/${otherRun}/`)).length).toBeGreaterThan(0);
    expect((await h.call('DELETE', '/api/v1/projects/s3')).status).toBe(204);
    const purged = await h.call('DELETE', `/api/v1/recycle-bin/project/${projectId}/purge`);
    expect(purged.status, JSON.stringify(purged.body)).toBe(200);
    expect(await bucket.list(`artifacts/${otherRun}/`)).toEqual([]);
    expect(await bucket.list(`baselines/${projectId}/`)).toEqual([]);
  });
});

describe('an S3 bucket that cannot be reached', () => {
  it('records the run’s result with its files marked missing, and answers 503 for a file', async () => {
    // Port 9 (discard): nothing listens, so every request is refused at once.
    const down = await S3ArtifactStore.open({ ...s3.config(), endpoint: 'http://127.0.0.1:9' });
    const { h, projectId, testId } = await setUp('down', down);
    try {
      const [runId, result] = await runOnce(h, 'down', {});
      expect(result.status).toBe('failed');
      expect(result.error).toMatch(/Nope/);
      expect(result.artifacts.screenshot).toBeUndefined();
      expect(result.artifacts.missing).toEqual([
        { name: 'failure', reason: expect.stringMatching(/^not stored in s3:\/\/.*ECONNREFUSED/) },
      ]);
      expect((await h.call('GET', `/api/v1/projects/down/runs/${runId}`)).body.status).toBe(
        'failed',
      );
      expect(await filesBelow(down.stagingRoot)).toEqual([]);
      const res = await h.call('GET', `/api/v1/runs/${runId}/artifacts/x/failure.png`);
      expect(errorBody(res, 503, 'unavailable').error).toMatch(/artifact store \(s3:\/\//);

      // A visual compare must not take an unreadable baseline for a missing one.
      await h.store.visualBaselines.insertIfAbsent({
        id: 'b1',
        projectId,
        testId,
        name: 'home',
        variant: 'chromium-1280x720',
        path: `baselines/${projectId}/${testId}/home.png`,
        sha256: '0'.repeat(64),
        width: 8,
        height: 6,
        createdAt: new Date().toISOString(),
        acceptedBy: null,
        sourceRunId: runId,
      });
      await expect(
        baselineSource(h.store, down, projectId, testId).get('home', 'chromium-1280x720'),
      ).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await h.close();
    }
  }, 120_000);
});
