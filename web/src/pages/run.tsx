import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams, useSearch } from '@tanstack/react-router';
import { useState } from 'react';
import { api, apiAll, API, seg } from '../api';
import { canEdit, queryClient, useMe } from '../queries';
import type { Page, Run, Test, TestResult } from '../types';
import { ErrorBox, fmtMs, fmtTime, Loading, Status, usePageTitle } from '../ui/kit';
import { useEventStream } from '../ui/live';
import { ResultDetail } from '../ui/result-detail';

interface LogLine {
  message: string;
  at: string;
  testId?: string;
}

const finished = (s: Run['status']) => s !== 'queued' && s !== 'running';

/** Live frames of the run's browsers (only while watched: the server screencasts on demand). */
function LiveBrowser({ projectId, runId }: { projectId: string; runId: string }) {
  const [frames, setFrames] = useState<Record<string, string>>({});
  useEventStream(`${API}/projects/${seg(projectId)}/runs/${seg(runId)}/live`, {
    frame: (d) => {
      const f = d as { testId: string; mime: string; data: string };
      setFrames((prev) => ({ ...prev, [f.testId]: `data:${f.mime};base64,${f.data}` }));
    },
  });
  const ids = Object.keys(frames);
  if (ids.length === 0)
    return (
      <p className="muted small" role="status">
        Waiting for a browser frame…
      </p>
    );
  return (
    <div className="shots">
      {ids.map((id) => (
        <img
          key={id}
          className="frame"
          src={frames[id]}
          alt={`Live view of test ${id.slice(0, 8)}`}
        />
      ))}
    </div>
  );
}

/** A run: live progress over SSE while it goes, then its full detail. */
export default function RunPage() {
  const { projectId, runId } = useParams({ from: '/app/projects/$projectId/runs/$runId' });
  const { test: openTest } = useSearch({ from: '/app/projects/$projectId/runs/$runId' });
  const navigate = useNavigate({ from: '/projects/$projectId/runs/$runId' });
  const me = useMe();
  usePageTitle(`Run ${runId.slice(0, 8)}`);
  const base = `/projects/${seg(projectId)}/runs/${seg(runId)}`;
  const run = useQuery({ queryKey: ['run', runId], queryFn: () => api<Run>(base) });
  const results = useQuery({
    queryKey: ['results', runId],
    queryFn: () => apiAll<TestResult>(`${base}/results?limit=1000`),
  });
  const tests = useQuery({
    queryKey: ['tests', projectId, 'names'],
    queryFn: () => api<Page<Test>>(`/projects/${seg(projectId)}/tests?limit=200`),
  });
  const notes = useQuery({
    queryKey: ['run', runId, 'notes'],
    queryFn: () =>
      api<{
        items: { id: string; level: string; source: string; message: string; createdAt: string }[];
      }>(`${base}/notes`),
  });
  const [log, setLog] = useState<LogLine[]>([]);
  const [started, setStarted] = useState<Set<string>>(new Set());
  const [watch, setWatch] = useState(false);
  const live = run.data && !finished(run.data.status);
  const stream = useEventStream(live ? `${API}/runs/${seg(runId)}/events` : null, {
    snapshot: (d) => {
      // A snapshot's run leaves out the plan (testIds): keep the one already read.
      const s = d as { run: Partial<Run> };
      queryClient.setQueryData<Run>(['run', runId], (old) => (old ? { ...old, ...s.run } : old));
    },
    log: (d) => {
      const l = d as LogLine;
      setLog((prev) => [...prev.slice(-499), l]);
      if (l.testId) setStarted((prev) => new Set(prev).add(l.testId!));
    },
    result: () => void queryClient.invalidateQueries({ queryKey: ['results', runId] }),
    done: () => {
      void queryClient.invalidateQueries({ queryKey: ['run', runId] });
      void queryClient.invalidateQueries({ queryKey: ['results', runId] });
      void queryClient.invalidateQueries({ queryKey: ['runs', projectId] });
      void queryClient.invalidateQueries({ queryKey: ['run', runId, 'notes'] });
    },
  });
  const cancel = useMutation({
    mutationFn: () =>
      api<Run>(`${base}/cancel`, {
        method: 'POST',
        body: { reason: 'cancelled from the dashboard' },
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['run', runId] }),
  });
  const failedIds = (results.data?.items ?? [])
    .filter((r) => r.status === 'failed' || r.status === 'error')
    .map((r) => r.testId);
  const rerun = useMutation({
    mutationFn: () =>
      api<Run>(`/projects/${seg(projectId)}/runs`, {
        method: 'POST',
        body: { testIds: [...new Set(failedIds)], trace: true },
      }),
    onSuccess: (r) =>
      navigate({
        to: '/projects/$projectId/runs/$runId',
        params: { projectId, runId: r.id },
        search: {},
      }),
  });
  if (run.isPending) return <Loading what="Loading the run" />;
  if (run.error) return <ErrorBox error={run.error} />;
  const r = run.data;
  const byTest = new Map((results.data?.items ?? []).map((x) => [x.testId, x]));
  const names = new Map((tests.data?.items ?? []).map((t) => [t.id, t.name]));
  const done = r.passed + r.failed + r.errored + r.skipped;
  const editor = canEdit(me.data);
  return (
    <>
      <div className="row">
        <h1 tabIndex={-1}>Run {r.id.slice(0, 8)}</h1>
        <Status value={r.status} />
        <span className="spacer" />
        {live && editor ? (
          <button
            type="button"
            className="danger"
            onClick={() => cancel.mutate()}
            disabled={cancel.isPending}
          >
            Cancel run
          </button>
        ) : null}
        {!live && editor && failedIds.length > 0 ? (
          <button
            type="button"
            className="primary"
            onClick={() => rerun.mutate()}
            disabled={rerun.isPending}
          >
            Re-run failed ({new Set(failedIds).size})
          </button>
        ) : null}
      </div>
      <ErrorBox error={cancel.error ?? rerun.error ?? results.error} />
      <p role="status" aria-live="polite" className="small">
        {live
          ? `Running: ${done} of ${r.total} tests finished${stream.connected ? '' : ' (connecting to live updates…)'}`
          : `${r.status === 'passed' ? 'Passed' : r.status === 'cancelled' ? 'Cancelled' : r.status === 'failed' ? 'Failed' : 'Finished'}: ${r.passed} passed, ${r.failed + r.errored} failed${r.flaky ? `, ${r.flaky} flaky` : ''}${r.skipped ? `, ${r.skipped} skipped` : ''} of ${r.total}.`}
      </p>
      <div
        className="progress"
        role="progressbar"
        aria-label="Tests finished"
        aria-valuemin={0}
        aria-valuemax={r.total}
        aria-valuenow={done}
      >
        <span style={{ width: `${r.total ? (100 * done) / r.total : 0}%` }} />
      </div>
      {r.error ? (
        <p className="alert" role="alert">
          {r.error}
        </p>
      ) : null}
      <dl className="kv card" style={{ marginTop: '1rem' }}>
        <dt>Started</dt>
        <dd>{fmtTime(r.startedAt ?? r.createdAt)}</dd>
        <dt>Duration</dt>
        <dd>
          {r.startedAt && r.finishedAt
            ? fmtMs(Date.parse(r.finishedAt) - Date.parse(r.startedAt))
            : '—'}
        </dd>
        <dt>Trigger</dt>
        <dd>
          {r.trigger.source}
          {r.trigger.actor ? ` · ${r.trigger.actor}` : ''}
        </dd>
        <dt>Base URL</dt>
        <dd className="mono">{r.baseUrl}</dd>
        <dt>Reports</dt>
        <dd className="row">
          {(['html', 'junit', 'json', 'sarif', 'markdown'] as const).map((f) => (
            <a key={f} href={`${API}/runs/${seg(r.id)}/report?format=${f}&download=1`} download>
              {f.toUpperCase()}
            </a>
          ))}
        </dd>
      </dl>
      {live ? (
        <section aria-labelledby="h-live">
          <div className="row">
            <h2 id="h-live">Live</h2>
            <button type="button" aria-pressed={watch} onClick={() => setWatch(!watch)}>
              {watch ? 'Stop watching the browser' : 'Watch the browser'}
            </button>
          </div>
          {watch ? <LiveBrowser projectId={projectId} runId={runId} /> : null}
        </section>
      ) : null}
      <h2>Tests</h2>
      <ul style={{ listStyle: 'none', padding: 0 }} aria-label="Tests of this run">
        {(r.testIds.length ? r.testIds : [...byTest.keys()]).map((id) => {
          const res = byTest.get(id);
          const state =
            res?.status ?? (started.has(id) && live ? 'running' : live ? 'queued' : 'skipped');
          const name = res?.testName ?? names.get(id) ?? id;
          const isOpen = openTest === id;
          return (
            <li key={id} className="card">
              <div className="row">
                <Status value={state} />
                <strong>{name}</strong>
                {res ? <span className="small muted">{fmtMs(res.durationMs)}</span> : null}
                {res?.healed?.length ? <span className="badge s-flaky">healed</span> : null}
                <span className="spacer" />
                {res ? (
                  <Link
                    to="/projects/$projectId/runs/$runId"
                    params={{ projectId, runId }}
                    search={{ test: isOpen ? undefined : id }}
                    aria-expanded={isOpen}
                    className="button"
                  >
                    {isOpen ? 'Hide details' : 'Details'}
                  </Link>
                ) : null}
              </div>
              {res?.error && !isOpen ? (
                <p className="small s-failed mono">{res.error.split('\n')[0]}</p>
              ) : null}
              {res && isOpen ? <ResultDetail result={res} projectId={projectId} /> : null}
            </li>
          );
        })}
      </ul>
      {notes.data && notes.data.items.length > 0 ? (
        <>
          <h2>Pull-request feedback</h2>
          <ul>
            {notes.data.items.map((n) => (
              <li key={n.id} className={`small${n.level === 'error' ? ' s-failed' : ''}`}>
                {n.source}: {n.message} <span className="muted">({fmtTime(n.createdAt)})</span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {log.length > 0 ? (
        <>
          <h2>Log</h2>
          <pre className="log" aria-label="Run log">
            {log.map((l) => `${new Date(l.at).toLocaleTimeString()}  ${l.message}`).join('\n')}
          </pre>
        </>
      ) : null}
    </>
  );
}
