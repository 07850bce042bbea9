import type BetterSqlite from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/**
 * The SQLite handle Kysely gets, with prepared statements kept by SQL text. Kysely's driver
 * prepares every statement again on every query; the status poll, a claim and a bad-token
 * rejection each spent a quarter to a third of their CPU there. Statements are few (Kysely
 * compiles each query shape to the same text with bound parameters), so the cache is small;
 * a bound keeps a pathological caller from growing it without end.
 */
export function withStatementCache(db: BetterSqlite.Database, max = 500): SqliteDatabase {
  const cache = new Map<string, BetterSqlite.Statement>();
  return {
    close: () => db.close(),
    prepare(sql: string) {
      const hit = cache.get(sql);
      // A statement still iterating (a streamed query) cannot run again: give a fresh one.
      if (hit && !hit.busy) {
        // Most recently used last, so the oldest is first to go.
        cache.delete(sql);
        cache.set(sql, hit);
        return hit;
      }
      const stmt = db.prepare(sql);
      if (!hit) {
        cache.set(sql, stmt);
        if (cache.size > max) cache.delete(cache.keys().next().value as string);
      }
      return stmt;
    },
  };
}
