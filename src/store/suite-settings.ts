import { fromJson, toJson, type RepoContext } from './sql-helpers.ts';

/** Settings of one suite of a project. */
export interface SuiteSettings {
  suite: string;
  /** Globs of repo or URL paths every test of the suite covers. */
  covers: string[];
  updatedAt: string;
}

export interface SuiteSettingsRepository {
  get(projectId: string, suite: string): Promise<SuiteSettings | undefined>;
  /** Insert or replace the suite's settings. */
  put(projectId: string, suite: string, s: { covers: string[] }): Promise<SuiteSettings>;
  /** Settings of every suite of the project that has any. */
  list(projectId: string): Promise<SuiteSettings[]>;
}

export function suiteSettingsRepository({ db, now }: RepoContext): SuiteSettingsRepository {
  return {
    async get(projectId, suite) {
      const r = await db
        .selectFrom('suite_settings')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('suite', '=', suite)
        .executeTakeFirst();
      return (
        r && {
          suite: r.suite,
          covers: fromJson<string[]>(r.covers, 'suite_settings.covers'),
          updatedAt: r.updated_at,
        }
      );
    },

    async put(projectId, suite, s) {
      const at = now();
      await db
        .insertInto('suite_settings')
        .values({ project_id: projectId, suite, covers: toJson(s.covers), updated_at: at })
        .onConflict((oc) =>
          oc
            .columns(['project_id', 'suite'])
            .doUpdateSet({ covers: toJson(s.covers), updated_at: at }),
        )
        .execute();
      return { suite, covers: s.covers, updatedAt: at };
    },

    async list(projectId) {
      const rows = await db
        .selectFrom('suite_settings')
        .selectAll()
        .where('project_id', '=', projectId)
        .orderBy('suite')
        .execute();
      return rows.map((r) => ({
        suite: r.suite,
        covers: fromJson<string[]>(r.covers, 'suite_settings.covers'),
        updatedAt: r.updated_at,
      }));
    },
  };
}
