import { ciSummaryOf, type CiSummary } from '../domain/ci-status.ts';
import type { Run, RunStatus, TestResult } from '../domain/run.ts';
import type { FlakyTest, NotificationEvent } from '../store/notification-channels.ts';

/** Everything a notification says about one finished run; each service renders it its own way. */
export interface NotificationMessage {
  event: NotificationEvent;
  project: { id: string; slug: string; name: string };
  run: Run;
  summary: CiSummary;
  /** Link to the run (GREENLIGHT_PUBLIC_URL, else the server's own address). */
  runUrl: string;
  /** Failed or errored tests, first few, with a one-line reason. */
  failures: { name: string; reason: string | null }[];
  /** How many tests failed or errored in all (failures may be cut short). */
  failureCount: number;
  flaky: FlakyTest[];
}

/** At most this many failing tests are named in a message. */
export const MAX_LISTED_FAILURES = 5;

const isFailure = (s: RunStatus): boolean => s === 'failed' || s === 'error';

/**
 * Which events a finished run raises. `previous` is the status of the project's last verdict
 * before it (null for none). run.finished always applies; run.recovered needs a failure before.
 */
export function eventsOfRun(
  run: Pick<Run, 'status'>,
  previous: RunStatus | null,
  flaky: readonly FlakyTest[],
): NotificationEvent[] {
  const out: NotificationEvent[] = [];
  if (isFailure(run.status)) out.push('run.failed');
  if (run.status === 'passed' && previous !== null && isFailure(previous)) {
    out.push('run.recovered');
  }
  if (flaky.length > 0) out.push('flaky.detected');
  out.push('run.finished');
  return out;
}

/**
 * The one event a channel is told about for a run (one message per channel and run): the most
 * telling event that applies and that the channel listens to, or null for none.
 */
export function eventForChannel(
  applies: readonly NotificationEvent[],
  listens: readonly NotificationEvent[],
): NotificationEvent | null {
  for (const e of applies) if (listens.includes(e)) return e;
  return null;
}

/** First line of an error, cut to `max` characters. */
export function oneLine(text: string | null, max = 200): string | null {
  if (text === null) return null;
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "run failed (2 of 19 tests failed)": the status phrase shared by every format. */
export function headlineOf(m: NotificationMessage): string {
  const { summary } = m;
  const of = `of ${summary.total} ${summary.total === 1 ? 'test' : 'tests'}`;
  switch (m.event) {
    case 'run.failed':
      if (summary.failed > 0) return `run failed (${summary.failed} ${of} failed)`;
      return `run failed (${oneLine(m.run.error, 120) ?? m.run.status})`;
    case 'run.recovered':
      return `run recovered (${summary.passed} ${of} passed)`;
    case 'flaky.detected':
      return `flaky tests detected (${plural(m.flaky.length, 'test')} passed on a retry)`;
    case 'run.finished':
      if (m.run.status === 'cancelled') return 'run cancelled';
      return `run ${m.run.status} (${summary.passed} ${of} passed)`;
  }
}

/** "[Greenlight] Shop: run failed (2 of 19 tests failed)". */
export const titleOf = (m: NotificationMessage): string =>
  `[Greenlight] ${m.project.name}: ${headlineOf(m)}`;

/** Counts as one short line: "17 passed · 2 failed · 0 skipped · 1m 3s". */
export function countsLine(m: NotificationMessage): string {
  const r = m.run;
  const parts = [`${r.passed} passed`, `${r.failed} failed`];
  if (r.errored > 0) parts.push(`${r.errored} could not run`);
  if (r.flaky > 0) parts.push(`${r.flaky} flaky`);
  parts.push(`${r.skipped} skipped`);
  if (r.quarantined > 0) parts.push(`${r.quarantined} quarantined`);
  const d = durationOf(r);
  if (d !== null) parts.push(d);
  return parts.join(' · ');
}

function durationOf(r: Run): string | null {
  if (!r.startedAt || !r.finishedAt) return null;
  const s = Math.max(0, Math.round((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s}s`;
}

/** Assemble the message of a finished run. */
export function buildMessage(input: {
  event: NotificationEvent;
  project: { id: string; slug: string; name: string };
  run: Run;
  results: readonly TestResult[];
  flaky: FlakyTest[];
  runUrl: string;
}): NotificationMessage {
  // Quarantined tests never gate, so they are no failure to alert on.
  const failed = input.results.filter(
    (r) => !r.quarantined && (r.status === 'failed' || r.status === 'error'),
  );
  return {
    event: input.event,
    project: input.project,
    run: input.run,
    summary: ciSummaryOf(input.run),
    runUrl: input.runUrl,
    failures: failed
      .slice(0, MAX_LISTED_FAILURES)
      .map((r) => ({ name: r.testName, reason: oneLine(r.error) })),
    failureCount: failed.length,
    flaky: input.flaky,
  };
}
