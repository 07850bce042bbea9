import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import type { S3ArtifactsConfig } from '../../src/config.ts';

/** A real S3-compatible server (s3rver, objects on disk) on 127.0.0.1 with one bucket. */
export interface S3Server {
  endpoint: string;
  bucket: string;
  /** The store configuration pointing at it, with `prefix` below the bucket. */
  config(prefix?: string): S3ArtifactsConfig & { kind: 's3' };
  close(): Promise<void>;
}

export async function startS3Server(bucket = 'greenlight-test'): Promise<S3Server> {
  const directory = mkdtempSync(join(tmpdir(), 'gl-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    config: (prefix = '') => ({
      kind: 's3',
      bucket,
      prefix,
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      // s3rver's fixed key pair.
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    }),
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
