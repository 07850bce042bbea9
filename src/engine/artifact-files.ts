import type { Readable } from 'node:stream';
import { AppError, notFound } from '../domain/errors.ts';
import type { Run } from '../domain/run.ts';
import {
  isSafeKey,
  type ArtifactStore,
  type ByteRange,
  type PartOf,
} from '../store/artifacts/artifact-store.ts';
import type { Store } from '../store/connect.ts';

/** One artifact file opened for streaming. */
export interface ArtifactFile {
  /** The whole file, or only `part` when one was asked for and picked. */
  stream: Readable;
  /** Size of the whole file. */
  bytes: number;
  /** When it was last written. */
  modifiedAt: Date;
  part?: ByteRange | 'unsatisfiable';
  /** File name for a download. */
  name: string;
  /** Lower-case extension with its dot, e.g. `.png`. */
  ext: string;
}

const notAnArtifact = (): AppError => notFound('artifact');

/**
 * A path below a run's artifact folder, as given in a URL: relative, forward slashes, no `.`
 * or `..` segment, no NUL or backslash. Anything else is refused before touching storage.
 */
export function isSafeArtifactPath(path: string): boolean {
  return isSafeKey(path);
}

/**
 * Open a file of a run's artifacts for reading: 404 unless the store holds it below
 * `artifacts/<runId>/` (the filesystem store also refuses symlinks leading out of the run's
 * folder); 410 when retention deleted the run's artifacts; 503 when the store cannot be reached.
 * `partOf` picks the bytes to read once the size is known (an HTTP `Range`).
 */
export async function openRunArtifact(
  store: Store,
  artifacts: ArtifactStore,
  run: Run,
  path: string,
  partOf?: PartOf,
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
  const found = await artifacts.get(`artifacts/${run.id}/${path}`, partOf).catch((err: unknown) => {
    throw new AppError(
      'unavailable',
      `the artifact store (${artifacts.location}) could not be read; try again later`,
      { reason: err instanceof Error ? err.message : String(err) },
    );
  });
  if (!found) throw notAnArtifact();
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return {
    stream: found.stream,
    bytes: found.bytes,
    modifiedAt: found.modifiedAt,
    ...(found.part ? { part: found.part } : {}),
    name,
    ext: dot > 0 ? name.slice(dot).toLowerCase() : '',
  };
}
