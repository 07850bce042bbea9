import { sql } from 'kysely';
import type { Db } from './sql-helpers.ts';
import { toNumber } from './sql-helpers.ts';

/** What a workspace holds (live items only: the recycle bin is not counted). */
export interface WorkspaceCounts {
  projects: number;
  tests: number;
  approvedTests: number;
  draftTests: number;
  runs: number;
}

/** Count a workspace's live projects, their live tests by status, and their runs. */
export async function workspaceCounts(db: Db, workspaceId: string): Promise<WorkspaceCounts> {
  const live = db
    .selectFrom('projects')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('deleted_at', 'is', null);
  const [projects, tests, runs] = await Promise.all([
    db
      .selectFrom('projects')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', workspaceId)
      .where('deleted_at', 'is', null)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('tests')
      .select([
        (eb) => eb.fn.countAll<number>().as('n'),
        sql<number>`sum(case when status = 'approved' then 1 else 0 end)`.as('approved'),
        sql<number>`sum(case when status = 'draft' then 1 else 0 end)`.as('draft'),
      ])
      .where('project_id', 'in', live)
      .where('deleted_at', 'is', null)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('runs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('project_id', 'in', live)
      .executeTakeFirstOrThrow(),
  ]);
  return {
    projects: toNumber(projects.n),
    tests: toNumber(tests.n),
    approvedTests: toNumber(tests.approved),
    draftTests: toNumber(tests.draft),
    runs: toNumber(runs.n),
  };
}

/** The applied migrations, oldest name first (Kysely's bookkeeping table). */
export async function appliedMigrations(db: Db): Promise<string[]> {
  const { rows } = await sql<{
    name: string;
  }>`select name from kysely_migration order by name`.execute(db);
  return rows.map((r) => r.name);
}
