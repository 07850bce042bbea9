import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useParams } from '@tanstack/react-router';
import { useState } from 'react';
import { api, seg } from '../api';
import { canEdit, queryClient, useMe } from '../queries';
import type { Page, Test } from '../types';
import { Empty, ErrorBox, Loading, Status, usePageTitle } from '../ui/kit';
import { StepsYaml } from '../ui/yaml';

type Action = 'approve' | 'reject' | 'restore';

/** The review queue: drafts (and rejected tests to restore), one by one or in bulk. */
export default function Review() {
  usePageTitle('Review queue');
  const { projectId } = useParams({ from: '/app/projects/$projectId/review' });
  const me = useMe();
  const editor = canEdit(me.data);
  const [show, setShow] = useState<'draft' | 'rejected'>('draft');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [open, setOpen] = useState<string | null>(null);
  const list = useQuery({
    queryKey: ['tests', projectId, show, 'review'],
    queryFn: () => api<Page<Test>>(`/projects/${seg(projectId)}/tests?status=${show}&limit=200`),
  });
  const done = async () => {
    setSelected(new Set());
    await queryClient.invalidateQueries({ queryKey: ['tests', projectId] });
  };
  const one = useMutation({
    mutationFn: ({ id, action }: { id: string; action: Action }) =>
      api<Test>(`/projects/${seg(projectId)}/tests/${seg(id)}/${action}`, { method: 'POST' }),
    onSuccess: done,
  });
  const bulk = useMutation({
    mutationFn: (action: Action) =>
      api<{ updated: number }>(`/projects/${seg(projectId)}/tests/bulk-review`, {
        method: 'POST',
        body: { ids: [...selected], action },
      }),
    onSuccess: done,
  });
  const items = list.data?.items ?? [];
  const allSelected = items.length > 0 && items.every((t) => selected.has(t.id));
  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  return (
    <>
      <h1 tabIndex={-1}>Review queue</h1>
      <p className="muted">
        Only approved tests run. Read each draft, then approve it or reject it.
      </p>
      <div className="row" role="group" aria-label="Show">
        <button
          type="button"
          aria-pressed={show === 'draft'}
          onClick={() => {
            setShow('draft');
            setSelected(new Set());
          }}
        >
          Drafts
        </button>
        <button
          type="button"
          aria-pressed={show === 'rejected'}
          onClick={() => {
            setShow('rejected');
            setSelected(new Set());
          }}
        >
          Rejected
        </button>
      </div>
      <ErrorBox error={list.error ?? one.error ?? bulk.error} />
      {bulk.data ? (
        <p role="status" className="note">
          {bulk.data.updated} {bulk.data.updated === 1 ? 'test' : 'tests'} updated.
        </p>
      ) : null}
      {list.isPending ? <Loading /> : null}
      {list.data && items.length === 0 ? (
        <Empty title={show === 'draft' ? 'Nothing to review' : 'No rejected tests'}>
          <p>
            {show === 'draft' ? (
              <>
                Drafts come from{' '}
                <Link to="/projects/$projectId/crawl" params={{ projectId }}>
                  crawls
                </Link>
                , imports and new tests.{' '}
                <Link to="/projects/$projectId/tests" params={{ projectId }}>
                  See all tests
                </Link>
                .
              </>
            ) : (
              'Rejected tests can be restored to drafts from here.'
            )}
          </p>
        </Empty>
      ) : null}
      {items.length > 0 ? (
        <>
          {editor ? (
            <div className="row card" role="group" aria-label="Bulk actions">
              <label className="inline-check">
                <input
                  type="checkbox"
                  checked={allSelected}
                  onChange={() =>
                    setSelected(allSelected ? new Set() : new Set(items.map((t) => t.id)))
                  }
                />{' '}
                Select all ({items.length})
              </label>
              <span className="muted small">{selected.size} selected</span>
              {show === 'draft' ? (
                <>
                  <button
                    type="button"
                    className="primary"
                    disabled={selected.size === 0 || bulk.isPending}
                    onClick={() => bulk.mutate('approve')}
                  >
                    Approve selected
                  </button>
                  <button
                    type="button"
                    className="danger"
                    disabled={selected.size === 0 || bulk.isPending}
                    onClick={() => bulk.mutate('reject')}
                  >
                    Reject selected
                  </button>
                </>
              ) : (
                <button
                  type="button"
                  disabled={selected.size === 0 || bulk.isPending}
                  onClick={() => bulk.mutate('restore')}
                >
                  Restore selected
                </button>
              )}
            </div>
          ) : null}
          <ul style={{ listStyle: 'none', padding: 0 }}>
            {items.map((t) => (
              <li key={t.id} className="card">
                <div className="row">
                  {editor ? (
                    <input
                      type="checkbox"
                      aria-label={`Select ${t.name}`}
                      checked={selected.has(t.id)}
                      onChange={() => toggle(t.id)}
                    />
                  ) : null}
                  <h2 style={{ margin: 0, fontSize: '1rem' }}>
                    <Link
                      to="/projects/$projectId/tests/$testId"
                      params={{ projectId, testId: t.id }}
                    >
                      {t.name}
                    </Link>
                  </h2>
                  <Status value={t.status} />
                  <span className="muted small">
                    {t.source} · {t.steps.length} steps
                    {t.tags.length ? ` · ${t.tags.join(', ')}` : ''}
                  </span>
                  <span className="spacer" />
                  <button
                    type="button"
                    aria-expanded={open === t.id}
                    onClick={() => setOpen(open === t.id ? null : t.id)}
                  >
                    {open === t.id ? 'Hide steps' : 'Show steps'}
                  </button>
                  {editor && show === 'draft' ? (
                    <>
                      <button
                        type="button"
                        className="primary"
                        onClick={() => one.mutate({ id: t.id, action: 'approve' })}
                        aria-label={`Approve ${t.name}`}
                      >
                        Approve
                      </button>
                      <button
                        type="button"
                        className="danger"
                        onClick={() => one.mutate({ id: t.id, action: 'reject' })}
                        aria-label={`Reject ${t.name}`}
                      >
                        Reject
                      </button>
                    </>
                  ) : null}
                  {editor && show === 'rejected' ? (
                    <button
                      type="button"
                      onClick={() => one.mutate({ id: t.id, action: 'restore' })}
                      aria-label={`Restore ${t.name}`}
                    >
                      Restore
                    </button>
                  ) : null}
                </div>
                {t.stale ? <p className="note small">Stale: {t.stale.reason}</p> : null}
                {open === t.id ? <StepsYaml steps={t.steps} /> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </>
  );
}
