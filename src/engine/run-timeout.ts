import type { Logger } from 'pino';
import { isTerminal, type RunCounts } from '../domain/run.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import type { Store } from '../store/connect.ts';
import { endRunEarly } from './end-run-early.ts';
import type { RunLogFeed } from './run-log-writer.ts';

export interface RunTimeoutDeps {
  store: Store;
  queue: JobQueue;
  events: EventBus;
  clock: () => Date;
  logger: Logger;
  /** Abort this process's running tests of the run; their results are dropped. */
  abortRun: (runId: string) => void;
  /** The run stream logs this process writes: drained before the run's `done` is written. */
  runLog: Pick<RunLogFeed, 'drain'>;
}

/** When a run with a time limit is due: its start plus the limit, on the engine's clock. */
function runDeadline(startedAt: string | null, timeoutMs: number | null): number | null {
  if (timeoutMs === null || startedAt === null) return null;
  const start = Date.parse(startedAt);
  return Number.isFinite(start) ? start + timeoutMs : null;
}

/** `the run timed out after 90 s; 3 of 10 tests did not finish`. */
function timeoutMessage(timeoutMs: number, counts: RunCounts): string {
  const finished =
    counts.passed +
    counts.failed +
    counts.skipped +
    counts.errored +
    counts.flaky +
    counts.quarantined;
  const seconds = Math.round(timeoutMs / 100) / 10;
  const open = Math.max(0, counts.total - finished);
  return (
    `the run timed out after ${seconds} s; ` +
    `${open} of ${counts.total} test${counts.total === 1 ? '' : 's'} did not finish`
  );
}

/**
 * The per-run time limit (`RunOptions.timeoutMs`, counted from the run's start). A timer per run
 * this process works on fires at the deadline; the run is then checked against the clock and,
 * when due, its queued jobs are dropped, its running tests aborted and it finishes as `error`.
 * The deadline is derived from stored data, so recovery after a restart applies it too.
 */
export class RunTimeouts {
  readonly #d: RunTimeoutDeps;
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(deps: RunTimeoutDeps) {
    this.#d = deps;
  }

  /** Start watching a run (idempotent); nothing happens for a run without a limit. */
  arm(runId: string, startedAt: string, timeoutMs: number | null): void {
    const due = runDeadline(startedAt, timeoutMs);
    if (due === null || this.#timers.has(runId)) return;
    this.#schedule(runId, due);
  }

  /** Stop watching a run (it finished). */
  disarm(runId: string): void {
    clearTimeout(this.#timers.get(runId));
    this.#timers.delete(runId);
  }

  /** Stop every timer (the engine stops; recovery re-arms after a restart). */
  clear(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  /**
   * Finish the run as timed out when its deadline has passed by the clock. True when this call
   * finished it; false when it has no limit, is not due yet, or had already finished.
   */
  async expireIfDue(runId: string): Promise<boolean> {
    const { store, queue, events, clock } = this.#d;
    const run = await store.runs.get(null, runId);
    if (!run || isTerminal(run.status)) return false;
    const options = await store.runs.options(run.id);
    const timeoutMs = options?.timeoutMs ?? null;
    const due = runDeadline(run.startedAt, timeoutMs);
    if (due === null || timeoutMs === null) return false;
    if (clock().getTime() < due) {
      // The timer and the clock disagree (an injected clock): look again at the clock's deadline.
      if (!this.#timers.has(run.id)) this.#schedule(run.id, due);
      return false;
    }
    const finishedAt = clock().toISOString();
    await this.#d.runLog.drain(run.id);
    const event = await store.transaction((tx) =>
      endRunEarly(tx, queue, run, {
        status: 'error',
        finishedAt,
        error: (counts) => timeoutMessage(timeoutMs, counts),
      }),
    );
    this.#d.abortRun(run.id);
    this.disarm(run.id);
    if (!event) return false;
    this.#d.logger.warn({ runId: run.id, timeoutMs }, 'run timed out');
    events.publish(event);
    return true;
  }

  #schedule(runId: string, due: number): void {
    const wait = Math.max(0, due - this.#d.clock().getTime());
    const timer = setTimeout(() => {
      this.#timers.delete(runId);
      this.expireIfDue(runId).catch((err: unknown) =>
        this.#d.logger.error({ err, runId }, 'timing out a run failed'),
      );
    }, wait);
    // A pending deadline must not keep a finished CLI process alive.
    timer.unref();
    this.#timers.set(runId, timer);
  }
}
