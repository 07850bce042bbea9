import type { Readable } from 'node:stream';

/**
 * Where artifacts live: run files (`artifacts/<runId>/<attempt>/…`) and visual baselines
 * (`baselines/<projectId>/<testId>/…`). Keys are relative paths with forward slashes, the same
 * strings results and baseline rows record, so a key is also the file's path below the data
 * dir of the filesystem store.
 */
export interface ArtifactStore {
  /** `filesystem` or `s3`, for logs and the system page. */
  readonly kind: 'filesystem' | 's3';
  /** Where the artifacts are, without credentials: a folder or `s3://bucket/prefix`. */
  readonly location: string;
  /**
   * A local folder a test writes into while it runs (Playwright writes traces and videos to
   * disk); `publish` then moves what is below it into the store under the same keys. For the
   * filesystem store it is the data dir itself, so publishing moves nothing.
   */
  readonly stagingRoot: string;
  /**
   * Make the files below `stagingRoot/<prefix>` available under their keys and remove the local
   * copies. Each file stands alone: the ones that could not be stored are returned with why.
   */
  publish(prefix: string): Promise<PublishFailure[]>;
  /** Drop what is staged below `prefix` without publishing it (a test that errored). */
  discard(prefix: string): Promise<void>;
  putBuffer(key: string, bytes: Buffer, contentType?: string): Promise<void>;
  putFile(key: string, path: string, contentType?: string): Promise<void>;
  putStream(key: string, body: Readable, contentType?: string): Promise<void>;
  /**
   * The object as a stream with its size; null when there is none under that key. With
   * `partOf`, only the part it picks once the size is known is read (an HTTP `Range`).
   */
  get(key: string, partOf?: PartOf): Promise<ArtifactObject | null>;
  /** The whole object in memory, for small ones only: null when absent or over `maxBytes`. */
  read(key: string, maxBytes?: number): Promise<Buffer | null>;
  /** Every object whose key starts with `prefix`. */
  list(prefix: string): Promise<ArtifactEntry[]>;
  delete(key: string): Promise<void>;
  /** Delete every object below a folder-like prefix (`artifacts/<runId>/`); returns bytes freed. */
  deletePrefix(prefix: string): Promise<number>;
  /** Bytes of every object below a prefix. */
  totalBytes(prefix: string): Promise<number>;
  /** Null when the store answers, else why not (a start-up check: the bucket, the key pair). */
  check(): Promise<string | null>;
  /** Release connections (the S3 client's sockets). */
  close(): Promise<void>;
}

export interface ArtifactObject {
  /** The whole object, or only `part` when one was picked (empty when it is unsatisfiable). */
  stream: Readable;
  /** Size of the whole object, also when only a part is read. */
  bytes: number;
  /** When the object was last written (HTTP validators: Last-Modified, ETag). */
  modifiedAt: Date;
  part?: ByteRange | 'unsatisfiable';
}

/** Bytes `start` to `end` of an object, both included (as HTTP's Content-Range counts them). */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Which part of an object of `size` bytes, last written at `modifiedAt`, to read: a range,
 * `'unsatisfiable'` (nothing is read), or undefined for all of it. A callback rather than a range
 * because a range can be relative to the size (`bytes=-500`, `bytes=10-`) and hold only for one
 * version of the object (`If-Range`), and only the store learns those, from the file it opened
 * or the object's HEAD, so the part is checked against what is then read.
 */
export type PartOf = (size: number, modifiedAt: Date) => ByteRange | 'unsatisfiable' | undefined;

/** An object's bytes in memory, or null when it is absent or larger than `maxBytes`. */
export async function readWhole(
  found: ArtifactObject | null,
  maxBytes: number,
): Promise<Buffer | null> {
  if (!found) return null;
  if (found.bytes > maxBytes) {
    found.stream.destroy();
    return null;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of found.stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface ArtifactEntry {
  key: string;
  bytes: number;
}

/** A staged file that could not be stored; the result then records it as missing. */
export interface PublishFailure {
  key: string;
  bytes: number;
  reason: string;
}

/**
 * A key as stores accept it: relative, forward slashes, no empty, `.` or `..` segment, no NUL
 * or backslash. A prefix may end in `/`. Anything else is refused before touching storage.
 */
export function isSafeKey(key: string, opts: { prefix?: boolean } = {}): boolean {
  const k = opts.prefix && key.endsWith('/') ? key.slice(0, -1) : key;
  if (k === '' || k.length > 1000 || /[\0\\]/.test(k)) return false;
  if (k.startsWith('/') || /^[A-Za-z]:/.test(k)) return false;
  return k.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

export function assertSafeKey(key: string, opts: { prefix?: boolean } = {}): void {
  if (!isSafeKey(key, opts)) throw new Error(`not an artifact key: ${JSON.stringify(key)}`);
}

/** Content types by extension, for stores that keep one with the object. */
export const artifactContentTypes: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.zip': 'application/zip',
  '.webm': 'video/webm',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
};

export function contentTypeOf(key: string): string {
  const dot = key.lastIndexOf('.');
  const ext = dot > key.lastIndexOf('/') ? key.slice(dot).toLowerCase() : '';
  return artifactContentTypes[ext] ?? 'application/octet-stream';
}
