import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

// The AWS SDK costs about 37 MB of RSS and 0.4 s to load: a process on the default filesystem
// store must not load it. Only opening an S3 artifact store does (store/artifacts/open.ts).

const root = join(import.meta.dirname, '..', '..');

function loadedAfter(code: string): boolean {
  const script = `
    import { registerHooks } from 'node:module';
    const seen = [];
    registerHooks({
      resolve(specifier, context, next) {
        const r = next(specifier, context);
        seen.push(r.url);
        return r;
      },
    });
    ${code}
    console.log(seen.some((u) => u.includes('/@aws-sdk/')));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  });
  return out.trim().endsWith('true');
}

it('the API, the engine, the CLI and a filesystem store load without the AWS SDK', () => {
  expect(
    loadedAfter(`
      await import('./src/api/app.ts');
      await import('./src/cli/runtime.ts');
      const { openArtifactStore } = await import('./src/store/artifacts/open.ts');
      await openArtifactStore({ dataDir: '/tmp', artifacts: { kind: 'filesystem' } });
    `),
  ).toBe(false);
});

it('opening an S3 store loads it (so the check above can fail)', () => {
  expect(
    loadedAfter(`
      const { mkdtempSync, rmSync } = await import('node:fs');
      const dir = mkdtempSync('/tmp/gl-lazy-s3-');
      const { openArtifactStore } = await import('./src/store/artifacts/open.ts');
      const store = await openArtifactStore({
        dataDir: dir,
        artifacts: { kind: 's3', bucket: 'b-1', prefix: '', endpoint: 'http://127.0.0.1:9',
          region: 'us-east-1', forcePathStyle: true, credentials: null },
      });
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    `),
  ).toBe(true);
});
