import type { SecretBox } from './secret-box.ts';
import type { RepoContext } from './sql-helpers.ts';

/** A project's callback signing secret as stored. */
export interface ProjectSecret {
  projectId: string;
  secret: string;
  createdAt: string;
  rotatedAt: string | null;
}

export interface ProjectSecretRepository {
  get(projectId: string): Promise<ProjectSecret | undefined>;
  /** The stored secret, or `candidate` stored now when there is none (first use wins a race). */
  getOrCreate(projectId: string, candidate: string): Promise<ProjectSecret>;
  /** Replace (or create) the secret. */
  rotate(projectId: string, secret: string): Promise<ProjectSecret>;
}

/** The signing secret is stored encrypted by `box` and decrypted on every read. */
export function projectSecretRepository(
  { db, now }: RepoContext,
  box: SecretBox,
): ProjectSecretRepository {
  const get = async (projectId: string): Promise<ProjectSecret | undefined> => {
    const r = await db
      .selectFrom('project_secrets')
      .selectAll()
      .where('project_id', '=', projectId)
      .executeTakeFirst();
    return r
      ? {
          projectId: r.project_id,
          secret: box.decrypt(r.callback_secret),
          createdAt: r.created_at,
          rotatedAt: r.rotated_at,
        }
      : undefined;
  };
  return {
    get,
    async getOrCreate(projectId, candidate) {
      const existing = await get(projectId);
      if (existing) return existing;
      await db
        .insertInto('project_secrets')
        .values({
          project_id: projectId,
          callback_secret: box.encrypt(candidate),
          created_at: now(),
          rotated_at: null,
        })
        .onConflict((oc) => oc.doNothing())
        .execute();
      const s = await get(projectId);
      if (!s) throw new Error('project secret vanished after insert');
      return s;
    },
    async rotate(projectId, plain) {
      const at = now();
      const secret = box.encrypt(plain);
      await db
        .insertInto('project_secrets')
        .values({ project_id: projectId, callback_secret: secret, created_at: at, rotated_at: at })
        .onConflict((oc) =>
          oc.column('project_id').doUpdateSet({ callback_secret: secret, rotated_at: at }),
        )
        .execute();
      const s = await get(projectId);
      if (!s) throw new Error('project secret vanished after rotate');
      return s;
    },
  };
}
