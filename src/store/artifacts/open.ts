import { join } from 'node:path';
import type { ArtifactsConfig } from '../../config.ts';
import type { ArtifactStore } from './artifact-store.ts';
import { FilesystemArtifactStore } from './filesystem.ts';
import { S3ArtifactStore } from './s3.ts';

export type { ArtifactStore } from './artifact-store.ts';

/** The artifact store the configuration names; the filesystem one keeps files below dataDir. */
export async function openArtifactStore(config: {
  dataDir: string;
  artifacts: ArtifactsConfig;
}): Promise<ArtifactStore> {
  if (config.artifacts.kind === 'filesystem') return new FilesystemArtifactStore(config.dataDir);
  return S3ArtifactStore.open(config.artifacts, join(config.dataDir, 'staging'));
}
