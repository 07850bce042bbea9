import type { Logger } from 'pino';
import { AppError } from '../domain/errors.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { Store } from '../store/connect.ts';
import type { ActiveRun, GitInfo } from '../store/run-triggers.ts';

/**
 * The default concurrency key: the PR when there is one, else the git ref, else the whole
 * project — so by default one run per project at a time, as Sentri answers 409 (seed 000).
 */
export function defaultConcurrencyKey(git: GitInfo | undefined): string {
  if (git?.prNumber !== undefined) return `pr:${git.prNumber}`;
  if (git?.ref) return `ref:${git.ref}`;
  return 'project';
}

export function runInProgress(key: string, runId: string): AppError {
  return new AppError(
    'conflict',
    `Another run is already in progress for concurrency key "${key}" (run ${runId}); ` +
      'wait for it, or send concurrency.policy "queue" or "supersede"',
    { runId, concurrencyKey: key },
  );
}

/**
 * The run a new `queue` trigger of the key waits for: the end of the line, the active run no
 * other active run waits for. Not the newest by `createdAt`: a run's time is taken before its
 * transaction waits for the key's lock, so two processes' runs commit in another order than
 * their times (or share a millisecond and sort by id), and "the newest" could be a run that
 * already has a waiter; both waiters would then start together when it ends. Should a line
 * ever have two ends (runs from before this rule), the newest of them.
 */
export function lastInLine(active: readonly ActiveRun[]): ActiveRun | undefined {
  const waitedFor = new Set(active.map((a) => a.blockedBy));
  return active.filter((a) => !waitedFor.has(a.runId)).at(-1) ?? active.at(-1);
}

/**
 * Serialises check-then-create per key inside this process, so two simultaneous triggers of
 * one key cannot both see "nothing running" and the loser is answered before any work. Between
 * processes the key's database lock decides (trigger.ts, `runTriggers.lockKey`).
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.#tails.get(key) ?? Promise.resolve();
    const mine = before.then(fn, fn);
    const tail = mine.catch(() => {});
    this.#tails.set(key, tail);
    try {
      return await mine;
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}

/**
 * Release held runs (policy queue) whose blocker has finished: their jobs become claimable.
 * With `blockerId`, only the runs waiting for that run. Returns the released run ids.
 */
export async function releaseReadyRuns(
  store: Store,
  now: () => Date,
  blockerId?: string,
): Promise<string[]> {
  const released: string[] = [];
  for (const runId of await store.runTriggers.releasable(blockerId)) {
    if (await store.runTriggers.release(runId, now().toISOString())) released.push(runId);
  }
  return released;
}

/**
 * Starts queued runs when the run ahead of them ends. Listens for `run.finished`; at start, and
 * every `pollMs` (default 5 s), it also sweeps: runs held when the process stopped are released
 * after a restart, and so are runs whose blocker ended without its event reaching this bus (a
 * worker killed right after finishing it).
 */
export class QueuedRunReleaser {
  readonly #store: Store;
  readonly #events: EventBus;
  readonly #logger: Logger | undefined;
  readonly #now: () => Date;
  readonly #pollMs: number;
  #unsubscribe: (() => void) | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(deps: {
    store: Store;
    events: EventBus;
    logger?: Logger;
    clock?: () => Date;
    pollMs?: number;
  }) {
    this.#store = deps.store;
    this.#events = deps.events;
    this.#logger = deps.logger;
    this.#now = deps.clock ?? (() => new Date());
    this.#pollMs = deps.pollMs ?? 5_000;
  }

  async start(): Promise<void> {
    if (this.#unsubscribe) return;
    this.#unsubscribe = this.#events.subscribe('*', (e) => {
      if (e.type === 'run.finished') void this.#release(e.runId);
    });
    await this.#release(undefined);
    this.#timer = setInterval(() => void this.#release(undefined), this.#pollMs);
    this.#timer.unref();
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  async #release(blockerId: string | undefined): Promise<void> {
    try {
      const ids = await releaseReadyRuns(this.#store, this.#now, blockerId);
      if (ids.length > 0) this.#logger?.info({ runIds: ids, blockerId }, 'released queued runs');
    } catch (err) {
      this.#logger?.error({ err, blockerId }, 'releasing queued runs failed');
    }
  }
}
