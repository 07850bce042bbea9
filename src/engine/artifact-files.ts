import { constants, type ReadStream } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { basename, extname, join, sep } from 'node:path';
import { AppError, notFound } from '../domain/errors.ts';
import type { Run } from '../domain/run.ts';
import type { Store } from '../store/connect.ts';

/** One artifact file opened for streaming. */
export interface ArtifactFile {
  stream: ReadStream;
  bytes: number;
  /** File name for a download. */
  name: string;
  /** Lower-case extension with its dot, e.g. `.png`. */
  ext: string;
}

const notAnArtifact = (): AppError => notFound('artifact');

/**
 * A path below a run's artifact folder, as given in a URL: relative, forward slashes, no `.`
 * or `..` segment, no NUL or backslash. Anything else is refused before touching the disk.
 */
function isSafeArtifactPath(path: string): boolean {
  if (path === '' || path.length > 1000 || /[\0\\]/.test(path)) return false;
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return false;
  return path.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

/**
 * Open a file of a run's artifacts for reading: 404 unless it is a regular file inside
 * `<dataDir>/artifacts/<runId>/` once symlinks are resolved; 410 when retention deleted the run's
 * artifacts. The file is opened before its size is read, so what is sent is what was checked.
 */
export async function openRunArtifact(
  store: Store,
  dataDir: string,
  run: Run,
  path: string,
): Promise<ArtifactFile> {
  if (!isSafeArtifactPath(path)) throw notAnArtifact();
  const expiredAt = await store.artifactExpiry.expiredAt(run.id);
  if (expiredAt) {
    throw new AppError(
      'artifact_expired',
      `the artifacts of this run were deleted by the retention policy on ${expiredAt}`,
      { runId: run.id, expiredAt },
    );
  }
  let root: string;
  let real: string;
  try {
    root = await realpath(join(dataDir, 'artifacts', run.id));
    real = await realpath(join(root, ...path.split('/')));
  } catch {
    throw notAnArtifact();
  }
  if (!real.startsWith(root + sep)) throw notAnArtifact();
  const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => null);
  if (!handle) throw notAnArtifact();
  const st = await handle.stat().catch(() => null);
  if (!st?.isFile()) {
    await handle.close();
    throw notAnArtifact();
  }
  return {
    // Closes the handle when the stream ends or the client goes away.
    stream: handle.createReadStream(),
    bytes: st.size,
    name: basename(real),
    ext: extname(real).toLowerCase(),
  };
}
