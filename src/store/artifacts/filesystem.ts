import { constants, createWriteStream } from 'node:fs';
import { copyFile, lstat, mkdir, open, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertSafeKey,
  isSafeKey,
  readWhole,
  type ArtifactEntry,
  type ArtifactObject,
  type ArtifactStore,
  type PartOf,
  type PublishFailure,
} from './artifact-store.ts';

/**
 * Artifacts as files below the data dir (`<dataDir>/<key>`), where tests write them directly:
 * one machine, or many sharing one folder (NFS, a ReadWriteMany volume).
 */
export class FilesystemArtifactStore implements ArtifactStore {
  readonly kind = 'filesystem';
  readonly location: string;
  readonly stagingRoot: string;
  readonly #root: string;

  constructor(dataDir: string) {
    this.#root = resolve(dataDir);
    this.location = this.#root;
    this.stagingRoot = this.#root;
  }

  #path(key: string, opts: { prefix?: boolean } = {}): string {
    assertSafeKey(key, opts);
    return join(this.#root, ...key.split('/').filter(Boolean));
  }

  /** The files are written in place. */
  async publish(): Promise<PublishFailure[]> {
    return [];
  }

  /** Staged files are the artifacts themselves: an errored test's stay where they are. */
  async discard(): Promise<void> {}

  async putBuffer(key: string, bytes: Buffer): Promise<void> {
    const path = this.#path(key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
  }

  async putFile(key: string, from: string): Promise<void> {
    const path = this.#path(key);
    await mkdir(dirname(path), { recursive: true });
    await copyFile(from, path);
  }

  async putStream(key: string, body: Readable): Promise<void> {
    const path = this.#path(key);
    await mkdir(dirname(path), { recursive: true });
    await pipeline(body, createWriteStream(path));
  }

  /**
   * A regular file inside its top folder (`artifacts/<runId>`, `baselines/<projectId>`) once
   * symlinks are resolved, opened before its size is read, so what is sent is what was checked.
   */
  async get(key: string, partOf?: PartOf): Promise<ArtifactObject | null> {
    if (!isSafeKey(key)) return null;
    const segments = key.split('/');
    if (segments.length < 3) return null;
    let scope: string;
    let real: string;
    try {
      scope = await realpath(join(this.#root, segments[0]!, segments[1]!));
      real = await realpath(join(this.#root, ...segments));
    } catch {
      return null;
    }
    if (!real.startsWith(scope + sep)) return null;
    const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => null);
    if (!handle) return null;
    const st = await handle.stat().catch(() => null);
    if (!st?.isFile()) {
      await handle.close();
      return null;
    }
    const found = { bytes: st.size, modifiedAt: st.mtime };
    const part = partOf?.(st.size, st.mtime);
    if (part === 'unsatisfiable') {
      await handle.close();
      return { stream: Readable.from([]), ...found, part };
    }
    // Closes the handle when the stream ends or the reader goes away.
    if (!part) return { stream: handle.createReadStream(), ...found };
    return {
      stream: handle.createReadStream({ start: part.start, end: part.end }),
      ...found,
      part,
    };
  }

  async read(key: string, maxBytes = Infinity): Promise<Buffer | null> {
    return readWhole(await this.get(key), maxBytes);
  }

  async list(prefix: string): Promise<ArtifactEntry[]> {
    const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const dir = folder === '' ? this.#root : this.#path(folder, { prefix: true });
    return (await filesBelow(dir, folder)).filter((e) => e.key.startsWith(prefix));
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<number> {
    if (!prefix.endsWith('/')) throw new Error(`not a folder prefix: ${prefix}`);
    const bytes = await this.totalBytes(prefix);
    await rm(this.#path(prefix, { prefix: true }), { recursive: true, force: true });
    return bytes;
  }

  async totalBytes(prefix: string): Promise<number> {
    return (await this.list(prefix)).reduce((n, e) => n + e.bytes, 0);
  }

  /** The folder is created on first write; nothing to reach. */
  async check(): Promise<string | null> {
    return null;
  }

  async close(): Promise<void> {}
}

/** Regular files below a folder as keys (`keyPrefix` + relative path); symlinks are skipped. */
export async function filesBelow(dir: string, keyPrefix = ''): Promise<ArtifactEntry[]> {
  let names: string[];
  try {
    names = await readdir(dir, { recursive: true });
  } catch {
    return [];
  }
  const out: ArtifactEntry[] = [];
  for (const name of names) {
    const st = await lstat(join(dir, name)).catch(() => null);
    if (st?.isFile()) out.push({ key: keyPrefix + name.split(sep).join('/'), bytes: st.size });
  }
  return out;
}
