import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams, useSearch } from '@tanstack/react-router';
import { api, qs, seg } from '../api';
import { canEdit, queryClient, useMe } from '../queries';
import type { Test } from '../types';
import {
  ConfirmButton,
  ErrorBox,
  fmtTime,
  Loading,
  Status,
  usePageTitle,
  DataTable,
} from '../ui/kit';
import { RunButton } from '../ui/run-button';
import { toYaml } from '../ui/yaml';

interface Version {
  version: number;
  action: string;
  status: string;
  actor: string;
  at: string;
  note: string | null;
}

interface Diff {
  from: number | null;
  to: number;
  changed: string[];
  unified: string;
}

/** One test: its document, review actions, "run now", its history and the diff between versions. */
export default function TestDetail() {
  const { projectId, testId } = useParams({ from: '/app/projects/$projectId/tests/$testId' });
  const search = useSearch({ from: '/app/projects/$projectId/tests/$testId' });
  const navigate = useNavigate({ from: '/projects/$projectId/tests/$testId' });
  const me = useMe();
  const base = `/projects/${seg(projectId)}/tests/${seg(testId)}`;
  const test = useQuery({ queryKey: ['test', projectId, testId], queryFn: () => api<Test>(base) });
  usePageTitle(test.data?.name ?? 'Test');
  const history = useQuery({
    queryKey: ['test', projectId, testId, 'history'],
    queryFn: () => api<{ items: Version[] }>(`${base}/history`),
  });
  const diff = useQuery({
    queryKey: ['test', projectId, testId, 'diff', search.from, search.to],
    queryFn: () => api<Diff>(`${base}/diff${qs({ from: search.from, to: search.to })}`),
  });
  const review = useMutation({
    mutationFn: (action: 'approve' | 'reject' | 'restore') =>
      api<Test>(`${base}/${action}`, { method: 'POST' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['test', projectId, testId] }),
  });
  const remove = useMutation({
    mutationFn: () => api(`${base}`, { method: 'DELETE' }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['tests', projectId] });
      await navigate({ to: '/projects/$projectId/tests', params: { projectId }, search: {} });
    },
  });
  if (test.isPending) return <Loading />;
  if (test.error) return <ErrorBox error={test.error} />;
  const t = test.data;
  const editor = canEdit(me.data);
  const {
    id: _id,
    projectId: _p,
    createdAt: _c,
    updatedAt: _u,
    reviewedAt: _ra,
    reviewedBy: _rb,
    flakyScore: _f,
    stale: _s,
    quarantine: _q,
    source: _src,
    ...doc
  } = t;
  return (
    <>
      <div className="row">
        <h1 tabIndex={-1}>{t.name}</h1>
        <Status value={t.status} />
        <span className="spacer" />
        {t.status === 'approved' ? (
          <RunButton projectId={projectId} testIds={[t.id]} label="Run this test now" />
        ) : (
          <span className="muted small">Approve the test to run it.</span>
        )}
      </div>
      {editor ? (
        <div className="row">
          <Link
            to="/projects/$projectId/tests/$testId/edit"
            params={{ projectId, testId }}
            className="button"
          >
            Edit
          </Link>
          {t.status !== 'approved' ? (
            <button type="button" className="primary" onClick={() => review.mutate('approve')}>
              Approve
            </button>
          ) : null}
          {t.status !== 'rejected' ? (
            <button type="button" className="danger" onClick={() => review.mutate('reject')}>
              Reject
            </button>
          ) : (
            <button type="button" onClick={() => review.mutate('restore')}>
              Restore to draft
            </button>
          )}
          <ConfirmButton
            label="Delete"
            question={`Delete the test “${t.name}”?`}
            confirmLabel="Yes, delete"
            onConfirm={() => remove.mutate()}
          />
        </div>
      ) : null}
      <ErrorBox error={review.error ?? remove.error} />
      <dl className="kv card">
        <dt>Suite</dt>
        <dd>{t.suite ?? '—'}</dd>
        <dt>Tags</dt>
        <dd>{t.tags.join(', ') || '—'}</dd>
        <dt>Source</dt>
        <dd>{t.source}</dd>
        <dt>Reviewed</dt>
        <dd>{t.reviewedBy ? `${t.reviewedBy}, ${fmtTime(t.reviewedAt)}` : '—'}</dd>
        <dt>Flaky score</dt>
        <dd>{t.flakyScore ?? 0}</dd>
        {t.stale ? (
          <>
            <dt>Stale</dt>
            <dd>{t.stale.reason}</dd>
          </>
        ) : null}
        {t.quarantine ? (
          <>
            <dt>Quarantined</dt>
            <dd>
              {t.quarantine.reason} ({t.quarantine.by})
            </dd>
          </>
        ) : null}
      </dl>
      <h2>Document</h2>
      <pre aria-label="Test document">{toYaml(doc)}</pre>
      <h2>History</h2>
      <ErrorBox error={history.error} />
      {history.data ? (
        <DataTable caption="Versions" head={['Version', 'Change', 'Status', 'By', 'When', 'Diff']}>
          {history.data.items.map((v) => (
            <tr key={v.version}>
              <td>{v.version}</td>
              <td>
                {v.action}
                {v.note ? <span className="muted small"> — {v.note}</span> : null}
              </td>
              <td>
                <Status value={v.status} />
              </td>
              <td className="small">{v.actor}</td>
              <td className="small">{fmtTime(v.at)}</td>
              <td>
                {v.version > 1 ? (
                  <Link
                    to="/projects/$projectId/tests/$testId"
                    params={{ projectId, testId }}
                    search={{ from: v.version - 1, to: v.version }}
                  >
                    Diff v{v.version - 1} → v{v.version}
                  </Link>
                ) : (
                  '—'
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      ) : null}
      <h2 id="diff">Diff {diff.data ? `v${diff.data.from ?? 0} → v${diff.data.to}` : ''}</h2>
      <ErrorBox error={diff.error} />
      {diff.data ? (
        diff.data.unified ? (
          <pre aria-labelledby="diff">
            {diff.data.unified.split('\n').map((line, i) => (
              <span
                key={i}
                className={
                  line.startsWith('+') ? 'diff-add' : line.startsWith('-') ? 'diff-del' : undefined
                }
              >
                {line}
                {'\n'}
              </span>
            ))}
          </pre>
        ) : (
          <p className="muted">No differences.</p>
        )
      ) : null}
    </>
  );
}
