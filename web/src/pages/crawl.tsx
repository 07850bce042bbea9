import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from '@tanstack/react-router';
import { useState, type FormEvent } from 'react';
import { api, seg } from '../api';
import { canEdit, useMe, useProject } from '../queries';
import {
  Empty,
  ErrorBox,
  Field,
  fmtTime,
  Loading,
  Status,
  usePageTitle,
  DataTable,
} from '../ui/kit';

export interface Crawl {
  id: string;
  status: string;
  pages: number;
  generated: number;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
  options: Record<string, unknown>;
}

/** Start a crawl of the site and list earlier ones. */
export default function CrawlPage() {
  usePageTitle('Crawl');
  const { projectId } = useParams({ from: '/app/projects/$projectId/crawl' });
  const project = useProject(projectId);
  const me = useMe();
  const navigate = useNavigate();
  const [startUrl, setStartUrl] = useState('');
  const [maxPages, setMaxPages] = useState(50);
  const [generate, setGenerate] = useState(true);
  const crawls = useQuery({
    queryKey: ['crawls', projectId],
    queryFn: () => api<{ items: Crawl[] }>(`/projects/${seg(projectId)}/crawls`),
  });
  const start = useMutation({
    mutationFn: () =>
      api<{ crawlId: string }>(`/projects/${seg(projectId)}/crawl`, {
        method: 'POST',
        body: { maxPages, generate, ...(startUrl ? { startUrl } : {}) },
      }),
    onSuccess: (c) =>
      navigate({
        to: '/projects/$projectId/crawls/$crawlId',
        params: { projectId, crawlId: c.crawlId },
      }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    start.mutate();
  };
  return (
    <>
      <h1 tabIndex={-1}>Crawl</h1>
      <p className="muted">
        Greenlight opens the site in Chromium, maps its pages, forms, broken links and API calls,
        and drafts tests for the review queue.
      </p>
      {canEdit(me.data) ? (
        <form className="card" onSubmit={submit} aria-label="Start a crawl">
          <Field label="Start URL" hint={`default: ${project.data?.baseUrl ?? 'the base URL'}`}>
            {(id) => (
              <input
                id={id}
                type="url"
                value={startUrl}
                onChange={(e) => setStartUrl(e.target.value)}
              />
            )}
          </Field>
          <Field label="Most pages">
            {(id) => (
              <input
                id={id}
                type="number"
                min={1}
                max={2000}
                value={maxPages}
                onChange={(e) => setMaxPages(Number(e.target.value))}
              />
            )}
          </Field>
          <label className="inline-check field">
            <input
              type="checkbox"
              checked={generate}
              onChange={(e) => setGenerate(e.target.checked)}
            />{' '}
            Draft tests when done
          </label>
          <ErrorBox error={start.error} />
          <button type="submit" className="primary" disabled={start.isPending}>
            Start crawl
          </button>
        </form>
      ) : null}
      <h2>Crawls</h2>
      {crawls.isPending ? <Loading /> : null}
      <ErrorBox error={crawls.error} />
      {crawls.data && crawls.data.items.length === 0 ? (
        <Empty title="No crawls yet">
          <p>Start one above; it takes a minute for a small site.</p>
        </Empty>
      ) : null}
      {crawls.data && crawls.data.items.length > 0 ? (
        <DataTable caption="Crawls" head={['Started', 'Status', 'Pages', 'Drafts']}>
          {crawls.data.items.map((c) => (
            <tr key={c.id}>
              <td>
                <Link
                  to="/projects/$projectId/crawls/$crawlId"
                  params={{ projectId, crawlId: c.id }}
                >
                  {fmtTime(c.createdAt)}
                </Link>
              </td>
              <td>
                <Status value={c.status} />
              </td>
              <td>{c.pages}</td>
              <td>{c.generated}</td>
            </tr>
          ))}
        </DataTable>
      ) : null}
    </>
  );
}
