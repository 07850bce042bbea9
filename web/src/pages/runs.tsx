import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams, useSearch } from '@tanstack/react-router';
import { api, qs, seg } from '../api';
import type { Page, Run } from '../types';
import { Empty, ErrorBox, Field, Loading, usePageTitle } from '../ui/kit';
import { RunButton } from '../ui/run-button';
import { RunTable } from './overview';

const PAGE = 25;

/** Runs of the project, newest first, filtered by status; refreshed while any is going. */
export default function Runs() {
  usePageTitle('Runs');
  const { projectId } = useParams({ from: '/app/projects/$projectId/runs' });
  const { status, page = 0 } = useSearch({ from: '/app/projects/$projectId/runs' });
  const navigate = useNavigate({ from: '/projects/$projectId/runs' });
  const runs = useQuery({
    queryKey: ['runs', projectId, { status, page }],
    queryFn: () =>
      api<Page<Run>>(
        `/projects/${seg(projectId)}/runs${qs({ status, limit: PAGE, offset: page * PAGE })}`,
      ),
    refetchInterval: (q) =>
      q.state.data?.items.some((r) => r.status === 'queued' || r.status === 'running')
        ? 2000
        : false,
  });
  return (
    <>
      <div className="row">
        <h1 tabIndex={-1}>Runs</h1>
        <span className="spacer" />
        <RunButton projectId={projectId} />
      </div>
      <form
        className="row card"
        role="search"
        aria-label="Filter runs"
        onSubmit={(e) => e.preventDefault()}
      >
        <Field label="Status">
          {(id) => (
            <select
              id={id}
              value={status ?? ''}
              onChange={(e) =>
                void navigate({ search: { status: e.target.value || undefined, page: undefined } })
              }
            >
              <option value="">any</option>
              {['queued', 'running', 'passed', 'failed', 'error', 'cancelled'].map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          )}
        </Field>
      </form>
      {runs.isPending ? <Loading /> : null}
      <ErrorBox error={runs.error} />
      {runs.data && runs.data.items.length === 0 ? (
        <Empty title={status ? `No ${status} runs` : 'No runs yet'}>
          <p>
            Start one with “Run tests”, from CI with a{' '}
            <Link to="/projects/$projectId/automation" params={{ projectId }}>
              trigger token
            </Link>
            , or on a schedule in{' '}
            <Link to="/projects/$projectId/settings" params={{ projectId }}>
              settings
            </Link>
            .
          </p>
        </Empty>
      ) : null}
      {runs.data && runs.data.items.length > 0 ? (
        <RunTable runs={runs.data.items} projectId={projectId} />
      ) : null}
      {runs.data && runs.data.total > PAGE ? (
        <nav className="row" aria-label="Pages">
          <button
            type="button"
            disabled={page === 0}
            onClick={() => void navigate({ search: { status, page: page - 1 || undefined } })}
          >
            Newer
          </button>
          <span className="small muted">
            Page {page + 1} of {Math.ceil(runs.data.total / PAGE)}
          </span>
          <button
            type="button"
            disabled={(page + 1) * PAGE >= runs.data.total}
            onClick={() => void navigate({ search: { status, page: page + 1 } })}
          >
            Older
          </button>
        </nav>
      ) : null}
    </>
  );
}
