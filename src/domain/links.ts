/**
 * The page a person opens to look at a run, on a server reachable at `base` (scheme, host and
 * port, e.g. GREENLIGHT_PUBLIC_URL). Every link to "the run" that a person follows goes through
 * here — Certyn's appUrl, Aegis' url, the Sentri status `url`, PR comments and commit statuses,
 * notifications, report links, the CLI's summary — so it changes in one place. For now it is the
 * run's self-contained HTML report (a browser signed in, or a viewer's session, opens it); the
 * dashboard's run page will replace it.
 */
export function runPageUrl(base: string, run: { id: string }): string {
  return `${base.replace(/\/+$/, '')}/api/v1/runs/${encodeURIComponent(run.id)}/report?format=html`;
}
