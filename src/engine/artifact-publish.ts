import type { Logger } from 'pino';
import type { Artifacts, MissingArtifact } from '../domain/run.ts';
import type { ArtifactStore, PublishFailure } from '../store/artifacts/artifact-store.ts';
import { withoutDropped } from './artifact-limits.ts';

type WithArtifacts = { artifacts: Artifacts; retries?: { artifacts: Artifacts }[] };

/**
 * Move one finished attempt's staged files into the artifact store. A file the store refused
 * (the S3 endpoint is down) does not fail the test: the result stops pointing at it, names it
 * under `missing` with the reason, and its bytes leave the run's total.
 */
export async function publishAttempt<T extends WithArtifacts>(
  store: ArtifactStore,
  prefix: string,
  outcome: T,
  addRunBytes: (delta: number) => Promise<number>,
  logger?: Pick<Logger, 'warn'>,
): Promise<T> {
  const failures = await store.publish(prefix);
  if (failures.length === 0) return outcome;
  logger?.warn(
    { store: store.location, prefix, files: failures.length, reason: failures[0]!.reason },
    'artifacts could not be stored',
  );
  await addRunBytes(-failures.reduce((n, f) => n + f.bytes, 0));
  const paths = new Set(failures.map((f) => f.key));
  const missing: MissingArtifact[] = failures.map((f) => ({
    name: nameOf(f, prefix),
    reason: `not stored in ${store.location}: ${f.reason}`,
  }));
  const artifacts = withoutDropped(outcome.artifacts, paths);
  return {
    ...outcome,
    artifacts: { ...artifacts, missing: [...(artifacts.missing ?? []), ...missing] },
    ...(outcome.retries
      ? {
          retries: outcome.retries.map((r) => ({
            ...r,
            artifacts: withoutDropped(r.artifacts, paths),
          })),
        }
      : {}),
  };
}

/** `failure`, `trace`: the file's name inside the attempt's folder, without extension. */
function nameOf(f: PublishFailure, prefix: string): string {
  const inFolder = f.key.slice(prefix.length).replace(/^\//, '');
  const dot = inFolder.lastIndexOf('.');
  return dot > 0 ? inFolder.slice(0, dot) : inFolder;
}
