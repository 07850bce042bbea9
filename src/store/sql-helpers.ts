import type { Kysely } from 'kysely';
import type { Database } from './database.ts';

/** What repositories query through: the database itself or an open transaction. */
export type Db = Kysely<Database>;

export type Dialect = 'sqlite' | 'postgres';

/** What every repository is built from. */
export interface RepoContext {
  db: Db;
  dialect: Dialect;
  /** The store's clock, so tests can pin timestamps. */
  now: () => string;
}

/** JSON columns are text; a corrupt value is a bug worth a loud error, not a silent default. */
export function fromJson<T>(text: string, column: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`corrupt JSON in column ${column}`);
  }
}

export const toJson = (value: unknown): string => JSON.stringify(value);

/** COUNT/SUM come back as bigint strings on PostgreSQL and numbers on SQLite. */
export function toNumber(value: string | number | bigint | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : Number(value);
}

/** True for a unique-constraint violation on either engine. */
export function isUniqueViolation(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const code = (e as { code?: unknown }).code;
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

/**
 * Values per `in (…)` list: well under the bound-parameter limits of SQLite (32,766) and
 * PostgreSQL (65,535), with room for the query's other parameters.
 */
const IN_LIST_CHUNK = 500;

/** The list in slices of at most `size` items, one query each. */
export function chunksOf<T>(items: readonly T[], size = IN_LIST_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Escape LIKE wildcards so user text matches literally (used with `escape '\'`). */
export const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Run fn in a transaction, joining the caller's when there is one. */
export function inTransaction<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}
