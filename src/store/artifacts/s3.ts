import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  assertSafeKey,
  contentTypeOf,
  readWhole,
  type ArtifactEntry,
  type ArtifactObject,
  type ArtifactStore,
  type ByteRange,
  type PartOf,
  type PublishFailure,
} from './artifact-store.ts';
import { filesBelow } from './filesystem.ts';
import type { S3ArtifactsConfig } from '../../config.ts';

/** Files uploaded at once when a test's folder is published. */
const UPLOAD_CONCURRENCY = 4;

/**
 * Artifacts as objects in an S3-compatible bucket, so processes on different machines share
 * them without a shared folder. Tests still write to a local staging folder (Playwright writes
 * traces and videos to disk); `publish` uploads and then deletes the local copies.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly kind = 's3';
  readonly location: string;
  readonly stagingRoot: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  private constructor(config: S3ArtifactsConfig, stagingRoot: string) {
    this.#bucket = config.bucket;
    this.#prefix = config.prefix;
    this.location = `s3://${config.bucket}/${config.prefix}`;
    this.stagingRoot = stagingRoot;
    this.#client = new S3Client({
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(config.credentials ? { credentials: config.credentials } : {}),
      // A server that is down fails an upload in seconds, not after the OS's connect timeout.
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 120_000 },
      maxAttempts: 3,
      // Checksums only where S3 requires them: many S3-compatible servers reject the newer
      // default ones (aws-chunked trailers) that AWS itself accepts.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /**
   * A store with a staging folder of its own below `stagingParent` (the data dir: a temp dir
   * may be a small tmpfs, and videos are large), removed again by `close`.
   */
  static async open(config: S3ArtifactsConfig, stagingParent = tmpdir()): Promise<S3ArtifactStore> {
    await mkdir(stagingParent, { recursive: true });
    const staging = await mkdtemp(join(stagingParent, 'staging-'));
    return new S3ArtifactStore(config, staging);
  }

  #objectKey(key: string, opts: { prefix?: boolean } = {}): string {
    assertSafeKey(key, opts);
    return this.#prefix + key;
  }

  async publish(prefix: string): Promise<PublishFailure[]> {
    assertSafeKey(prefix, { prefix: true });
    const folder = prefix.endsWith('/') ? prefix : `${prefix}/`;
    const dir = join(this.stagingRoot, ...folder.split('/').filter(Boolean));
    const files = await filesBelow(dir, folder);
    const failures: PublishFailure[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < files.length) {
        const f = files[next++]!;
        const local = join(this.stagingRoot, ...f.key.split('/'));
        await this.putFile(f.key, local).catch((err: unknown) => {
          failures.push({ ...f, reason: describeError(err) });
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(UPLOAD_CONCURRENCY, files.length) }, worker));
    // Failed files go too: nobody could serve a copy left on this machine's disk.
    await rm(dir, { recursive: true, force: true });
    return failures;
  }

  async discard(prefix: string): Promise<void> {
    assertSafeKey(prefix, { prefix: true });
    await rm(join(this.stagingRoot, ...prefix.split('/').filter(Boolean)), {
      recursive: true,
      force: true,
    });
  }

  async putBuffer(key: string, bytes: Buffer, contentType = contentTypeOf(key)): Promise<void> {
    await this.#upload(key, bytes, contentType);
  }

  async putFile(key: string, path: string, contentType = contentTypeOf(key)): Promise<void> {
    await this.#upload(key, createReadStream(path), contentType);
  }

  async putStream(key: string, body: Readable, contentType = contentTypeOf(key)): Promise<void> {
    await this.#upload(key, body, contentType);
  }

  /** Multipart for large bodies, one PUT for small ones; streams are never held whole. */
  async #upload(key: string, body: Buffer | Readable, contentType: string): Promise<void> {
    const upload = new Upload({
      client: this.#client,
      params: {
        Bucket: this.#bucket,
        Key: this.#objectKey(key),
        Body: body,
        ContentType: contentType,
      },
      queueSize: 2,
    });
    await upload.done();
  }

  /**
   * With `partOf`, a HEAD first for the size (one more round trip, only for a ranged read),
   * then a ranged GET. Objects are written once under their key, so the size cannot change
   * between the two.
   */
  async get(key: string, partOf?: PartOf): Promise<ArtifactObject | null> {
    try {
      const Key = this.#objectKey(key);
      let part: ByteRange | undefined;
      let size = 0;
      let modifiedAt = new Date(0);
      if (partOf) {
        const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key }));
        size = head.ContentLength ?? 0;
        modifiedAt = head.LastModified ?? modifiedAt;
        const picked = partOf(size, modifiedAt);
        if (picked === 'unsatisfiable')
          return { stream: Readable.from([]), bytes: size, modifiedAt, part: picked };
        part = picked;
      }
      const out = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key,
          ...(part ? { Range: `bytes=${part.start}-${part.end}` } : {}),
        }),
      );
      if (!(out.Body instanceof Readable)) throw new Error('the S3 client returned no stream');
      if (!part) {
        const whole = { bytes: out.ContentLength ?? 0, modifiedAt: out.LastModified ?? modifiedAt };
        return { stream: out.Body, ...whole };
      }
      return { stream: out.Body, bytes: size, modifiedAt, part };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw new Error(`artifact store ${this.location} failed: ${describeError(err)}`, {
        cause: err,
      });
    }
  }

  async read(key: string, maxBytes = Infinity): Promise<Buffer | null> {
    return readWhole(await this.get(key), maxBytes);
  }

  async list(prefix: string): Promise<ArtifactEntry[]> {
    const out: ArtifactEntry[] = [];
    const pages = paginateListObjectsV2(
      { client: this.#client },
      { Bucket: this.#bucket, Prefix: this.#prefix + prefix },
    );
    for await (const page of pages) {
      for (const o of page.Contents ?? []) {
        if (o.Key) out.push({ key: o.Key.slice(this.#prefix.length), bytes: o.Size ?? 0 });
      }
    }
    return out;
  }

  async delete(key: string): Promise<void> {
    await this.#client.send(
      new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(key) }),
    );
  }

  async deletePrefix(prefix: string): Promise<number> {
    if (!prefix.endsWith('/')) throw new Error(`not a folder prefix: ${prefix}`);
    this.#objectKey(prefix, { prefix: true });
    const entries = await this.list(prefix);
    // DeleteObjects takes at most 1000 keys a request.
    for (let i = 0; i < entries.length; i += 1000) {
      const batch = entries.slice(i, i + 1000);
      const out = await this.#client.send(
        new DeleteObjectsCommand({
          Bucket: this.#bucket,
          Delete: { Objects: batch.map((e) => ({ Key: this.#prefix + e.key })), Quiet: true },
        }),
      );
      const failed = out.Errors ?? [];
      if (failed.length > 0) {
        throw new Error(
          `could not delete ${failed.length} objects below ${prefix}: ${failed[0]?.Message ?? failed[0]?.Code ?? 'unknown'}`,
        );
      }
    }
    return entries.reduce((n, e) => n + e.bytes, 0);
  }

  async totalBytes(prefix: string): Promise<number> {
    return (await this.list(prefix)).reduce((n, e) => n + e.bytes, 0);
  }

  async check(): Promise<string | null> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
      return null;
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode;
      // HEAD answers carry no body, so the SDK can only name the status.
      if (status === 404) return `bucket "${this.#bucket}" does not exist`;
      if (status === 403) return `access to bucket "${this.#bucket}" is denied (the key pair?)`;
      return describeError(err);
    }
  }

  async close(): Promise<void> {
    this.#client.destroy();
    await rm(this.stagingRoot, { recursive: true, force: true });
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

/** One line naming what went wrong (the SDK's errors can be bare codes such as ECONNREFUSED). */
export function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return describeError(err.errors[0]);
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    const text = err.message || err.name;
    return code && !text.includes(code) ? `${code}: ${text}` : text;
  }
  return String(err);
}
