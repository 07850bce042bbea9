import { randomUUID } from 'node:crypto';
import type { RepoContext } from './sql-helpers.ts';

export type RunNoteLevel = 'info' | 'warn' | 'error';

/** Something that happened beside a run (PR feedback posted or refused, …); never a secret. */
export interface RunNote {
  id: string;
  projectId: string;
  runId: string;
  level: RunNoteLevel;
  /** What wrote it: `github`, `gitlab`, … */
  source: string;
  message: string;
  createdAt: string;
}

export interface RunNoteRepository {
  add(n: {
    projectId: string;
    runId: string;
    level: RunNoteLevel;
    source: string;
    message: string;
  }): Promise<RunNote>;
  /** The run's notes, oldest first. */
  listByRun(projectId: string, runId: string): Promise<RunNote[]>;
}

const MAX_MESSAGE = 2000;

export function runNoteRepository({ db, now }: RepoContext): RunNoteRepository {
  return {
    async add(n) {
      const note: RunNote = {
        id: randomUUID(),
        ...n,
        message: n.message.slice(0, MAX_MESSAGE),
        createdAt: now(),
      };
      await db
        .insertInto('run_notes')
        .values({
          id: note.id,
          project_id: note.projectId,
          run_id: note.runId,
          level: note.level,
          source: note.source,
          message: note.message,
          created_at: note.createdAt,
        })
        .execute();
      return note;
    },

    async listByRun(projectId, runId) {
      const rows = await db
        .selectFrom('run_notes')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('run_id', '=', runId)
        .orderBy('created_at')
        .execute();
      return rows.map((r) => ({
        id: r.id,
        projectId: r.project_id,
        runId: r.run_id,
        level: r.level as RunNoteLevel,
        source: r.source,
        message: r.message,
        createdAt: r.created_at,
      }));
    },
  };
}
