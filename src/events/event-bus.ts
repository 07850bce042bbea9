import { EventEmitter } from 'node:events';
import type { HealedLocator } from '../domain/locator-memory.ts';
import type { ResultStatus, RunCounts, RunStatus } from '../domain/run.ts';

export const runEventTypes = [
  'run.queued',
  'run.started',
  'run.phase',
  'test.started',
  'test.retrying',
  'test.healed',
  'test.finished',
  'run.finished',
] as const;
export type RunEventType = (typeof runEventTypes)[number];

/**
 * Something that happened to a run. One flat shape (fields present by type) so SSE streams and
 * CLI progress can forward it as is:
 * - run.queued: counts (total planned)
 * - run.phase: phase (`crawl`), message (a line of the phase's progress)
 * - test.started: testId, testName, attempt
 * - test.retrying: testId, testName, attempt (the one that failed), status, error
 * - test.healed: testId, testName, attempt, healed (the locators healed; the test passed)
 * - test.finished: testId, testName, attempt, status (result), durationMs, counts (so far)
 * - run.finished: status (verdict), error, counts
 */
export interface RunEvent {
  type: RunEventType;
  runId: string;
  projectId: string;
  /** ISO time. */
  at: string;
  testId?: string;
  testName?: string;
  attempt?: number;
  status?: RunStatus | ResultStatus;
  durationMs?: number;
  counts?: RunCounts;
  error?: string | null;
  healed?: HealedLocator[];
  /** run.phase: which phase of the run the message is about. */
  phase?: 'crawl';
  message?: string;
  /**
   * Set on an event another process published (a shared bus, shared-event-bus.ts). Listeners
   * that act once per event across all processes (metrics of this process's work) skip these.
   */
  remote?: true;
  /**
   * Set when the publisher already wrote the event's stream-log lines, in the transaction that
   * recorded the result: the id of the run's last line then. The run log writer only announces
   * it, so a process killed after that commit has lost no line of the run's live stream.
   */
  logged?: number;
}

export type RunEventListener = (e: RunEvent) => void;

/** Publish run events; subscribe to one run or to all (`'*'`). */
export interface EventBus {
  publish(e: RunEvent): void;
  /** Returns the function that unsubscribes. */
  subscribe(runId: string | '*', listener: RunEventListener): () => void;
}

const ALL = '*';

/** Events inside one process (node:events); a listener that throws never breaks the publisher. */
export class InProcessEventBus implements EventBus {
  readonly #emitter = new EventEmitter();
  readonly #onListenerError: (err: unknown, e: RunEvent) => void;

  constructor(opts: { onListenerError?: (err: unknown, e: RunEvent) => void } = {}) {
    // Every SSE client and every waitForRun is a listener; there is no meaningful cap.
    this.#emitter.setMaxListeners(0);
    this.#onListenerError = opts.onListenerError ?? (() => {});
  }

  publish(e: RunEvent): void {
    this.#emitter.emit(e.runId, e);
    this.#emitter.emit(ALL, e);
  }

  subscribe(runId: string | '*', listener: RunEventListener): () => void {
    const safe = (e: RunEvent): void => {
      try {
        listener(e);
      } catch (err) {
        this.#onListenerError(err, e);
      }
    };
    this.#emitter.on(runId, safe);
    return () => {
      this.#emitter.off(runId, safe);
    };
  }

  /** Listeners currently attached (for leak checks in tests). */
  listenerCount(runId: string | '*'): number {
    return this.#emitter.listenerCount(runId);
  }
}
