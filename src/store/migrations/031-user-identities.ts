import type { Kysely } from 'kysely';

/**
 * Sign-in through an outside provider (OpenID Connect, GitHub): which provider account (its
 * stable subject) belongs to which user. Users that existed before e-mail verification could be
 * required are taken as verified, so turning it on does not lock out every existing account.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('user_identities')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_sign_in_at', 'text')
    .addUniqueConstraint('user_identities_provider_subject', ['provider', 'subject'])
    .execute();
  await db.schema
    .createIndex('user_identities_user')
    .on('user_identities')
    .column('user_id')
    .execute();
  await (db as Kysely<{ users: { email_verified_at: string | null; created_at: string } }>)
    .updateTable('users')
    .set((eb) => ({ email_verified_at: eb.ref('created_at') }))
    .where('email_verified_at', 'is', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('user_identities').execute();
}
