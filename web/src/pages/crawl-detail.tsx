import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useParams } from '@tanstack/react-router';
import { useState } from 'react';
import { api, API, seg } from '../api';
import { canEdit, queryClient, useMe } from '../queries';
import type { Page, Test } from '../types';
import { ErrorBox, Loading, Status, usePageTitle, DataTable } from '../ui/kit';
import { useEventStream } from '../ui/live';
import type { Crawl } from './crawl';

interface CrawlDetail extends Crawl {
  pageList: {
    path: string;
    url: string;
    status: number;
    title: string;
    depth: number;
    forms: number;
    apiCalls: number;
    consoleErrors: number;
  }[];
  brokenLinks: { from: string; url: string; status: number }[];
}

/** One crawl: live progress, the site map, broken links and the drafts it produced. */
export default function CrawlDetailPage() {
  const { projectId, crawlId } = useParams({ from: '/app/projects/$projectId/crawls/$crawlId' });
  usePageTitle('Crawl');
  const me = useMe();
  const base = `/projects/${seg(projectId)}/crawls/${seg(crawlId)}`;
  const crawl = useQuery({ queryKey: ['crawl', crawlId], queryFn: () => api<CrawlDetail>(base) });
  const [progress, setProgress] = useState<{
    visited: number;
    queued: number;
    current: string;
  } | null>(null);
  const running = crawl.data && (crawl.data.status === 'queued' || crawl.data.status === 'running');
  useEventStream(running ? `${API}${base}/events` : null, {
    progress: (d) => setProgress(d as { visited: number; queued: number; current: string }),
    page: () => void queryClient.invalidateQueries({ queryKey: ['crawl', crawlId] }),
    done: () => {
      void queryClient.invalidateQueries({ queryKey: ['crawl', crawlId] });
      void queryClient.invalidateQueries({ queryKey: ['tests', projectId] });
    },
  });
  const drafts = useQuery({
    queryKey: ['tests', projectId, 'draft', 'crawl'],
    queryFn: () =>
      api<Page<Test>>(`/projects/${seg(projectId)}/tests?status=draft&tag=generated&limit=200`),
    enabled: !!crawl.data && !running,
  });
  const abort = useMutation({
    mutationFn: () => api(`${base}/abort`, { method: 'POST' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['crawl', crawlId] }),
  });
  if (crawl.isPending) return <Loading />;
  if (crawl.error) return <ErrorBox error={crawl.error} />;
  const c = crawl.data;
  return (
    <>
      <div className="row">
        <h1 tabIndex={-1}>Crawl</h1>
        <Status value={c.status} />
        <span className="spacer" />
        {running && canEdit(me.data) ? (
          <button type="button" className="danger" onClick={() => abort.mutate()}>
            Stop crawl
          </button>
        ) : null}
      </div>
      <ErrorBox error={abort.error} />
      <p role="status" aria-live="polite">
        {running
          ? progress
            ? `Visited ${progress.visited} pages, ${progress.queued} queued. Now: ${progress.current}`
            : 'Starting…'
          : `${c.pages} pages found; ${c.generated} draft tests created.`}
      </p>
      {c.error ? (
        <p className="alert" role="alert">
          {c.error}
        </p>
      ) : null}
      {!running && c.generated > 0 ? (
        <p className="note">
          <Link to="/projects/$projectId/review" params={{ projectId }}>
            Review the {c.generated} drafts
          </Link>{' '}
          — only approved tests run.
        </p>
      ) : null}
      <h2>Site map</h2>
      {c.pageList.length === 0 ? <p className="muted">No pages yet.</p> : null}
      {c.pageList.length > 0 ? (
        <DataTable
          caption="Pages found"
          head={['Page', 'Status', 'Title', 'Forms', 'API calls', 'Console errors']}
        >
          {c.pageList.map((p) => (
            <tr key={p.url}>
              <td className="mono small" style={{ paddingLeft: `${0.6 + p.depth}rem` }}>
                {p.path}
              </td>
              <td className={p.status >= 400 ? 's-failed' : undefined}>{p.status}</td>
              <td>{p.title}</td>
              <td>{p.forms}</td>
              <td>{p.apiCalls}</td>
              <td>{p.consoleErrors}</td>
            </tr>
          ))}
        </DataTable>
      ) : null}
      <h2>Broken links</h2>
      {c.brokenLinks.length === 0 ? (
        <p className="muted">None found.</p>
      ) : (
        <ul>
          {c.brokenLinks.map((b) => (
            <li key={b.from + b.url} className="small">
              <span className="mono">{b.url}</span> answered {b.status} (linked from{' '}
              <span className="mono">{b.from}</span>)
            </li>
          ))}
        </ul>
      )}
      <h2>Drafts from crawls</h2>
      {drafts.data && drafts.data.items.length === 0 ? (
        <p className="muted">No generated drafts wait for review.</p>
      ) : null}
      <ul>
        {(drafts.data?.items ?? []).map((t) => (
          <li key={t.id}>
            <Link to="/projects/$projectId/tests/$testId" params={{ projectId, testId: t.id }}>
              {t.name}
            </Link>
          </li>
        ))}
      </ul>
    </>
  );
}
