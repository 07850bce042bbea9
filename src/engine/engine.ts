import { randomUUID } from 'node:crypto';
import { pino, type Logger } from 'pino';
import { AppError, notFound } from '../domain/errors.ts';
import { DEFAULT_ENVIRONMENT, MAX_WORKERS, MIN_WORKERS } from '../domain/project.ts';
import {
  emptyCounts,
  isTerminal,
  type Run,
  type Selection,
  type TriggerInfo,
} from '../domain/run.ts';
import { resolveRunOptions, type RunOptionsInput } from '../domain/run-options.ts';
import type { StrategyRequest } from '../domain/selection.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { Broadcast } from '../events/shared-event-bus.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import type { Store } from '../store/connect.ts';
import type { ArtifactStore } from '../store/artifacts/artifact-store.ts';
import { FilesystemArtifactStore } from '../store/artifacts/filesystem.ts';
import type { TestExecutor } from './executor.ts';
import { planJobs } from './data-variants.ts';
import { ArtifactSweeper, defaultRetention, type SweepReport } from './artifact-retention.ts';
import { checkVideo, type ArtifactSettings } from './artifact-settings.ts';
import { JobRunner } from './job-runner.ts';
import { endRunEarly } from './end-run-early.ts';
import { RunLogWriter, type RunLogFeed } from './run-log-writer.ts';
import { normalizeSelection, planOrder } from './plan.ts';
import { recoverRuns } from './recovery.ts';
import { selectTests } from './selection.ts';
import { estimateDurations } from './shard-plan.ts';
import { checkRunOptions } from './run-capabilities.ts';
import { CRAWL_CHECKS, crawlRequestOf } from './crawl-check-results.ts';
import type { RunCrawlRequest } from '../store/run-crawls.ts';

export type { ExecutorJob, TestExecutor } from './executor.ts';

export interface EngineDeps {
  store: Store;
  queue: JobQueue;
  events: EventBus;
  executor: TestExecutor;
  /** Artifacts go to `<dataDir>/artifacts/<runId>/<testId>-<attempt>/` unless `artifactStore` says otherwise. */
  dataDir: string;
  /** Where artifacts and baselines are kept (default: files below dataDir). */
  artifactStore?: ArtifactStore;
  /** Tests this process executes at once, across all runs. */
  workers: number;
  clock?: () => Date;
  logger?: Logger;
  /** On stop, how long running tests may finish before they are aborted and re-queued. */
  stopGraceMs?: number;
  /** Artifact size limits, retention sweep and video support (artifact-settings.ts). */
  artifacts?: ArtifactSettings;
  /**
   * On PostgreSQL, the channel that tells every process a run's stream log grew (its messages
   * carry the run and the id only). Without it only this process hears of its own writes.
   */
  streamChannel?: Broadcast;
  /**
   * How often the runs of the tests running here are read for an end that no event announced
   * (default 5 s): a run cancelled by a process killed right after its commit.
   */
  endPollMs?: number;
}

export interface CreateRunRequest {
  selection?: Selection;
  trigger: TriggerInfo;
  baseUrl?: string;
  environment?: string;
  parallelWorkers?: number;
  /** Narrows the selection by history or by what changed; the run records why (selection.ts). */
  strategy?: StrategyRequest;
  /** Execution options (retries, browser, device, …); omitted ones come from the defaults. */
  options?: RunOptionsInput;
  /**
   * Crawl the run's base URL before its tests (crawl-phase.ts): its checks become results of
   * the run, its test jobs wait for it. `pages` may be paths or URLs on the base URL's origin.
   * With a crawl, a selection that matches no approved test makes a crawl-only run.
   */
  crawl?: RunCrawlRequest;
  /**
   * Extra writes committed atomically with the run and its jobs (trigger metadata, an
   * Idempotency-Key, holding the jobs of a queued run); throwing rolls the run back.
   */
  onCreate?: (tx: Store, run: Run) => Promise<void>;
}

export interface WaitOptions {
  /** Aborting rejects with the signal's reason. */
  signal?: AbortSignal;
  /** After this long, resolves with the run as it is then (check `isTerminal`). */
  timeoutMs?: number;
  /**
   * How often the store is read again besides the run's events (default 1 s). Another process
   * sharing the database (a server beside `greenlight run`) may finish the run: its events never
   * reach this process's bus, so the run is followed through the database too.
   */
  pollMs?: number;
}

/**
 * Orchestrates runs: turns a request into a planned run and its jobs, runs `workers` loops
 * that take jobs from the queue, and recovers unfinished runs at start-up.
 */
export class Engine {
  readonly #d: Required<Omit<EngineDeps, 'logger' | 'clock' | 'streamChannel'>> & {
    clock: () => Date;
    logger: Logger;
  };
  readonly #runner: JobRunner;
  readonly #sweeper: ArtifactSweeper;
  readonly #log: RunLogWriter;
  #stopping = new AbortController();
  #loops: Promise<void>[] = [];
  #unsubscribe: (() => void) | null = null;
  #endPoll: NodeJS.Timeout | null = null;
  #started = false;

  constructor(deps: EngineDeps) {
    this.#d = {
      ...deps,
      clock: deps.clock ?? (() => new Date()),
      logger: deps.logger ?? pino({ level: 'silent' }),
      stopGraceMs: deps.stopGraceMs ?? 5_000,
      endPollMs: deps.endPollMs ?? 5_000,
      artifacts: deps.artifacts ?? {},
      artifactStore: deps.artifactStore ?? new FilesystemArtifactStore(deps.dataDir),
    };
    // From construction, not start(): a process that only queues and cancels runs (an API
    // beside workers, an engine never started) publishes events its clients must see too.
    this.#log = new RunLogWriter({
      store: deps.store,
      events: deps.events,
      channel: deps.streamChannel,
      logger: this.#d.logger,
    });
    this.#log.start();
    this.#runner = new JobRunner({ ...this.#d, runLog: this.#log });
    this.#sweeper = new ArtifactSweeper(
      this.#d,
      this.#d.artifacts.retention ?? defaultRetention,
      this.#d.artifacts.sweepIntervalMs,
    );
  }

  /** The run stream logs this process writes, and word of every process's writes. */
  get runLog(): RunLogFeed {
    return this.#log;
  }

  /** Where this engine keeps artifacts and baselines; the API serves and deletes through it. */
  get artifactStore(): ArtifactStore {
    return this.#d.artifactStore;
  }

  /** Whether the worker loops run (between start() and stop()); readiness reports it. */
  get running(): boolean {
    return this.#started;
  }

  /** Recover unfinished runs, then start the worker loops. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#log.start();
    this.#stopping = new AbortController();
    const { store, queue, events, logger } = this.#d;
    await recoverRuns(
      store,
      queue,
      (id) => this.#runner.finishRun(id),
      logger,
      this.#runner.timeouts,
    );
    // A run cancelled elsewhere (another process, via a shared bus) stops its tests here too,
    // when its event arrives or, failing that, when the poll reads its end.
    this.#unsubscribe = events.subscribe('*', (e) => {
      if (e.type === 'run.finished' && e.status === 'cancelled') {
        this.#runner.abort(e.runId, 'cancelled');
      }
    });
    this.#endPoll = setInterval(() => {
      this.#runner
        .abortEnded()
        .catch((err: unknown) => logger.warn({ err }, 'reading the ends of running runs failed'));
    }, this.#d.endPollMs);
    this.#endPoll.unref();
    if (this.#d.artifacts.retention) this.#sweeper.start();
    // 0: an API process beside `greenlight worker`s; it queues, follows and finishes runs.
    const n = Math.max(0, Math.floor(this.#d.workers));
    for (let i = 0; i < n; i++) this.#loops.push(this.#loop(`w${i + 1}`));
  }

  /**
   * Stop taking jobs; running tests get stopGraceMs to finish, then are aborted and re-queued.
   * Resolves once the events published until then are in their runs' logs.
   */
  async stop(): Promise<void> {
    await this.#stopLoops();
    await this.#log.stop();
  }

  async #stopLoops(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#stopping.abort();
    if (this.#runner.activeCount > 0) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((r) => (timer = setTimeout(r, this.#d.stopGraceMs)));
      await Promise.race([this.#runner.settled(), grace]);
      clearTimeout(timer);
      this.#runner.abort(null, 'stopping');
    }
    await Promise.all(this.#loops);
    this.#loops = [];
    this.#runner.timeouts.clear();
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    if (this.#endPoll) clearInterval(this.#endPoll);
    this.#endPoll = null;
    await this.#sweeper.stop();
  }

  /** Take the run's verdict if no job of it is left (a run's scan ended after its tests). */
  async finishRunIfIdle(runId: string): Promise<void> {
    if (!(await this.#d.queue.hasPending(runId))) await this.#runner.finishRun(runId);
  }

  /** Delete the artifacts of runs the retention policy expires now (one project, or all). */
  sweepArtifacts(opts: { projectId?: string } = {}): Promise<SweepReport> {
    return this.#sweeper.sweep(opts);
  }

  /** Give a run its verdict when nothing of it is left to do (after a crawl phase ended). */
  async settleRun(runId: string): Promise<void> {
    if (await this.#d.store.runCrawls.unfinished(runId)) return;
    if (!(await this.#d.queue.hasPending(runId))) await this.#runner.finishRun(runId);
  }

  /** Mark a run started (its crawl phase began): true when this call changed it. */
  async markRunStarted(run: Pick<Run, 'id' | 'projectId'>): Promise<boolean> {
    const at = this.#d.clock().toISOString();
    if (!(await this.#d.store.runs.markRunning(run.id, at))) return false;
    this.#d.events.publish({ type: 'run.started', runId: run.id, projectId: run.projectId, at });
    return true;
  }

  /**
   * Plan and queue a run of the project's approved tests matching the selection. The run and
   * one job per test are written in one transaction; the run is returned queued.
   */
  async createRun(projectId: string, req: CreateRunRequest): Promise<Run> {
    const { store, queue } = this.#d;
    const project = await store.projects.get(projectId);
    if (!project) throw notFound('project');
    // The one place a run's environment is decided: every way of starting a run comes here.
    const env = await store.environments.get(project.id, req.environment ?? DEFAULT_ENVIRONMENT);
    // Naming `default` is the same as naming none: a project without one runs on its own base
    // URL, so `"environment": "default"` works on a new project as on the demo.
    if (req.environment && req.environment !== DEFAULT_ENVIRONMENT && !env) {
      throw new AppError('not_found', `environment "${req.environment}" not found`, {
        environment: req.environment,
      });
    }
    const selection = normalizeSelection(req.selection);
    const { tests, detail } = await selectTests(
      store,
      project.id,
      selection,
      req.strategy,
      this.#d.clock(),
    ).catch((e: unknown) => {
      // A crawl gates on its own: with nothing approved yet (a new project), it runs alone.
      if (req.crawl && !req.strategy && e instanceof AppError && e.code === 'no_tests') {
        return { tests: [], detail: null };
      }
      throw e;
    });
    const durations = await estimateDurations(
      store,
      project.id,
      tests.map((t) => t.id),
    );
    const testIds = planOrder(tests, durations);
    const options = resolveRunOptions(
      { retries: project.retries, failOnFlaky: project.failOnFlaky, healing: project.healing },
      req.options,
    );
    checkRunOptions(options);
    checkVideo(options, this.#d.artifacts.findVideo);
    // A data test becomes one job per row; the run's total counts jobs, not tests.
    const jobs = await planJobs(store, project.id, testIds, tests, options.dataSet);
    const workers = req.parallelWorkers ?? project.parallelWorkers;
    const baseUrl = req.baseUrl ?? env?.baseUrl ?? project.baseUrl;
    const crawl = req.crawl ? crawlRequestOf(req.crawl, baseUrl) : undefined;
    const run: Run = {
      options,
      id: randomUUID(),
      projectId: project.id,
      status: 'queued',
      trigger: req.trigger,
      selection,
      testIds,
      baseUrl,
      environment: env?.name ?? null,
      parallelWorkers: Math.min(MAX_WORKERS, Math.max(MIN_WORKERS, Math.floor(workers))),
      ...(detail ? { selectionDetail: detail } : {}),
      error: null,
      ...emptyCounts(jobs.length + (crawl ? CRAWL_CHECKS.length : 0)),
      createdAt: this.#d.clock().toISOString(),
      startedAt: null,
      finishedAt: null,
    };
    await store.transaction(async (tx) => {
      await tx.runs.create(run, options);
      await queue.enqueue(run, jobs, { tx });
      if (crawl)
        await tx.runCrawls.insert({ runId: run.id, projectId: run.projectId, request: crawl });
      await req.onCreate?.(tx, run);
    });
    this.#d.events.publish({
      type: 'run.queued',
      runId: run.id,
      projectId: run.projectId,
      at: run.createdAt,
      counts: emptyCounts(run.total),
    });
    this.#d.logger.info(
      { runId: run.id, projectId: run.projectId, tests: run.total },
      'run queued',
    );
    return run;
  }

  /**
   * Cancel a run: queued tests never start, running ones are aborted and their results dropped,
   * and the run is marked `cancelled` with the counts of what had finished. A finished run is
   * returned unchanged. `reason` (who or why, never a secret) becomes the run's error. With `tx`
   * the cancellation is part of the caller's transaction (a `supersede` trigger cancels under
   * its key's lock), and the abort and `run.finished` wait for its commit: a rolled-back
   * cancellation must not stop tests or tell anyone.
   */
  async cancelRun(
    projectId: string,
    runId: string,
    opts: { reason?: string; tx?: Store } = {},
  ): Promise<Run> {
    const { queue } = this.#d;
    const store = opts.tx ?? this.#d.store;
    const run = await store.runs.get(projectId, runId);
    if (!run) throw notFound('run');
    if (isTerminal(run.status)) return run;
    const finishedAt = this.#d.clock().toISOString();
    const reason = opts.reason?.trim().slice(0, 500);
    const error = reason ? `the run was cancelled: ${reason}` : 'the run was cancelled';
    // Inside a caller's open transaction the writer cannot be waited for (on SQLite its write
    // would wait for that transaction): the lines it still holds may then follow `done`.
    if (!opts.tx) await this.#log.drain(run.id);
    const event = await store.transaction((tx) =>
      endRunEarly(tx, queue, run, { status: 'cancelled', finishedAt, error: () => error }),
    );
    store.afterCommit(() => {
      this.#runner.abort(run.id, 'cancelled');
      if (event) this.#d.events.publish(event);
    });
    const after = await store.runs.get(projectId, runId);
    if (!after) throw notFound('run');
    return after;
  }

  /**
   * Resolve with the run once it is finished (passed, failed, error, cancelled). Driven by the
   * run's `run.finished` event and a slow poll of the store (for runs another process finishes);
   * the store is read once up front so a run that already finished resolves at once.
   */
  waitForRun(runId: string, opts: WaitOptions = {}): Promise<Run> {
    const { store, events } = this.#d;
    return new Promise<Run>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const poll = setInterval(() => void read(false), Math.max(10, opts.pollMs ?? 1_000));
      const finish = (settle: () => void): void => {
        if (settled) return;
        settled = true;
        unsubscribe();
        clearTimeout(timer);
        clearInterval(poll);
        opts.signal?.removeEventListener('abort', onAbort);
        settle();
      };
      const read = async (resolveAnyway: boolean): Promise<void> => {
        try {
          const run = await store.runs.get(null, runId);
          if (!run) finish(() => reject(notFound('run')));
          else if (resolveAnyway || isTerminal(run.status)) finish(() => resolve(run));
        } catch (e) {
          finish(() => reject(e));
        }
      };
      const onAbort = (): void => finish(() => reject(opts.signal?.reason));
      const unsubscribe = events.subscribe(runId, (e) => {
        if (e.type === 'run.finished') void read(false);
      });
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(() => void read(true), Math.max(0, opts.timeoutMs));
      }
      void read(false);
    });
  }

  async #loop(workerId: string): Promise<void> {
    const { queue, logger } = this.#d;
    const signal = this.#stopping.signal;
    while (!signal.aborted) {
      let job;
      try {
        job = await queue.claim(workerId, signal);
      } catch (e) {
        logger.error({ err: e, workerId }, 'claiming a job failed');
        await pause(1_000, signal);
        continue;
      }
      if (!job) break;
      if (signal.aborted) {
        await queue.release(job).catch(() => {});
        break;
      }
      try {
        await this.#runner.run(job);
      } catch (e) {
        // A store failure mid-job: give the job back for another try rather than lose it.
        const ids = { runId: job.runId, jobId: job.id, testId: job.testId, workerId };
        logger.error({ err: e, ...ids }, 'running a job failed');
        await queue
          .retry(job, { delayMs: 1_000, error: e instanceof Error ? e.message : String(e) })
          .catch((err: unknown) => logger.error({ err, ...ids }, 'could not requeue job'));
      }
    }
  }
}

/** An abortable pause, only used to back off after a store error. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
