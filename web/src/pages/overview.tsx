import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from '@tanstack/react-router';
import { api, seg } from '../api';
import { useProject } from '../queries';
import type { Page, Run, Trends } from '../types';
import {
  Empty,
  ErrorBox,
  fmtMs,
  fmtTime,
  Loading,
  Sparkline,
  Status,
  usePageTitle,
  DataTable,
} from '../ui/kit';
import { RunButton } from '../ui/run-button';

/** A project at a glance: what to do next, the latest runs, the pass rate. */
export default function Overview() {
  const { projectId } = useParams({ from: '/app/projects/$projectId/' });
  const project = useProject(projectId);
  usePageTitle(project.data?.name ?? 'Project');
  const counts = useQuery({
    queryKey: ['tests', projectId, 'counts'],
    queryFn: () =>
      api<{ draft: number; approved: number; rejected: number; total: number }>(
        `/projects/${seg(projectId)}/tests/counts`,
      ),
  });
  const runs = useQuery({
    queryKey: ['runs', projectId, { limit: 5 }],
    queryFn: () => api<Page<Run>>(`/projects/${seg(projectId)}/runs?limit=5`),
  });
  const trends = useQuery({
    queryKey: ['trends', projectId, 30],
    queryFn: () => api<Trends>(`/projects/${seg(projectId)}/trends?runs=30&top=1`),
  });
  if (!project.data) return <Loading />;
  const c = counts.data;
  return (
    <>
      <div className="row">
        <h1 tabIndex={-1}>{project.data.name}</h1>
        <span className="spacer" />
        <RunButton projectId={projectId} disabled={!c || c.approved === 0} />
      </div>
      <p className="muted mono small">{project.data.baseUrl}</p>
      <ErrorBox error={counts.error ?? runs.error ?? trends.error} />
      {c && c.total === 0 ? (
        <Empty title="This project has no tests yet">
          <p>
            <Link to="/projects/$projectId/import" params={{ projectId }}>
              Import YAML tests
            </Link>
            ,{' '}
            <Link to="/projects/$projectId/tests/new" params={{ projectId }}>
              write one
            </Link>
            , or{' '}
            <Link to="/projects/$projectId/crawl" params={{ projectId }}>
              crawl the site
            </Link>{' '}
            to draft some.
          </p>
        </Empty>
      ) : null}
      {c && c.draft > 0 ? (
        <p className="note">
          {c.draft} draft {c.draft === 1 ? 'test waits' : 'tests wait'} for review; only approved
          tests run.{' '}
          <Link to="/projects/$projectId/review" params={{ projectId }}>
            Open the review queue
          </Link>
          .
        </p>
      ) : null}
      {c && c.approved === 0 && c.total > 0 ? (
        <p className="muted">Approve a test to be able to run it.</p>
      ) : null}
      <div className="grid">
        <section className="card" aria-labelledby="h-tests">
          <h2 id="h-tests" style={{ marginTop: 0 }}>
            Tests
          </h2>
          {c ? (
            <dl className="kv">
              <dt>Approved</dt>
              <dd>{c.approved}</dd>
              <dt>Drafts</dt>
              <dd>{c.draft}</dd>
              <dt>Rejected</dt>
              <dd>{c.rejected}</dd>
            </dl>
          ) : null}
        </section>
        <section className="card" aria-labelledby="h-rate">
          <h2 id="h-rate" style={{ marginTop: 0 }}>
            Pass rate
          </h2>
          {trends.data ? (
            <Sparkline
              values={trends.data.runs.map((r) => r.passRate)}
              label={`Pass rate of the last ${trends.data.runs.length} runs`}
            />
          ) : null}
          <p className="small">
            <Link to="/projects/$projectId/trends" params={{ projectId }}>
              Trends
            </Link>
          </p>
        </section>
      </div>
      <h2>Latest runs</h2>
      {runs.data && runs.data.items.length === 0 ? (
        <p className="muted">No runs yet. Start one with “Run tests”.</p>
      ) : null}
      {runs.data && runs.data.items.length > 0 ? (
        <RunTable runs={runs.data.items} projectId={projectId} />
      ) : null}
    </>
  );
}

export function RunTable({ runs, projectId }: { runs: Run[]; projectId: string }) {
  return (
    <DataTable
      caption="Runs"
      head={[
        'Run',
        'Status',
        'Results',
        { label: 'Trigger', hideSm: true },
        { label: 'Started', hideSm: true },
        'Duration',
      ]}
    >
      {runs.map((r) => (
        <tr key={r.id}>
          <td>
            <Link
              to="/projects/$projectId/runs/$runId"
              params={{ projectId, runId: r.id }}
              className="mono"
            >
              {r.id.slice(0, 8)}
            </Link>
          </td>
          <td>
            <Status value={r.status} />
          </td>
          <td className="small">
            {r.passed}/{r.total} passed
            {r.failed + r.errored > 0 ? `, ${r.failed + r.errored} failed` : ''}
            {r.flaky > 0 ? `, ${r.flaky} flaky` : ''}
          </td>
          <td className="hide-sm small">
            {r.trigger.source}
            {r.trigger.actor ? ` · ${r.trigger.actor}` : ''}
          </td>
          <td className="hide-sm small">{fmtTime(r.startedAt ?? r.createdAt)}</td>
          <td className="small">
            {r.startedAt && r.finishedAt
              ? fmtMs(Date.parse(r.finishedAt) - Date.parse(r.startedAt))
              : '—'}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
