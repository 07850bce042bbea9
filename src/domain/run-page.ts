/**
 * Where a person looks at a run: its page in the dashboard. Every link meant for people (PR
 * comments and statuses, notifications, `appUrl`, Aegis `url`, the CLI, reports) is built here.
 */
function runPagePath(run: { projectId: string; id: string }): string {
  return `/projects/${encodeURIComponent(run.projectId)}/runs/${encodeURIComponent(run.id)}`;
}

/** Absolute URL of a run's dashboard page under `base` (scheme, host and port; a trailing / is fine). */
export function runPageUrl(base: string, run: { projectId: string; id: string }): string {
  return base.replace(/\/+$/, '') + runPagePath(run);
}
