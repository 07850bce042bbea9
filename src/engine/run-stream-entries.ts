import { defined } from '../domain/defined.ts';
import { describeHealed } from '../domain/locator-memory.ts';
import type { ResultStatus, RunCounts, RunStatus } from '../domain/run.ts';
import type { RunEvent } from '../events/event-bus.ts';
import type { NewStreamEvent } from '../store/run-stream-events.ts';

/** What a `result` event says about one test, and what a snapshot lists per result. */
export interface ResultLine {
  testId: string;
  testName: string;
  status: ResultStatus;
  attempt: number;
  durationMs: number;
  error: string | null;
}

/** The data of a `log` event. */
export interface LogData {
  message: string;
  at: string;
  testId?: string;
  testName?: string;
  started?: boolean;
  /** Set on lines of a phase before the tests (the crawl). */
  phase?: 'crawl';
}

/**
 * What the log stores for a `snapshot`: the run's counts after a result. Readers add the run
 * (read once) and the newest result lines before it, so a stored snapshot stays a few dozen
 * bytes however large the run: writing whole snapshots would cost a run of n tests n × 50 lines.
 */
export interface SnapshotState {
  status: RunStatus;
  counts?: RunCounts;
  at: string;
}

/** What the log stores for `done`: readers send the run as stored once it ended. */
export interface DoneState {
  status?: RunStatus;
  at: string;
}

/**
 * The stream events one run event becomes, as the log stores them. Pure: it needs nothing but
 * the event, so whichever process publishes an event can write it (results carry their counts).
 */
export function streamEntriesOf(e: RunEvent): NewStreamEvent[] {
  const log = (data: LogData): NewStreamEvent => ({ type: 'log', data });
  switch (e.type) {
    case 'run.queued':
      return [log({ message: `queued ${e.counts?.total ?? 0} tests`, at: e.at })];
    case 'run.started':
      return [log({ message: 'run started', at: e.at })];
    case 'run.phase':
      return [log({ message: e.message ?? '', at: e.at, ...defined({ phase: e.phase }) })];
    case 'test.started': {
      const attempt = e.attempt && e.attempt > 1 ? ` (attempt ${e.attempt})` : '';
      const message = `started ${e.testName ?? e.testId}${attempt}`;
      return [
        log({
          message,
          at: e.at,
          ...defined({ testId: e.testId, testName: e.testName }),
          started: true,
        }),
      ];
    }
    case 'test.healed': {
      const what = (e.healed ?? []).map(describeHealed).join('; ');
      const message = `healed ${e.testName ?? e.testId}: ${what}`;
      return [log({ message, at: e.at, ...defined({ testId: e.testId }) })];
    }
    case 'test.finished':
      return resultEntries(e);
    case 'run.finished': {
      const status = e.status as RunStatus | undefined;
      const message = `run ${status ?? 'finished'}${e.error ? `: ${e.error}` : ''}`;
      const done: DoneState = { at: e.at, ...defined({ status }) };
      return [log({ message, at: e.at }), { type: 'done', data: done }];
    }
    case 'test.retrying':
      return [];
  }
}

function resultEntries(e: RunEvent): NewStreamEvent[] {
  const line: ResultLine = {
    testId: e.testId ?? '',
    testName: e.testName ?? e.testId ?? '',
    status: (e.status as ResultStatus | undefined) ?? 'error',
    attempt: e.attempt ?? 1,
    durationMs: e.durationMs ?? 0,
    error: e.error ?? null,
  };
  const out: NewStreamEvent[] = [];
  if (line.status === 'failed' || line.status === 'error') {
    const message = `${line.status} ${line.testName}${line.error ? `: ${line.error}` : ''}`;
    out.push({ type: 'log', data: { message, at: e.at, testId: line.testId } });
  }
  const snapshot: SnapshotState = { status: 'running', at: e.at, ...defined({ counts: e.counts }) };
  out.push({ type: 'result', data: { ...line, at: e.at } }, { type: 'snapshot', data: snapshot });
  return out;
}
