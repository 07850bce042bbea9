import { convertSecrets } from './environments.ts';
import { isEncrypted, type SecretBox } from './secret-box.ts';
import { fromJson, toJson, type Db } from './sql-helpers.ts';

/** How many stored values were encrypted by a start-up pass. */
export interface LegacyEncryption {
  environments: number;
  projectSecrets: number;
}

/**
 * At start-up: encrypt secrets stored as plaintext by older versions (idempotent: encrypted
 * values are left alone), and check the key against one value already encrypted, so a wrong
 * key fails at start rather than at the first run that needs a secret.
 */
export async function encryptLegacySecrets(db: Db, box: SecretBox): Promise<LegacyEncryption> {
  const done: LegacyEncryption = { environments: 0, projectSecrets: 0 };
  let checked = false;
  const check = (stored: string): void => {
    if (checked || !isEncrypted(stored)) return;
    box.decrypt(stored);
    checked = true;
  };

  const envs = await db
    .selectFrom('environments')
    .select(['id', 'variables', 'secret_names'])
    .execute();
  for (const r of envs) {
    const names = fromJson<string[]>(r.secret_names, 'environments.secret_names');
    const vars = fromJson<Record<string, string>>(r.variables, 'environments.variables');
    for (const n of names) if (vars[n] !== undefined) check(vars[n]);
    const plain = names.filter((n) => vars[n] !== undefined && !isEncrypted(vars[n]));
    if (plain.length === 0) continue;
    const variables = toJson(convertSecrets(vars, plain, (v) => box.encrypt(v)));
    // Only if nobody rewrote the row meanwhile; a concurrent writer already encrypts.
    await db
      .updateTable('environments')
      .set({ variables })
      .where('id', '=', r.id)
      .where('variables', '=', r.variables)
      .execute();
    done.environments++;
  }

  const secrets = await db
    .selectFrom('project_secrets')
    .select(['project_id', 'callback_secret'])
    .execute();
  for (const r of secrets) {
    check(r.callback_secret);
    if (isEncrypted(r.callback_secret)) continue;
    await db
      .updateTable('project_secrets')
      .set({ callback_secret: box.encrypt(r.callback_secret) })
      .where('project_id', '=', r.project_id)
      .where('callback_secret', '=', r.callback_secret)
      .execute();
    done.projectSecrets++;
  }
  return done;
}
