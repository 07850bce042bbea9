import { useMutation } from '@tanstack/react-query';
import { artifactUrl, api, seg, traceViewerUrl } from '../api';
import { canEdit, queryClient, useMe } from '../queries';
import type { TestResult } from '../types';
import { ErrorBox, fmtMs, Status, DataTable } from './kit';

/** One test's outcome in a run: steps with timings, error, screenshots, heals, visual diffs, console, network, trace. */
export function ResultDetail({ result: r, projectId }: { result: TestResult; projectId: string }) {
  const me = useMe();
  const accept = useMutation({
    mutationFn: (name: string) =>
      api(`/projects/${seg(projectId)}/runs/${seg(r.runId)}/visual/accept`, {
        method: 'POST',
        body: { testId: r.testId, name },
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['results', r.runId] }),
  });
  const img = (path: string) => artifactUrl(r.runId, path);
  return (
    <div className="stack">
      <div className="row">
        <Status value={r.status} />
        <span className="small muted">
          attempt {r.attempt} · {fmtMs(r.durationMs)}
          {r.quarantined ? ' · quarantined (does not gate)' : ''}
          {r.row ? ` · data row ${r.row}` : ''}
        </span>
        <span className="spacer" />
        {r.artifacts.traceUrl ? (
          <a
            className="button primary"
            href={traceViewerUrl(r.artifacts.traceUrl)}
            target="_blank"
            rel="noopener"
          >
            Open trace
          </a>
        ) : (
          <span className="small muted">No trace (start a run with trace on to record one).</span>
        )}
      </div>
      {r.error ? (
        <div role="alert" className="alert">
          {r.failedStep !== null ? <strong>Step {r.failedStep + 1}: </strong> : null}
          <span className="mono">{r.error}</span>
        </div>
      ) : null}
      <h3>Steps</h3>
      <DataTable caption={`Steps of ${r.testName}`} head={['#', 'Step', 'Status', 'Time']}>
        {r.steps.map((s) => {
          const shot = r.artifacts.screenshots?.find((x) => x.step === s.index);
          return (
            <tr key={s.index}>
              <td>{s.index + 1}</td>
              <td>
                <span className="mono small">{s.description}</span>
                {s.error ? <div className="small s-failed">{s.error}</div> : null}
                {shot ? (
                  <div>
                    <a href={img(shot.path)} target="_blank" rel="noopener" className="small">
                      screenshot after this step
                    </a>
                  </div>
                ) : null}
              </td>
              <td>
                <Status value={s.status} />
              </td>
              <td className="small">{fmtMs(s.durationMs)}</td>
            </tr>
          );
        })}
      </DataTable>
      {r.healed && r.healed.length > 0 ? (
        <>
          <h3>Healed locators</h3>
          <ul>
            {r.healed.map((h) => (
              <li key={h.step} className="small">
                Step {h.step + 1}: <code>{h.from}</code> → <code>{h.to}</code> ({h.strategy}).
                Update the test to keep it.
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {r.artifacts.screenshot || (r.artifacts.screenshots ?? []).length > 0 ? (
        <>
          <h3>Screenshots</h3>
          <div className="shots">
            {r.artifacts.screenshot ? (
              <figure style={{ margin: 0 }}>
                <img
                  src={img(r.artifacts.screenshot)}
                  alt={`The page when ${r.testName} failed`}
                  loading="lazy"
                />
                <figcaption className="small">at the failure</figcaption>
              </figure>
            ) : null}
            {(r.artifacts.screenshots ?? []).map((s) => (
              <figure key={s.path} style={{ margin: 0 }}>
                <img src={img(s.path)} alt={`Screenshot ${s.name}`} loading="lazy" />
                <figcaption className="small">
                  {s.step !== undefined ? `after step ${s.step + 1}` : s.name}
                </figcaption>
              </figure>
            ))}
          </div>
        </>
      ) : null}
      {r.visual && r.visual.length > 0 ? (
        <>
          <h3>Visual comparisons</h3>
          <ErrorBox error={accept.error} />
          {r.visual.map((v) => (
            <section key={v.name} className="card" aria-label={`Visual check ${v.name}`}>
              <div className="row">
                <strong>{v.name}</strong> <Status value={v.status} />{' '}
                <span className="small muted">{v.variant}</span>
                {v.diffRatio !== undefined ? (
                  <span className="small">{(v.diffRatio * 100).toFixed(2)}% of pixels differ</span>
                ) : null}
                <span className="spacer" />
                {v.status === 'failed' && canEdit(me.data) ? (
                  <button
                    type="button"
                    onClick={() => accept.mutate(v.name)}
                    disabled={accept.isPending}
                  >
                    Accept as baseline
                  </button>
                ) : null}
              </div>
              {v.message ? <p className="small">{v.message}</p> : null}
              <div className="shots">
                {v.expected ? (
                  <figure style={{ margin: 0 }}>
                    <img src={img(v.expected)} alt={`Baseline of ${v.name}`} loading="lazy" />
                    <figcaption className="small">baseline</figcaption>
                  </figure>
                ) : null}
                <figure style={{ margin: 0 }}>
                  <img src={img(v.actual)} alt={`This run's ${v.name}`} loading="lazy" />
                  <figcaption className="small">this run</figcaption>
                </figure>
                {v.diff ? (
                  <figure style={{ margin: 0 }}>
                    <img
                      src={img(v.diff)}
                      alt={`Differences in ${v.name}, in red`}
                      loading="lazy"
                    />
                    <figcaption className="small">difference</figcaption>
                  </figure>
                ) : null}
              </div>
            </section>
          ))}
        </>
      ) : null}
      {r.artifacts.videoUrl ? (
        <>
          <h3>Video</h3>
          <video
            src={r.artifacts.videoUrl}
            controls
            style={{ maxWidth: '100%' }}
            aria-label={`Recording of ${r.testName}`}
          />
        </>
      ) : null}
      <h3>Console</h3>
      {r.consoleErrors.length === 0 ? (
        <p className="small muted">No console errors.</p>
      ) : (
        <pre className="log">
          {r.consoleErrors
            .map((c) => `[${c.type}] ${c.text}${c.url ? ` (${c.url})` : ''}`)
            .join('\n')}
        </pre>
      )}
      <h3>Network</h3>
      {r.failedRequests.length === 0 ? (
        <p className="small muted">No failed requests.</p>
      ) : (
        <pre className="log">
          {r.failedRequests
            .map((q) => `${q.method} ${q.url} → ${q.status ?? q.failure ?? 'failed'}`)
            .join('\n')}
        </pre>
      )}
      {r.retries && r.retries.length > 0 ? (
        <>
          <h3>Earlier attempts</h3>
          <ul>
            {r.retries.map((a) => (
              <li key={a.attempt} className="small">
                Attempt {a.attempt}: {a.status} in {fmtMs(a.durationMs)}
                {a.error ? ` — ${a.error}` : ''}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}
