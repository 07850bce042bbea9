import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../src/store/artifacts/artifact-store.ts';
import { S3ArtifactStore } from '../../src/store/artifacts/s3.ts';
import { startS3Server, type S3Server } from '../helpers/s3-server.ts';
import { errorBody, startHarness, type ApiResponse, type Harness } from './api-harness.ts';

/**
 * `Range` requests for a run's files over real HTTP on 127.0.0.1, on both stores: files on disk
 * and objects in a real S3-compatible server (s3rver). The files are put into the store
 * directly, so no browser is needed to have a run with a known 90-byte "video".
 */
const SIZE = 90;
/** Printable ASCII 36..125: every byte tells its offset, and the body reads as text. */
const CONTENT = Array.from({ length: SIZE }, (_, i) => String.fromCharCode(36 + i)).join('');

let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.close();
});

const stores: [string, () => Promise<ArtifactStore | undefined>][] = [
  ['filesystem', async () => undefined],
  ['s3', async () => S3ArtifactStore.open(s3.config('gl/'))],
];

describe.each(stores)('artifact ranges on the %s store', (kind, openStore) => {
  let h: Harness;
  let slug: string;
  let runId: string;
  let url: string;

  beforeAll(async () => {
    const artifactStore = await openStore();
    h = await startHarness(artifactStore ? { artifactStore } : {});
    slug = `range-${kind}`;
    const p = await h.call('POST', '/api/v1/projects', {
      name: slug,
      slug,
      baseUrl: 'http://app.invalid',
    });
    expect(p.status, JSON.stringify(p.body)).toBe(201);
    const t = await h.call('POST', `/api/v1/projects/${slug}/tests`, {
      name: 'home',
      status: 'approved',
      steps: [{ goto: '/' }],
    });
    expect(t.status, JSON.stringify(t.body)).toBe(201);
    const run = await h.call('POST', `/api/v1/projects/${slug}/runs`, {});
    expect(run.status, JSON.stringify(run.body)).toBe(202);
    runId = run.body.id as string;
    await h.engine.waitForRun(runId, { timeoutMs: 30_000 });
    await h.engine.artifactStore.putBuffer(
      `artifacts/${runId}/t-1/video.webm`,
      Buffer.from(CONTENT),
    );
    url = `/api/v1/runs/${runId}/artifacts/t-1/video.webm`;
  });
  afterAll(async () => {
    await h?.close();
  });

  const get = (range?: string, headers: Record<string, string> = {}, path = url) =>
    h.call('GET', path, undefined, { ...(range === undefined ? {} : { range }), ...headers });

  /** A 206 of bytes `start`..`end` with the headers every artifact answer keeps. */
  function expectPart(res: ApiResponse, start: number, end: number): void {
    expect(res.status, String(res.body)).toBe(206);
    expect(res.body).toBe(CONTENT.slice(start, end + 1));
    expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${SIZE}`);
    expect(res.headers.get('content-length')).toBe(String(end - start + 1));
    expect(res.headers.get('content-type')).toBe('video/webm');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(res.headers.get('cache-control')).toBe('private, max-age=300');
  }

  function expectWhole(res: ApiResponse): void {
    expect(res.status, String(res.body)).toBe(200);
    expect(res.body).toBe(CONTENT);
    expect(res.headers.get('content-length')).toBe(String(SIZE));
    expect(res.headers.get('content-range')).toBeNull();
    expect(res.headers.get('accept-ranges')).toBe('bytes');
  }

  it('sends the whole file without a Range header, saying ranges are accepted', async () => {
    expectWhole(await get());
  });

  it('bytes=0-9 sends exactly those ten bytes', async () => {
    expectPart(await get('bytes=0-9'), 0, 9);
  });

  it('a suffix range sends the last bytes, an open range the rest from its start', async () => {
    expectPart(await get('bytes=-5'), SIZE - 5, SIZE - 1);
    expectPart(await get('bytes=10-'), 10, SIZE - 1);
    // An end past the file is cut to its last byte.
    expectPart(await get('bytes=80-1000'), 80, SIZE - 1);
  });

  it('a range past the end answers 416 with the size, in the error shape', async () => {
    for (const range of [`bytes=${SIZE}-`, 'bytes=500-600']) {
      const res = await get(range);
      const body = errorBody(res, 416, 'range_not_satisfiable');
      expect(body.details).toMatchObject({ bytes: SIZE });
      expect(res.headers.get('content-range')).toBe(`bytes */${SIZE}`);
      expect(res.headers.get('accept-ranges')).toBe('bytes');
      expect(res.headers.get('content-type')).toContain('application/json');
    }
  });

  it('a malformed range, another unit, several ranges or an If-Range of another version get the whole file', async () => {
    for (const range of ['bytes=5-2', 'bytes=abc', 'garbage', 'items=0-5', 'bytes=0-1,5-6']) {
      expectWhole(await get(range));
    }
    expectWhole(await get('bytes=0-9', { 'if-range': 'Sat, 05 Dec 2026 00:00:00 GMT' }));
    expectWhole(await get('bytes=0-9', { 'if-range': '"5a-0"' }));
  });

  it('names the version with ETag and Last-Modified, and answers 304 to a client holding it', async () => {
    const first = await get();
    expectWhole(first);
    const etag = first.headers.get('etag')!;
    const lastModified = first.headers.get('last-modified')!;
    expect(etag).toMatch(/^"5a-[0-9a-f]+"$/);
    expect(Date.parse(lastModified)).not.toBeNaN();
    // Every request sees the same version: the validators are the file's, not the request's.
    expect((await get('bytes=0-9')).headers.get('etag')).toBe(etag);

    // fetch adds `Cache-Control: no-cache` to a request with conditions of its own unless one
    // is given; a browser revalidating its cached copy sends `max-age=0`.
    const revalidate = { 'cache-control': 'max-age=0' };
    const holding: Record<string, string>[] = [
      { 'if-none-match': etag },
      { 'if-none-match': `"other", W/${etag}` },
      { 'if-modified-since': lastModified },
      { 'if-none-match': etag, range: 'bytes=0-9' },
    ];
    for (const held of holding) {
      const res = await get(undefined, { ...revalidate, ...held });
      expect(res.status, JSON.stringify(held)).toBe(304);
      expect(res.body === '' || res.body === null || res.body === undefined).toBe(true);
      expect(res.headers.get('etag')).toBe(etag);
    }
    // Another version named, or a cache told to look again: the whole file.
    expectWhole(await get(undefined, { ...revalidate, 'if-none-match': '"5a-0"' }));
    const long = 'Thu, 01 Jan 1970 00:00:00 GMT';
    expectWhole(await get(undefined, { ...revalidate, 'if-modified-since': long }));
    expectWhole(await get(undefined, { 'if-none-match': etag, 'cache-control': 'no-cache' }));

    // If-Range naming this version keeps the range: a resumed download continues.
    expectPart(await get('bytes=10-19', { 'if-range': etag }), 10, 19);
    expectPart(await get('bytes=10-19', { 'if-range': lastModified }), 10, 19);
  });

  it('keeps Content-Disposition on a download, and serves ranges on the project route', async () => {
    const res = await get('bytes=0-9', {}, `${url}?download=1`);
    expectPart(res, 0, 9);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="video.webm"');
    expectPart(
      await get('bytes=-3', {}, `/api/v1/projects/${slug}/runs/${runId}/artifacts/t-1/video.webm`),
      SIZE - 3,
      SIZE - 1,
    );
  });

  it('the store reads only the part: its stream ends after it', async () => {
    const key = `artifacts/${runId}/t-1/video.webm`;
    const found = await h.engine.artifactStore.get(key, (size) => ({ start: 7, end: size - 71 }));
    expect(found?.part).toEqual({ start: 7, end: 19 });
    expect(found?.bytes).toBe(SIZE);
    const chunks: Buffer[] = [];
    for await (const chunk of found!.stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe(CONTENT.slice(7, 20));
    const none = await h.engine.artifactStore.get(key, () => 'unsatisfiable');
    expect(none?.part).toBe('unsatisfiable');
    for await (const chunk of none!.stream) expect.unreachable(`read ${String(chunk)}`);
  });

  it('the OpenAPI document lists the 206 and the 416 of both routes', async () => {
    const doc = (await h.call('GET', '/openapi.json')).body;
    for (const path of [
      '/api/v1/runs/{runId}/artifacts/{*}',
      '/api/v1/projects/{id}/runs/{runId}/artifacts/{*}',
    ]) {
      const responses = doc.paths[path]?.get?.responses ?? {};
      expect(Object.keys(responses), path).toEqual(
        expect.arrayContaining(['200', '206', '304', '416']),
      );
      expect(responses['206'].content['video/webm']).toBeDefined();
    }
  });

  it('a range on a file that is not there is still a 404', async () => {
    const res = await get('bytes=0-9', {}, `/api/v1/runs/${runId}/artifacts/t-1/none.webm`);
    errorBody(res, 404, 'not_found');
  });
});
