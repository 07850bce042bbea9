import { join } from 'node:path';
import type { ArtifactsConfig } from '../../config.ts';
import type { ArtifactStore } from './artifact-store.ts';
import { FilesystemArtifactStore } from './filesystem.ts';

export type { ArtifactStore } from './artifact-store.ts';

/**
 * The artifact store the configuration names; the filesystem one keeps files below dataDir.
 * The AWS SDK is loaded only for S3 (about 37 MB and 0.4 s that the default store never needs).
 */
export async function openArtifactStore(config: {
  dataDir: string;
  artifacts: ArtifactsConfig;
}): Promise<ArtifactStore> {
  if (config.artifacts.kind === 'filesystem') return new FilesystemArtifactStore(config.dataDir);
  const { S3ArtifactStore } = await import('./s3.ts');
  return S3ArtifactStore.open(config.artifacts, join(config.dataDir, 'staging'));
}
