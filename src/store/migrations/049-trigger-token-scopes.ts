import type { Kysely } from 'kysely';

/** Trigger tokens get scopes (`trigger`, `scan`); existing tokens (null) keep `trigger` only. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('trigger_tokens').addColumn('scopes', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('trigger_tokens').dropColumn('scopes').execute();
}
