import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ArtifactStore } from '../../src/store/artifacts/s3.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { startS3Server, type S3Server } from '../helpers/s3-server.ts';

// The configuration path end to end: `greenlight run` of the demo with GREENLIGHT_ARTIFACTS
// pointing at a real S3 server (s3rver) keeps nothing on local disk and embeds the failure
// screenshot in its HTML report from the bucket.
describe('greenlight run with GREENLIGHT_ARTIFACTS=s3://…', () => {
  let s3: S3Server;
  let bucket: S3ArtifactStore;
  let dir: string;
  let run: CliResult;

  beforeAll(async () => {
    s3 = await startS3Server();
    bucket = await S3ArtifactStore.open(s3.config('ci/'));
    dir = mkdtempSync(join(tmpdir(), 'gl-s3-cli-'));
    run = await runCli(
      ['run', 'demo', '--tag', 'known-failure', '--html', join(dir, 'report.html')],
      {
        GREENLIGHT_DATA_DIR: join(dir, 'data'),
        GREENLIGHT_DEMO_PORT: '0',
        GREENLIGHT_ARTIFACTS: `s3://${s3.bucket}/ci`,
        GREENLIGHT_S3_ENDPOINT: s3.endpoint,
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
        // Info lines too, to see that the secret never reaches them.
        GREENLIGHT_LOG_LEVEL: 'info',
      },
      170_000,
    );
  }, 180_000);
  afterAll(async () => {
    await bucket?.close();
    await s3?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores the failing test’s screenshot in the bucket and nothing below the data dir', async () => {
    expect(run.code, run.stderr).toBe(1);
    const objects = await bucket.list('artifacts/');
    const shot = objects.find((o) => o.key.endsWith('/failure.png'));
    expect(shot, JSON.stringify(objects)).toBeDefined();
    expect(run.stdout).toContain(`screenshot: s3://${s3.bucket}/ci/${shot!.key}`);
    expect(existsSync(join(dir, 'data', 'artifacts'))).toBe(false);
    // Each process's staging folder goes when it exits.
    expect(readdirSync(join(dir, 'data', 'staging'))).toEqual([]);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    const png = (await bucket.read(shot!.key))!;
    expect(html).toContain(`data:image/png;base64,${png.toString('base64')}`);
  });

  it('logs where artifacts go, without the secret key', () => {
    expect(run.stderr).toContain(`"artifacts":"s3://${s3.bucket}/ci/"`);
    expect(run.stderr).not.toContain('"S3RVER"');
  });
});
