import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { api, seg } from '../api';
import { canEdit, useMe } from '../queries';
import type { Project, Trends } from '../types';
import { Empty, ErrorBox, fmtTime, Loading, Sparkline, Status, usePageTitle } from '../ui/kit';

function ProjectCard({ p }: { p: Project }) {
  const trends = useQuery({
    queryKey: ['trends', p.id, 20],
    queryFn: () => api<Trends>(`/projects/${seg(p.id)}/trends?runs=20&top=1`),
  });
  const last = trends.data?.runs.at(-1);
  return (
    <li className="card">
      <h2 style={{ marginTop: 0 }}>
        <Link to="/projects/$projectId" params={{ projectId: p.slug }}>
          {p.name}
        </Link>
      </h2>
      <p className="muted small mono">{p.baseUrl}</p>
      {trends.error ? <ErrorBox error={trends.error} /> : null}
      {trends.data ? (
        <div className="row">
          <Sparkline
            values={trends.data.runs.map((r) => r.passRate)}
            label={`Pass rate of the last ${trends.data.runs.length} runs`}
          />
          {last ? (
            <span className="small">
              Last run{' '}
              <Link
                to="/projects/$projectId/runs/$runId"
                params={{ projectId: p.slug, runId: last.runId }}
              >
                <Status value={last.status} />
              </Link>{' '}
              {fmtTime(last.at)}
            </span>
          ) : null}
        </div>
      ) : null}
    </li>
  );
}

/** Every project of the workspace with its recent pass rate and last verdict. */
export default function Projects() {
  usePageTitle('Projects');
  const me = useMe();
  const projects = useQuery({
    queryKey: ['projects'],
    queryFn: () => api<{ items: Project[] }>('/projects'),
  });
  return (
    <>
      <div className="row">
        <h1 tabIndex={-1}>Projects</h1>
        <span className="spacer" />
        {canEdit(me.data) ? (
          <Link to="/projects/new" className="button primary">
            New project
          </Link>
        ) : null}
      </div>
      {projects.isPending ? <Loading /> : null}
      <ErrorBox error={projects.error} />
      {projects.data && projects.data.items.length === 0 ? (
        <Empty title="No projects yet">
          <p>
            Create a project with the base URL of the site you want to test, then import tests or
            crawl the site to draft some. <Link to="/projects/new">Create a project</Link>.
          </p>
        </Empty>
      ) : null}
      {projects.data ? (
        <ul className="grid" style={{ listStyle: 'none', padding: 0 }}>
          {projects.data.items.map((p) => (
            <ProjectCard key={p.id} p={p} />
          ))}
        </ul>
      ) : null}
    </>
  );
}
