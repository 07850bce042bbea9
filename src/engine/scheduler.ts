import { pino, type Logger } from 'pino';
import type { Run } from '../domain/run.ts';
import type { Store } from '../store/connect.ts';
import type { Schedule } from '../store/schedules.ts';
import type { CreateRunRequest } from './engine.ts';
import { dueFireTime } from './schedule-cron.ts';

/** The one thing the scheduler needs from the engine (the Engine itself in production). */
export interface RunCreator {
  createRun(projectId: string, req: CreateRunRequest): Promise<Run>;
}

export interface SchedulerDeps {
  store: Store;
  engine: RunCreator;
  /** Every time decision reads this clock; tests pin it. */
  clock?: () => Date;
  logger?: Logger;
  /** How often `start()` ticks (default 15 s; cron patterns have minute resolution). */
  tickMs?: number;
}

/** What one tick did, for logs and tests. */
export interface TickReport {
  fired: { scheduleId: string; runId: string; fireAt: string }[];
  /** Firings this process claimed whose run could not start (recorded as last_error). */
  failed: { scheduleId: string; fireAt: string; error: string }[];
  /** Firings another process (or an earlier tick) claimed first. */
  skipped: { scheduleId: string; fireAt: string }[];
}

/** Thrown inside the run's transaction when another process claimed the firing first. */
class ClaimLost extends Error {
  constructor() {
    super('firing claimed by another scheduler');
    this.name = 'ClaimLost';
  }
}

const later = (a: string, b: string | null): string => (b !== null && b > a ? b : a);

/**
 * Starts runs for due cron schedules. Safe with many processes on one database: a firing is
 * claimed by a conditional UPDATE of `schedules.last_fired_at` inside the same transaction that
 * creates the run, so exactly one process creates it and a crash between the two loses neither.
 *
 * Catch-up policy: when several occurrences were missed (server down, long tick), only the
 * latest one fires, once; the next firing is the first occurrence after it. Never a burst.
 */
export class Scheduler {
  readonly #store: Store;
  readonly #engine: RunCreator;
  readonly #clock: () => Date;
  readonly #logger: Logger;
  readonly #tickMs: number;
  #timer: NodeJS.Timeout | null = null;
  #inFlight: Promise<unknown> | null = null;
  #started = false;

  constructor(deps: SchedulerDeps) {
    this.#store = deps.store;
    this.#engine = deps.engine;
    this.#clock = deps.clock ?? (() => new Date());
    this.#logger = deps.logger ?? pino({ level: 'silent' });
    this.#tickMs = Math.max(1_000, deps.tickMs ?? 15_000);
  }

  /** Tick at once (the catch-up after downtime), then every tickMs until stop(). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#loop();
  }

  /** Stop ticking and wait for a tick in progress to finish. */
  async stop(): Promise<void> {
    this.#started = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#inFlight?.catch(() => {});
  }

  /** Fire every enabled schedule due at `now` (default: the clock). Exposed for tests. */
  async tick(now: Date = this.#clock()): Promise<TickReport> {
    const report: TickReport = { fired: [], failed: [], skipped: [] };
    const schedules = await this.#store.schedules.listEnabled();
    for (const s of schedules) {
      try {
        await this.#fireIfDue(s, now, report);
      } catch (e) {
        // A store hiccup on one schedule must not stop the others; the firing stays unclaimed
        // and the next tick tries again.
        this.#logger.error({ err: e, scheduleId: s.id }, 'schedule tick failed');
      }
    }
    return report;
  }

  #loop(): void {
    if (!this.#started) return;
    const tick = this.tick().catch((e: unknown) => {
      this.#logger.error({ err: e }, 'scheduler tick failed');
    });
    this.#inFlight = tick;
    void tick.finally(() => {
      this.#inFlight = null;
      if (!this.#started) return;
      this.#timer = setTimeout(() => this.#loop(), this.#tickMs);
      this.#timer.unref();
    });
  }

  async #fireIfDue(s: Schedule, now: Date, report: TickReport): Promise<void> {
    const since = new Date(later(s.anchorAt, s.lastFiredAt));
    let due: Date | null;
    try {
      due = dueFireTime(s.cron, s.timezone, since, now);
    } catch (e) {
      // Only possible for a row written around the API's validation; say so once per tick.
      this.#logger.warn({ err: e, scheduleId: s.id }, 'schedule has an unusable cron or zone');
      return;
    }
    if (!due) return;
    const fireAt = due.toISOString();
    const req: CreateRunRequest = {
      selection: s.selection,
      trigger: { source: 'schedule', actor: s.name },
      ...(s.environment !== null ? { environment: s.environment } : {}),
      ...(s.baseUrl !== null ? { baseUrl: s.baseUrl } : {}),
      ...(s.parallelWorkers !== null ? { parallelWorkers: s.parallelWorkers } : {}),
      ...(s.strategy !== null ? { strategy: s.strategy } : {}),
      ...(s.options !== null ? { options: s.options } : {}),
      onCreate: async (tx, run) => {
        const won = await tx.schedules.claimFiring(s.id, fireAt, { runId: run.id, error: null });
        if (!won) throw new ClaimLost();
      },
    };
    let run: Run;
    try {
      run = await this.#engine.createRun(s.projectId, req);
    } catch (e) {
      if (e instanceof ClaimLost) {
        report.skipped.push({ scheduleId: s.id, fireAt });
        return;
      }
      // No run could start (no approved tests match, the environment is gone): the firing is
      // still spent, with the reason kept on the schedule, so it is not retried every tick.
      const error = e instanceof Error ? e.message : String(e);
      if (await this.#store.schedules.claimFiring(s.id, fireAt, { runId: null, error })) {
        report.failed.push({ scheduleId: s.id, fireAt, error });
        this.#logger.warn(
          { scheduleId: s.id, projectId: s.projectId, fireAt, error },
          'scheduled run could not start',
        );
      } else {
        report.skipped.push({ scheduleId: s.id, fireAt });
      }
      return;
    }
    report.fired.push({ scheduleId: s.id, runId: run.id, fireAt });
    this.#logger.info(
      { scheduleId: s.id, projectId: s.projectId, runId: run.id, fireAt },
      'schedule fired',
    );
  }
}
