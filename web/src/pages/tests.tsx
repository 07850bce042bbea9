import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams, useSearch } from '@tanstack/react-router';
import { api, qs, seg } from '../api';
import { canEdit, useMe } from '../queries';
import type { TestFilters } from '../router';
import type { Page, Test } from '../types';
import { Empty, ErrorBox, Field, Loading, Status, usePageTitle, DataTable } from '../ui/kit';

/** Every test of the project with filters; each filter is in the URL, so a view is a deep link. */
export default function Tests() {
  usePageTitle('Tests');
  const { projectId } = useParams({ from: '/app/projects/$projectId/tests' });
  const f = useSearch({ from: '/app/projects/$projectId/tests' });
  const navigate = useNavigate({ from: '/projects/$projectId/tests' });
  const me = useMe();
  const set = (patch: Partial<TestFilters>) =>
    void navigate({ search: (prev: TestFilters) => ({ ...prev, ...patch }), replace: true });
  const tests = useQuery({
    queryKey: ['tests', projectId, f.status, f.tag, f.suite, f.stale],
    queryFn: () =>
      api<Page<Test>>(
        `/projects/${seg(projectId)}/tests${qs({ status: f.status, tag: f.tag, suite: f.suite, stale: f.stale, limit: 200 })}`,
      ),
  });
  // Flaky, quarantined and the name search narrow the loaded page (up to 200 tests).
  const q = f.q?.toLowerCase();
  const items = (tests.data?.items ?? []).filter(
    (t) =>
      (!f.flaky || (t.flakyScore ?? 0) > 0) &&
      (!f.quarantined || t.quarantine !== null) &&
      (!q || t.name.toLowerCase().includes(q) || (t.key ?? '').toLowerCase().includes(q)),
  );
  const suites = [
    ...new Set((tests.data?.items ?? []).map((t) => t.suite).filter((s): s is string => !!s)),
  ].sort();
  const tags = [...new Set((tests.data?.items ?? []).flatMap((t) => t.tags))].sort();
  return (
    <>
      <div className="row">
        <h1 tabIndex={-1}>Tests</h1>
        <span className="spacer" />
        {canEdit(me.data) ? (
          <>
            <Link to="/projects/$projectId/import" params={{ projectId }} className="button">
              Import
            </Link>
            <Link
              to="/projects/$projectId/tests/new"
              params={{ projectId }}
              className="button primary"
            >
              New test
            </Link>
          </>
        ) : null}
      </div>
      <form
        className="card row"
        role="search"
        aria-label="Filter tests"
        onSubmit={(e) => e.preventDefault()}
      >
        <Field label="Search">
          {(id) => (
            <input
              id={id}
              type="search"
              value={f.q ?? ''}
              onChange={(e) => set({ q: e.target.value || undefined })}
            />
          )}
        </Field>
        <Field label="Status">
          {(id) => (
            <select
              id={id}
              value={f.status ?? ''}
              onChange={(e) => set({ status: e.target.value || undefined })}
            >
              <option value="">any</option>
              <option value="approved">approved</option>
              <option value="draft">draft</option>
              <option value="rejected">rejected</option>
            </select>
          )}
        </Field>
        <Field label="Tag">
          {(id) => (
            <select
              id={id}
              value={f.tag ?? ''}
              onChange={(e) => set({ tag: e.target.value || undefined })}
            >
              <option value="">any</option>
              {(f.tag && !tags.includes(f.tag) ? [f.tag, ...tags] : tags).map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Suite">
          {(id) => (
            <select
              id={id}
              value={f.suite ?? ''}
              onChange={(e) => set({ suite: e.target.value || undefined })}
            >
              <option value="">any</option>
              {(f.suite && !suites.includes(f.suite) ? [f.suite, ...suites] : suites).map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          )}
        </Field>
        <label className="inline-check">
          <input
            type="checkbox"
            checked={!!f.flaky}
            onChange={(e) => set({ flaky: e.target.checked || undefined })}
          />{' '}
          Flaky
        </label>
        <label className="inline-check">
          <input
            type="checkbox"
            checked={!!f.stale}
            onChange={(e) => set({ stale: e.target.checked || undefined })}
          />{' '}
          Stale
        </label>
        <label className="inline-check">
          <input
            type="checkbox"
            checked={!!f.quarantined}
            onChange={(e) => set({ quarantined: e.target.checked || undefined })}
          />{' '}
          Quarantined
        </label>
      </form>
      {tests.isPending ? <Loading /> : null}
      <ErrorBox error={tests.error} />
      {tests.data && items.length === 0 ? (
        <Empty
          title={
            tests.data.total === 0 && !f.status && !f.tag && !f.suite
              ? 'No tests yet'
              : 'No test matches these filters'
          }
        >
          <p>
            {tests.data.total === 0 ? (
              <>
                <Link to="/projects/$projectId/import" params={{ projectId }}>
                  Import test files
                </Link>{' '}
                or{' '}
                <Link to="/projects/$projectId/crawl" params={{ projectId }}>
                  crawl the site
                </Link>{' '}
                to draft tests.
              </>
            ) : (
              'Clear a filter to see more.'
            )}
          </p>
        </Empty>
      ) : null}
      {items.length > 0 ? (
        <DataTable
          caption="Tests"
          head={[
            'Name',
            'Status',
            { label: 'Suite', hideSm: true },
            { label: 'Tags', hideSm: true },
            'Flaky',
            'Flags',
          ]}
        >
          {items.map((t) => (
            <tr key={t.id}>
              <td>
                <Link to="/projects/$projectId/tests/$testId" params={{ projectId, testId: t.id }}>
                  {t.name}
                </Link>
              </td>
              <td>
                <Status value={t.status} />
              </td>
              <td className="hide-sm">{t.suite ?? '—'}</td>
              <td className="hide-sm small">{t.tags.join(', ') || '—'}</td>
              <td>{t.flakyScore ? `${t.flakyScore}` : '0'}</td>
              <td className="small">
                {t.stale ? <span title={t.stale.reason}>stale </span> : null}
                {t.quarantine ? <span title={t.quarantine.reason}>quarantined</span> : null}
              </td>
            </tr>
          ))}
        </DataTable>
      ) : null}
      {tests.data && tests.data.total > tests.data.items.length ? (
        <p className="muted small">
          Showing the first {tests.data.items.length} of {tests.data.total} tests; narrow the
          filters.
        </p>
      ) : null}
    </>
  );
}
