import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig, SECRET_LOG_PATHS } from '../../src/config.ts';

const keys = { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'very-secret-key' };

describe('GREENLIGHT_ARTIFACTS', () => {
  it('defaults to the filesystem, whatever AWS variables other tools left set', () => {
    expect(loadConfig({}).artifacts).toEqual({ kind: 'filesystem' });
    expect(
      loadConfig({ AWS_REGION: '', AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: '' })
        .artifacts,
    ).toEqual({ kind: 'filesystem' });
    expect(loadConfig({ GREENLIGHT_ARTIFACTS: 'filesystem' }).artifacts).toEqual({
      kind: 'filesystem',
    });
  });

  it('reads a bucket, a prefix, an endpoint with path-style addressing, and the key pair', () => {
    const c = loadConfig({
      GREENLIGHT_ARTIFACTS: 's3://ci-artifacts/greenlight/prod',
      GREENLIGHT_S3_ENDPOINT: 'http://minio.internal:9000',
      GREENLIGHT_S3_REGION: 'eu-central-1',
      ...keys,
    });
    expect(c.artifacts).toEqual({
      kind: 's3',
      bucket: 'ci-artifacts',
      prefix: 'greenlight/prod/',
      endpoint: 'http://minio.internal:9000',
      region: 'eu-central-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'very-secret-key' },
    });
  });

  it('on AWS itself: virtual-host style, AWS_REGION, and the SDK’s own credentials', () => {
    const c = loadConfig({ GREENLIGHT_ARTIFACTS: 's3://ci-artifacts', AWS_REGION: 'us-west-2' });
    expect(c.artifacts).toMatchObject({
      bucket: 'ci-artifacts',
      prefix: '',
      endpoint: null,
      region: 'us-west-2',
      forcePathStyle: false,
      credentials: null,
    });
    expect(
      loadConfig({ GREENLIGHT_ARTIFACTS: 's3://b-1', GREENLIGHT_S3_FORCE_PATH_STYLE: '1' })
        .artifacts,
    ).toMatchObject({ forcePathStyle: true });
  });

  it('refuses what is not a store, and half a key pair', () => {
    expect(() => loadConfig({ GREENLIGHT_ARTIFACTS: '/mnt/nfs' })).toThrow(
      /GREENLIGHT_ARTIFACTS: expected filesystem or s3:\/\/bucket\/prefix/,
    );
    expect(() => loadConfig({ GREENLIGHT_ARTIFACTS: 's3://Bad_Bucket' })).toThrow(
      /GREENLIGHT_ARTIFACTS/,
    );
    expect(() =>
      loadConfig({ GREENLIGHT_ARTIFACTS: 's3://b-1', AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE' }),
    ).toThrow(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together/);
    expect(() =>
      loadConfig({ GREENLIGHT_ARTIFACTS: 's3://b-1', GREENLIGHT_S3_ENDPOINT: 'minio:9000' }),
    ).toThrow(/GREENLIGHT_S3_ENDPOINT/);
  });

  it('keeps the secret key out of log lines', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = pino({ redact: SECRET_LOG_PATHS }, sink);
    const config = loadConfig({ GREENLIGHT_ARTIFACTS: 's3://b-1', ...keys });
    logger.info({ config }, 'starting');
    logger.info(config, 'starting');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).not.toContain('very-secret-key');
      expect(line).toContain('AKIAEXAMPLE');
    }
  });
});
