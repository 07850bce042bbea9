import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from '@tanstack/react-router';
import { lazy, Suspense, useMemo, useState } from 'react';
import { api, seg } from '../api';
import type { TestTrend, Trends } from '../types';
import { Empty, ErrorBox, Field, fmtMs, Loading, usePageTitle, DataTable } from '../ui/kit';

const LineChart = lazy(() => import('../editor/charts').then((m) => ({ default: m.LineChart })));

function TestTable({
  rows,
  projectId,
  caption,
  value,
}: {
  rows: TestTrend[];
  projectId: string;
  caption: string;
  value: (t: TestTrend) => string;
}) {
  if (rows.length === 0) return <p className="muted">Nothing to show yet.</p>;
  return (
    <DataTable caption={`${caption}`} head={['Test', caption, 'Results']}>
      {rows.map((t) => (
        <tr key={t.testId}>
          <td>
            <Link
              to="/projects/$projectId/tests/$testId"
              params={{ projectId, testId: t.testId }}
              search={{}}
            >
              {t.name}
            </Link>
          </td>
          <td>{value(t)}</td>
          <td>{t.results}</td>
        </tr>
      ))}
    </DataTable>
  );
}

/** Pass rate and duration over time; the flakiest and slowest tests. */
export default function TrendsPage() {
  usePageTitle('Trends');
  const { projectId } = useParams({ from: '/app/projects/$projectId/trends' });
  const [runs, setRuns] = useState(30);
  const trends = useQuery({
    queryKey: ['trends', projectId, runs, 'full'],
    queryFn: () => api<Trends>(`/projects/${seg(projectId)}/trends?runs=${runs}&top=10`),
  });
  const data = trends.data;
  const x = useMemo(() => (data?.runs ?? []).map((r) => Date.parse(r.at) / 1000), [data]);
  const rate = useMemo(
    () => [
      {
        label: 'Pass rate %',
        color: '#22a35a',
        values: (data?.runs ?? []).map((r) =>
          r.passRate === null ? null : Math.round(r.passRate * 100),
        ),
      },
    ],
    [data],
  );
  const dur = useMemo(
    () => [
      {
        label: 'Duration s',
        color: '#3b82f6',
        values: (data?.runs ?? []).map((r) => (r.durationMs === null ? null : r.durationMs / 1000)),
      },
    ],
    [data],
  );
  return (
    <>
      <h1 tabIndex={-1}>Trends</h1>
      <div className="row">
        <Field label="Runs">
          {(id) => (
            <select id={id} value={runs} onChange={(e) => setRuns(Number(e.target.value))}>
              {[10, 30, 100, 200].map((n) => (
                <option key={n} value={n}>
                  last {n}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      {trends.isPending ? <Loading /> : null}
      <ErrorBox error={trends.error} />
      {data && data.runs.length === 0 ? (
        <Empty title="No finished runs yet">
          <p>
            Trends appear after the first runs finish.{' '}
            <Link to="/projects/$projectId/runs" params={{ projectId }} search={{}}>
              Start a run
            </Link>
            .
          </p>
        </Empty>
      ) : null}
      {data && data.runs.length > 0 ? (
        <Suspense fallback={<Loading what="Loading the charts" />}>
          <section className="card" aria-labelledby="h-rate">
            <h2 id="h-rate" style={{ marginTop: 0 }}>
              Pass rate
            </h2>
            <LineChart
              x={x}
              series={rate}
              label={`Pass rate of the last ${data.runs.length} runs, in percent`}
              yLabel="%"
            />
          </section>
          <section className="card" aria-labelledby="h-dur">
            <h2 id="h-dur" style={{ marginTop: 0 }}>
              Duration
            </h2>
            <LineChart
              x={x}
              series={dur}
              label={`Duration of the last ${data.runs.length} runs, in seconds`}
              yLabel="s"
            />
          </section>
        </Suspense>
      ) : null}
      {data ? (
        <div className="grid">
          <section aria-labelledby="h-flaky">
            <h2 id="h-flaky">Flakiest tests</h2>
            <TestTable
              rows={data.flakiest}
              projectId={projectId}
              caption="Flaky score"
              value={(t) => `${t.flakyScore}`}
            />
          </section>
          <section aria-labelledby="h-slow">
            <h2 id="h-slow">Slowest tests</h2>
            <TestTable
              rows={data.slowest}
              projectId={projectId}
              caption="Median time"
              value={(t) => `${fmtMs(t.medianMs)} (max ${fmtMs(t.maxMs)})`}
            />
          </section>
        </div>
      ) : null}
    </>
  );
}
