import type { Selectable } from 'kysely';
import type { ProcessLeasesTable } from './database.ts';
import type { Db, RepoContext } from './sql-helpers.ts';

/** A Greenlight process that said it was alive until `leaseUntil`. */
export interface ProcessLease {
  id: string;
  kind: string;
  host: string;
  pid: number;
  startedAt: string;
  leaseUntil: string;
}

export interface ProcessLeaseRepository {
  /** Record this process (or renew it when the row is there already). */
  register(p: ProcessLease): Promise<void>;
  /** Push the lease on; false when the row is gone (purged after a long pause): register again. */
  renew(id: string, leaseUntil: string): Promise<boolean>;
  /** A process that stops cleanly says so: what it owned is abandoned at once. */
  remove(id: string): Promise<void>;
  /** Processes whose lease has not run out at `at`. */
  live(at: string): Promise<ProcessLease[]>;
  /** Forget processes whose lease ran out before `before`; returns how many. */
  purge(before: string): Promise<number>;
}

const toLease = (r: Selectable<ProcessLeasesTable>): ProcessLease => ({
  id: r.id,
  kind: r.kind,
  host: r.host,
  pid: Number(r.pid),
  startedAt: r.started_at,
  leaseUntil: r.lease_until,
});

/**
 * Rows of `table` (crawls, scans) that are unfinished and whose owner is not alive at `at`: no
 * owner, or an owner without a lease running past `at`.
 */
export function abandoned<T extends 'crawls' | 'scans'>(db: Db, table: T, at: string) {
  return db
    .selectFrom(table as 'crawls')
    .select('id')
    .where('status', 'in', ['queued', 'running'])
    .where(({ or, eb, not, exists, selectFrom }) =>
      or([
        eb('owner', 'is', null),
        not(
          exists(
            selectFrom('process_leases as l')
              .select('l.id')
              .whereRef('l.id', '=', `${table as 'crawls'}.owner`)
              .where('l.lease_until', '>', at),
          ),
        ),
      ]),
    );
}

export function processLeaseRepository({ db }: RepoContext): ProcessLeaseRepository {
  return {
    async register(p) {
      await db
        .insertInto('process_leases')
        .values({
          id: p.id,
          kind: p.kind,
          host: p.host,
          pid: p.pid,
          started_at: p.startedAt,
          lease_until: p.leaseUntil,
        })
        .onConflict((oc) => oc.column('id').doUpdateSet({ lease_until: p.leaseUntil }))
        .execute();
    },

    async renew(id, leaseUntil) {
      const r = await db
        .updateTable('process_leases')
        .set({ lease_until: leaseUntil })
        .where('id', '=', id)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    async remove(id) {
      await db.deleteFrom('process_leases').where('id', '=', id).execute();
    },

    async live(at) {
      const rows = await db
        .selectFrom('process_leases')
        .selectAll()
        .where('lease_until', '>', at)
        .orderBy('started_at')
        .execute();
      return rows.map(toLease);
    },

    async purge(before) {
      const r = await db
        .deleteFrom('process_leases')
        .where('lease_until', '<', before)
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
