import type { Kysely } from 'kysely';

/**
 * The commit-status context a project's runs post under (null: `greenlight/<slug>`), so branch
 * protection rules that require another name keep working. Additive only.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('projects').addColumn('status_context', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('projects').dropColumn('status_context').execute();
}
