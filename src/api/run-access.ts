import type { FastifyRequest } from 'fastify';
import { AppError, notFound } from '../domain/errors.ts';
import type { Project } from '../domain/project.ts';
import type { Run } from '../domain/run.ts';
import { findRun } from '../report/report-source.ts';
import type { Store } from '../store/connect.ts';
import { requireTriggerAccess } from './auth.ts';
import { projectOf } from './project-scope.ts';

type Need = 'read' | 'cancel';

/**
 * The run and its project, when the caller may see (read) or stop (cancel) it: a trigger token
 * of the run's project, or a user of its workspace (viewer+ to read, editor+ to cancel).
 * Anonymous callers get 401 before anything is looked up, so run ids do not leak.
 */
export async function authorizedRun(
  req: FastifyRequest,
  store: Store,
  runId: string,
  need: Need,
): Promise<{ run: Run; project: Project }> {
  const principal = req.principal;
  if (!principal) throw new AppError('unauthorized', 'Missing or invalid credentials');
  const run = await store.runs.get(null, runId);
  const project = run ? await store.projects.get(run.projectId) : undefined;
  if (!run || !project) throw notFound('run');
  // Another workspace's token gets the answer a random id gets: no existence oracle.
  if (principal.kind === 'trigger' && principal.workspaceId !== project.workspaceId) {
    throw notFound('run');
  }
  if (need === 'read') requireTriggerAccess(req, project, 'viewer', 'runs:read');
  else requireTriggerAccess(req, project, 'editor', 'runs:cancel');
  return { run, project };
}

/** A run of the project in the route's scope (whose hook already checked access), or 404. */
export async function scopedRun(
  req: FastifyRequest,
  store: Store,
  runId: string,
): Promise<{ run: Run; project: Project }> {
  const found = await findRun(store, runId, projectOf(req).id);
  if (!found) throw notFound('run');
  return found;
}
