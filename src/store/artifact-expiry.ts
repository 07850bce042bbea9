import type { RepoContext } from './sql-helpers.ts';

/** A finished run whose artifacts retention is about to delete. */
export interface ExpiringRun {
  id: string;
  projectId: string;
  finishedAt: string;
}

export interface ExpiryRule {
  /** Runs finished before this instant (ISO) expire. */
  finishedBefore: string;
  /** Per project, the newest this many finished runs keep their artifacts (by age permitting). */
  keepNewest: number;
  /** Only this project (the CLI and tests); all projects when omitted. */
  projectId?: string;
}

/** Which runs still have artifacts, and marking them gone once retention deleted them. */
export interface ArtifactExpiryRepository {
  /** When the run's artifacts were deleted; null while kept; undefined for an unknown run. */
  expiredAt(runId: string): Promise<string | null | undefined>;
  /** Finished runs with artifacts still kept that the rule expires, oldest first. */
  expiring(rule: ExpiryRule): Promise<ExpiringRun[]>;
  /** Record the deletion; a run already marked keeps its first time. */
  markExpired(runIds: string[], at: string): Promise<void>;
}

export function artifactExpiryRepository({ db }: RepoContext): ArtifactExpiryRepository {
  const finishedKept = () =>
    db
      .selectFrom('runs')
      .where('finished_at', 'is not', null)
      .where('artifacts_expired_at', 'is', null);

  return {
    async expiredAt(runId) {
      const row = await db
        .selectFrom('runs')
        .select('artifacts_expired_at')
        .where('id', '=', runId)
        .executeTakeFirst();
      return row ? row.artifacts_expired_at : undefined;
    },

    async expiring(rule) {
      const found = new Map<string, ExpiringRun>();
      const add = (r: { id: string; project_id: string; finished_at: string | null }): void => {
        found.set(r.id, { id: r.id, projectId: r.project_id, finishedAt: r.finished_at ?? '' });
      };
      let old = finishedKept()
        .select(['id', 'project_id', 'finished_at'])
        .where('finished_at', '<', rule.finishedBefore);
      if (rule.projectId) old = old.where('project_id', '=', rule.projectId);
      for (const r of await old.execute()) add(r);

      // Beyond the newest N of a project: rank all its finished runs (expired ones included, so
      // the count means "newest N finished"), and take the kept ones past N.
      let projects = finishedKept().select('project_id').distinct();
      if (rule.projectId) projects = projects.where('project_id', '=', rule.projectId);
      for (const { project_id } of await projects.execute()) {
        const ranked = await db
          .selectFrom('runs')
          .select(['id', 'project_id', 'finished_at', 'artifacts_expired_at'])
          .where('project_id', '=', project_id)
          .where('finished_at', 'is not', null)
          .orderBy('finished_at', 'desc')
          .orderBy('id', 'desc')
          .execute();
        for (const r of ranked.slice(rule.keepNewest)) {
          if (r.artifacts_expired_at === null) add(r);
        }
      }
      return [...found.values()].sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
    },

    async markExpired(runIds, at) {
      if (runIds.length === 0) return;
      await db
        .updateTable('runs')
        .set({ artifacts_expired_at: at })
        .where('id', 'in', runIds)
        .where('artifacts_expired_at', 'is', null)
        .execute();
    },
  };
}
