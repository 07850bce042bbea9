import type { FastifyRequest } from 'fastify';
import type { Run } from '../domain/run.ts';
import type { ApiDeps } from './app.ts';
import type { ArtifactUrlOf } from './artifact-dto.ts';
import { API_PREFIX } from './dto.ts';
import { publicBase } from './trigger-http.ts';

/**
 * Absolute URLs for a run's artifact paths (`artifacts/<runId>/…`, relative to the data dir),
 * on the project-scoped route that trigger tokens and users alike may read.
 */
export function artifactUrlsOf(req: FastifyRequest, deps: ApiDeps, run: Run): ArtifactUrlOf {
  const prefix = `artifacts/${run.id}/`;
  const base =
    publicBase(req, deps) +
    `${API_PREFIX}/projects/${encodeURIComponent(run.projectId)}/runs/${encodeURIComponent(run.id)}/artifacts/`;
  return (path) => {
    if (!path.startsWith(prefix)) return undefined;
    const rest = path.slice(prefix.length);
    return base + rest.split('/').map(encodeURIComponent).join('/');
  };
}
