import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/connect.ts';
import { isEncrypted, parseSecretKey, secretBox } from '../../src/store/secret-box.ts';
import { loadSecretKey } from '../../src/store/secret-key.ts';
import { dialects, newProject, POSTGRES_URL } from '../fixtures/engine/test-stores.ts';

/** A database that can be opened again (with another key): a SQLite file or a PG schema. */
interface Place {
  open(secretKey?: Buffer): Promise<Store>;
  dispose(): Promise<void>;
}

async function place(dialect: (typeof dialects)[number]): Promise<Place> {
  const dir = mkdtempSync(join(tmpdir(), 'gl-secrets-'));
  if (dialect === 'sqlite') {
    const databaseUrl = `sqlite:${join(dir, 'gl.db')}`;
    return {
      open: (secretKey) => openStore({ databaseUrl, ...(secretKey ? { secretKey } : {}) }),
      dispose: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const schema = `gl_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  return {
    open: (secretKey) =>
      openStore({ databaseUrl: POSTGRES_URL, schema, ...(secretKey ? { secretKey } : {}) }),
    async dispose() {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`drop schema ${schema} cascade`);
      await c.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function opened(p: Place, key?: Buffer): Promise<Store> {
  const s = await p.open(key);
  cleanup.push(() => s.close());
  return s;
}

/** Every stored text of the secret-bearing tables, as the database holds it. */
async function rawSecrets(store: Store): Promise<string> {
  const envs = await store.db.selectFrom('environments').selectAll().execute();
  const secrets = await store.db.selectFrom('project_secrets').selectAll().execute();
  return JSON.stringify([envs, secrets]);
}

describe.each(dialects)('secrets at rest on %s', (dialect) => {
  it('stores environment and signing secrets encrypted and reads them back', async () => {
    const p = await place(dialect);
    cleanup.push(() => p.dispose());
    const key = randomBytes(32);
    const store = await opened(p, key);
    const project = await newProject(store);
    await store.environments.upsert(project.id, {
      name: 'staging',
      baseUrl: null,
      variables: { USER: 'alice', PASS: 'hunter2-very-secret' },
      secretNames: ['PASS'],
    });
    await store.projectSecrets.getOrCreate(project.id, 'glcs_signing-secret-value');

    const raw = await rawSecrets(store);
    expect(raw).not.toContain('hunter2-very-secret');
    expect(raw).not.toContain('glcs_signing-secret-value');
    expect(raw).toContain('alice'); // plain variables stay readable
    const row = await store.db.selectFrom('environments').select('variables').executeTakeFirst();
    expect(isEncrypted(JSON.parse(row!.variables).PASS)).toBe(true);

    expect((await store.environments.get(project.id, 'staging'))?.variables).toEqual({
      USER: 'alice',
      PASS: 'hunter2-very-secret',
    });
    expect((await store.projectSecrets.get(project.id))?.secret).toBe('glcs_signing-secret-value');
    const rotated = await store.projectSecrets.rotate(project.id, 'glcs_rotated');
    expect(rotated.secret).toBe('glcs_rotated');
    expect(await rawSecrets(store)).not.toContain('glcs_rotated');
    // getOrCreate keeps the stored secret (decrypted), never the candidate.
    expect((await store.projectSecrets.getOrCreate(project.id, 'glcs_other')).secret).toBe(
      'glcs_rotated',
    );
  });

  it('refuses to start with the wrong key, naming GREENLIGHT_SECRET_KEY, never a value', async () => {
    const p = await place(dialect);
    cleanup.push(() => p.dispose());
    const first = await p.open(randomBytes(32));
    const project = await newProject(first);
    await first.environments.upsert(project.id, {
      name: 'prod',
      baseUrl: null,
      variables: { PASS: 's3cret-value' },
      secretNames: ['PASS'],
    });
    await first.close();
    const wrong = randomBytes(32);
    const err = await p.open(wrong).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/GREENLIGHT_SECRET_KEY/);
    expect(err?.message).not.toContain('s3cret-value');
    expect(err?.message).not.toContain(wrong.toString('base64'));
    // Without any key, reading the encrypted value says how to give one.
    const keyless = await opened(p);
    await expect(keyless.environments.get(project.id, 'prod')).rejects.toThrow(
      /GREENLIGHT_SECRET_KEY/,
    );
  });

  it('encrypts legacy plaintext rows on start-up, once', async () => {
    const p = await place(dialect);
    cleanup.push(() => p.dispose());
    // An older version wrote plaintext: write the rows raw, the way it did.
    const old = await opened(p);
    const project = await newProject(old);
    const at = new Date().toISOString();
    await old.db
      .insertInto('environments')
      .values({
        id: 'env-legacy',
        project_id: project.id,
        name: 'legacy',
        base_url: null,
        variables: JSON.stringify({ PASS: 'legacy-plain-pass', USER: 'bob' }),
        secret_names: JSON.stringify(['PASS']),
        created_at: at,
        updated_at: at,
      })
      .execute();
    await old.db
      .insertInto('project_secrets')
      .values({
        project_id: project.id,
        callback_secret: 'glcs_legacy-plain',
        created_at: at,
        rotated_at: null,
      })
      .execute();
    expect((await old.environments.get(project.id, 'legacy'))?.variables.PASS).toBe(
      'legacy-plain-pass',
    );

    const key = randomBytes(32);
    const upgraded = await opened(p, key);
    const raw = await rawSecrets(upgraded);
    expect(raw).not.toContain('legacy-plain-pass');
    expect(raw).not.toContain('glcs_legacy-plain');
    expect(raw).toContain('bob');
    expect((await upgraded.environments.get(project.id, 'legacy'))?.variables).toEqual({
      PASS: 'legacy-plain-pass',
      USER: 'bob',
    });
    expect((await upgraded.projectSecrets.get(project.id))?.secret).toBe('glcs_legacy-plain');

    // A second start leaves the encrypted values as they are (no double encryption).
    const before = await rawSecrets(upgraded);
    const again = await opened(p, key);
    expect(await rawSecrets(again)).toBe(before);
    expect((await again.environments.get(project.id, 'legacy'))?.variables.PASS).toBe(
      'legacy-plain-pass',
    );
  });
});

describe('secret key', () => {
  it('round-trips with a fresh IV and rejects a tampered value', () => {
    const box = secretBox(randomBytes(32));
    const a = box.encrypt('same text');
    const b = box.encrypt('same text');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^enc:v1:[^:]+:[^:]+:[^:]+$/);
    expect(box.decrypt(a)).toBe('same text');
    expect(box.decrypt(box.encrypt(''))).toBe('');
    const [, , iv, tag, data] = a.split(':');
    const flipped = Buffer.from(data!, 'base64');
    flipped[0] = (flipped[0]! + 1) % 256;
    expect(() => box.decrypt(`enc:v1:${iv}:${tag}:${flipped.toString('base64')}`)).toThrow(
      /GREENLIGHT_SECRET_KEY/,
    );
  });

  it('parses hex and base64 keys and refuses others, naming the variable', () => {
    const key = randomBytes(32);
    expect(parseSecretKey(key.toString('hex')).equals(key)).toBe(true);
    expect(parseSecretKey(key.toString('base64')).equals(key)).toBe(true);
    expect(parseSecretKey(key.toString('base64url')).equals(key)).toBe(true);
    expect(() => parseSecretKey('too-short')).toThrow(/GREENLIGHT_SECRET_KEY must be 32 bytes/);
    expect(() => parseSecretKey(randomBytes(16).toString('hex'))).toThrow(/32 bytes/);
  });

  it('creates <dataDir>/secret.key once, mode 0600, and prefers the configured key', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gl-key-'));
    cleanup.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const k1 = loadSecretKey({ secretKey: null, dataDir });
    const file = join(dataDir, 'secret.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(parseSecretKey(readFileSync(file, 'utf8')).equals(k1)).toBe(true);
    expect(loadSecretKey({ secretKey: null, dataDir }).equals(k1)).toBe(true);
    const configured = randomBytes(32);
    expect(
      loadSecretKey({ secretKey: configured.toString('hex'), dataDir }).equals(configured),
    ).toBe(true);
  });
});
