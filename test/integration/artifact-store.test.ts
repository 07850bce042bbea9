import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../src/store/artifacts/artifact-store.ts';
import { FilesystemArtifactStore } from '../../src/store/artifacts/filesystem.ts';
import { S3ArtifactStore } from '../../src/store/artifacts/s3.ts';
import { startS3Server, type S3Server } from '../helpers/s3-server.ts';

/** The same contract against both stores: files below a folder, and a real S3 server. */
let s3: S3Server;
const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'gl-store-'));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const stores: [string, () => Promise<ArtifactStore>][] = [
  ['filesystem', async () => new FilesystemArtifactStore(tempDir())],
  ['s3', () => S3ArtifactStore.open(s3.config(`p${Math.random().toString(36).slice(2)}/`))],
];

async function text(store: ArtifactStore, key: string): Promise<string | null> {
  const got = await store.get(key);
  if (!got) return null;
  const chunks: Buffer[] = [];
  for await (const c of got.stream) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks);
  expect(body.length).toBe(got.bytes);
  return body.toString();
}

describe.each(stores)('%s artifact store', (_kind, open) => {
  let store: ArtifactStore;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(async () => {
    await store.close();
  });

  it('puts buffers, files and streams and reads them back with their size', async () => {
    const src = join(tempDir(), 'a.txt');
    writeFileSync(src, 'from a file');
    await store.putBuffer('artifacts/r1/t-1/b.txt', Buffer.from('from a buffer'));
    await store.putFile('artifacts/r1/t-1/a.txt', src);
    await store.putStream(
      'artifacts/r1/t-2/s.txt',
      Readable.from([Buffer.from('from '), Buffer.from('a stream')]),
    );
    expect(await text(store, 'artifacts/r1/t-1/b.txt')).toBe('from a buffer');
    expect(await text(store, 'artifacts/r1/t-1/a.txt')).toBe('from a file');
    expect(await text(store, 'artifacts/r1/t-2/s.txt')).toBe('from a stream');
    expect(await text(store, 'artifacts/r1/t-1/none.txt')).toBeNull();
    expect((await store.read('artifacts/r1/t-1/b.txt'))?.toString()).toBe('from a buffer');
    expect(await store.read('artifacts/r1/t-1/b.txt', 5)).toBeNull();
  });

  it('streams a file larger than one upload part (multipart on S3) in and out unchanged', async () => {
    const big = Buffer.alloc(12 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
    const src = join(tempDir(), 'video.webm');
    writeFileSync(src, big);
    await store.putFile('artifacts/r5/t-1/video.webm', src);
    const got = await store.get('artifacts/r5/t-1/video.webm');
    expect(got?.bytes).toBe(big.length);
    const hash = createHash('sha256');
    for await (const c of got!.stream) hash.update(c as Buffer);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(big).digest('hex'));
  });

  it('lists, totals and deletes by prefix without touching a sibling whose name starts alike', async () => {
    await store.putBuffer('artifacts/r2/x/1.png', Buffer.alloc(10));
    await store.putBuffer('artifacts/r2/x/y/2.png', Buffer.alloc(20));
    await store.putBuffer('artifacts/r22/x/3.png', Buffer.alloc(40));
    const listed = (await store.list('artifacts/r2/')).map((e) => [e.key, e.bytes]).sort();
    expect(listed).toEqual([
      ['artifacts/r2/x/1.png', 10],
      ['artifacts/r2/x/y/2.png', 20],
    ]);
    expect(await store.totalBytes('artifacts/')).toBeGreaterThanOrEqual(70);
    expect(await store.deletePrefix('artifacts/r2/')).toBe(30);
    expect(await store.list('artifacts/r2/')).toEqual([]);
    expect(await store.totalBytes('artifacts/r22/')).toBe(40);
    await store.delete('artifacts/r22/x/3.png');
    expect(await store.get('artifacts/r22/x/3.png')).toBeNull();
  });

  it('publishes a staged folder under the same keys and removes the local copies', async () => {
    const dir = join(store.stagingRoot, 'artifacts', 'r3', 't-1');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'trace.zip'), 'zip bytes');
    writeFileSync(join(dir, 'sub', 'step-1.png'), 'png bytes');
    expect(await store.publish('artifacts/r3/t-1')).toEqual([]);
    expect(await text(store, 'artifacts/r3/t-1/trace.zip')).toBe('zip bytes');
    expect(await text(store, 'artifacts/r3/t-1/sub/step-1.png')).toBe('png bytes');
  });

  it('answers the start-up check', async () => {
    expect(await store.check()).toBeNull();
  });

  it('refuses keys that could leave their place', async () => {
    for (const bad of ['../x', 'artifacts/../../x', '/etc/passwd', 'a\\b', 'a//b', '']) {
      await expect(store.putBuffer(bad, Buffer.from('x'))).rejects.toThrow(/not an artifact key/);
      expect(await store.get(bad).catch(() => null)).toBeNull();
    }
  });
});

describe('an S3 store whose bucket is missing', () => {
  it('says so in the start-up check', async () => {
    const store = await S3ArtifactStore.open({ ...s3.config(), bucket: 'no-such-bucket' });
    expect(await store.check()).toBe('bucket "no-such-bucket" does not exist');
    await store.close();
  });
});

describe('an S3 store whose server is down', () => {
  it('fails each staged file with a reason naming the connection, and still clears the staging', async () => {
    const down = await S3ArtifactStore.open({
      ...s3.config(),
      endpoint: 'http://127.0.0.1:9', // discard port: nothing listens
    });
    const dir = join(down.stagingRoot, 'artifacts', 'r4', 't-1');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'failure.png'), 'png');
    const failed = await down.publish('artifacts/r4/t-1');
    expect(failed).toEqual([
      {
        key: 'artifacts/r4/t-1/failure.png',
        bytes: 3,
        reason: expect.stringMatching(/ECONNREFUSED/),
      },
    ]);
    expect(existsSync(dir)).toBe(false);
    expect(await down.check()).toMatch(/ECONNREFUSED/);
    await expect(down.get('artifacts/r4/t-1/failure.png')).rejects.toThrow(/s3:\/\/.*ECONNREFUSED/);
    await down.close();
  });
});
