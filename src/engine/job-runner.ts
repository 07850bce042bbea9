import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  isTerminal,
  type AttemptRecord,
  type ResultStatus,
  type Run,
  type RunCounts,
  type TestResult,
} from '../domain/run.ts';
import { defaultRunOptions, type RunOptions } from '../domain/run-options.ts';
import { DEFAULT_TEST_TIMEOUT_MS } from '../domain/test-definition.ts';
import type { Test } from '../domain/test.ts';
import { maskResult } from '../domain/mask-result.ts';
import { makeMasker, maskDeep, type Masker } from '../domain/secret-masker.ts';
import { computeVerdict } from '../domain/verdict.ts';
import { withScanVerdict } from '../domain/scan-verdict.ts';
import { runScanOutcome } from './run-scan-outcome.ts';
import type { EventBus, RunEvent } from '../events/event-bus.ts';
import type { Job, JobQueue } from '../queue/job-queue.ts';
import type { ArtifactStore } from '../store/artifacts/artifact-store.ts';
import type { Store } from '../store/connect.ts';
import { defaultArtifactLimits, limitOutcomeArtifacts } from './artifact-limits.ts';
import { publishAttempt } from './artifact-publish.ts';
import type { ArtifactSettings } from './artifact-settings.ts';
import {
  errorOutcome,
  executeWithDeadline,
  type TestExecutor,
  type TestOutcome,
} from './executor.ts';
import { jobVariant } from './data-variants.ts';
import type { RunLogFeed } from './run-log-writer.ts';
import { logInTransaction } from './log-in-transaction.ts';
import { RunTimeouts } from './run-timeout.ts';
import { baselineSource, recordNewBaselines } from './visual-baselines.ts';
import { loadLocatorMemory, rememberLocators } from './healing-memory.ts';

/** A job that keeps killing its process is recorded as an error instead of run forever. */
const MAX_ATTEMPTS = 3;
/** Time on top of a test's own timeout before the engine stops waiting for the executor. */
const DEADLINE_GRACE_MS = 30_000;

export interface JobRunnerDeps {
  store: Store;
  queue: JobQueue;
  events: EventBus;
  executor: TestExecutor;
  dataDir: string;
  /** Where artifacts and baselines are kept; tests write below its staging folder first. */
  artifactStore: ArtifactStore;
  clock: () => Date;
  logger: Logger;
  /** Size limits on artifacts (default: 50 MB a file, 500 MB a run). */
  artifacts?: ArtifactSettings;
  /** The run stream logs this process writes: drained before a result's lines are written. */
  runLog: Pick<RunLogFeed, 'drain'>;
}

/** Why an execution was aborted: a cancelled run discards it, a stopping engine gives it back. */
type AbortKind = 'cancelled' | 'stopping';

interface Active {
  runId: string;
  controller: AbortController;
  kind: AbortKind | null;
  done: Promise<void>;
}

/** Per-run data every job of the run shares, loaded once per process. */
interface RunContext {
  variables: Record<string, string>;
  secrets: string[];
  options: RunOptions;
}

/** Takes one claimed job through execute → record → publish → (last job) verdict. */
export class JobRunner {
  readonly #d: JobRunnerDeps;
  readonly #active = new Map<string, Active>();
  readonly #contexts = new Map<string, Promise<RunContext>>();
  readonly #lanes = new Lanes();
  /** Unfinished runs this process has jobs of, read once (see #run). */
  readonly #runs = new Map<string, Run>();
  /** Data-row variables of the jobs running now, by job id. */
  readonly #rows = new Map<string, Record<string, string>>();
  /** Each run's masker, once its context has loaded: results and events pass through it. */
  readonly #maskers = new Map<string, Masker>();
  /** Per-run time limits; the engine's recovery and stop use it too. */
  readonly timeouts: RunTimeouts;

  constructor(deps: JobRunnerDeps) {
    this.#d = deps;
    this.timeouts = new RunTimeouts({ ...deps, abortRun: (id) => this.abort(id, 'cancelled') });
  }

  get activeCount(): number {
    return this.#active.size;
  }

  /** Resolves when every execution running now has settled. */
  async settled(): Promise<void> {
    await Promise.all([...this.#active.values()].map((a) => a.done));
  }

  /** Abort the running executions of one run (or all, with runId null). */
  abort(runId: string | null, kind: AbortKind): void {
    if (runId !== null && kind === 'cancelled') this.#forget(runId);
    for (const a of this.#active.values()) {
      if (runId !== null && a.runId !== runId) continue;
      a.kind ??= kind;
      a.controller.abort(
        new Error(kind === 'cancelled' ? 'the run was cancelled' : 'shutting down'),
      );
    }
  }

  /**
   * Abort the running tests of runs that have ended (cancelled or timed out elsewhere): what
   * `run.finished` does when it arrives, for when it does not (the process that ended the run
   * was killed right after its commit). Reads one status per run running here.
   */
  async abortEnded(): Promise<void> {
    const runIds = new Set([...this.#active.values()].map((a) => a.runId));
    for (const runId of runIds) {
      const status = await this.#d.store.runs.status(runId);
      if (status && isTerminal(status)) this.abort(runId, 'cancelled');
    }
  }

  async run(job: Job): Promise<void> {
    const { store, queue } = this.#d;
    // Every line logged for this job names it, its run and its test, whatever writes it.
    const log = this.#d.logger.child({ runId: job.runId, jobId: job.id, testId: job.testId });
    const run = await this.#run(job.runId);
    if (!run) {
      log.debug('job of a finished run discarded');
      await queue.discard(job);
      return;
    }
    if (run.status === 'queued' && (await store.runs.markRunning(run.id, this.#now()))) {
      this.#publish(run, { type: 'run.started' });
    }
    const stored = await store.tests.get(run.projectId, job.testId);
    // A data-test job runs one row: its name carries the row, its variables win over the others.
    const variant = stored
      ? await jobVariant(store, stored, job, () =>
          this.#context(run).then((c) => c.options.dataSet),
        )
      : null;
    const test = variant?.test;
    if (variant) this.#rows.set(job.id, variant.row);
    const startedAt = this.#d.clock();
    let outcome: TestOutcome;
    let kind: AbortKind | null = null;
    if (!test) {
      outcome = errorOutcome(
        { id: job.testId, name: job.testId },
        'the test was deleted before it could run',
        startedAt,
        this.#d.clock(),
      );
    } else if (variant?.error) {
      outcome = errorOutcome(test, variant.error, startedAt, this.#d.clock());
    } else if (job.attempt > MAX_ATTEMPTS) {
      outcome = errorOutcome(
        test,
        `the process running this test stopped ${job.attempt - 1} times; not trying again`,
        startedAt,
        this.#d.clock(),
      );
    } else {
      log.debug({ attempt: job.attempt }, 'test started');
      ({ outcome, kind } = await this.#attempts(run, test, job, log));
    }
    this.#rows.delete(job.id);

    if (kind === 'stopping') {
      // Not a result: the test was interrupted by our own shutdown and runs again at start-up.
      log.info('test handed back to the queue (shutting down)');
      await queue.release(job);
      return;
    }
    if (kind === 'cancelled') {
      log.debug('test discarded (run cancelled)');
      await queue.discard(job);
      return;
    }
    const { attempt = job.attempt, ...rest } = outcome as TestOutcome & { attempt?: number };
    // The one boundary to the store and the bus: whatever the executor (or a remote worker)
    // returned, no secret reaches a row, a report, a stream or a notification.
    const mask = await this.#masker(run);
    const result: TestResult = maskResult(
      {
        ...rest,
        id: randomUUID(),
        runId: run.id,
        testId: job.testId,
        attempt,
        ...(job.variant ? { variant: job.variant } : {}),
        ...(variant?.label ? { row: variant.label } : {}),
        ...(test?.quarantine ? { quarantined: true } : {}),
      },
      mask,
    );
    // The result's stream lines are written in the transaction that records it.
    await this.#d.runLog.drain(run.id);
    const events: RunEvent[] = [];
    const recorded = await queue.complete(job, result, async (tx) => {
      const counts = await this.#counts(run, tx);
      if (result.healed?.length) {
        // A healed test passes, but never silently: streams and the CLI say what was healed.
        events.push(
          this.#event(run, {
            type: 'test.healed',
            testId: result.testId,
            testName: result.testName,
            attempt: result.attempt,
            healed: result.healed,
          }),
        );
      }
      events.push(this.#event(run, testFinished(result, counts)));
      await logInTransaction(tx, events);
    });
    if (!recorded) {
      log.warn('job lock lost; result dropped');
      return;
    }
    log.debug(
      { status: result.status, attempt: result.attempt, durationMs: result.durationMs },
      'test finished',
    );
    for (const e of events) this.#d.events.publish(e);
    if (!(await queue.hasPending(run.id))) await this.finishRun(run.id);
  }

  /**
   * The run a job belongs to, while it is unfinished. Its plan (the whole test list) is read
   * and parsed once per process, not once per job: only its status is read again each time.
   */
  async #run(runId: string): Promise<Run | undefined> {
    const cached = this.#runs.get(runId);
    if (cached) {
      const status = await this.#d.store.runs.status(runId);
      if (status && !isTerminal(status)) {
        if (status !== cached.status) this.#runs.set(runId, { ...cached, status });
        return this.#runs.get(runId);
      }
      this.#forget(runId);
      return undefined;
    }
    const run = await this.#d.store.runs.get(null, runId);
    if (!run || isTerminal(run.status)) return undefined;
    this.#runs.set(runId, run);
    return run;
  }

  /** Drop what this process keeps of a run that ended. */
  #forget(runId: string): void {
    this.#runs.delete(runId);
    this.#contexts.delete(runId);
    this.#maskers.delete(runId);
    this.timeouts.disarm(runId);
  }

  /** Write the verdict of a run whose jobs are all done (idempotent; one caller wins). */
  async finishRun(runId: string): Promise<void> {
    const { store } = this.#d;
    const run = await store.runs.get(null, runId);
    if (!run || isTerminal(run.status)) return;
    // A run with a scan waits for it; the scan's end calls back here.
    const scan = await runScanOutcome(store, run.id);
    if (scan === 'pending') return;
    const [counts, options] = await Promise.all([this.#counts(run), store.runs.options(run.id)]);
    const tests = computeVerdict(counts, { failOnFlaky: options?.failOnFlaky ?? false });
    const verdict = withScanVerdict(tests, scan);
    const f = { status: verdict.status, error: verdict.error, counts, finishedAt: this.#now() };
    const event = this.#event(run, {
      type: 'run.finished',
      status: f.status,
      error: f.error,
      counts,
    });
    await this.#d.runLog.drain(run.id);
    const finished = await store.transaction(async (tx) => {
      if (!(await tx.runs.finish(run.id, f))) return false;
      await logInTransaction(tx, [event]);
      return true;
    });
    if (finished) {
      this.#d.logger.info({ runId: run.id, status: f.status, counts }, 'run finished');
      this.#d.events.publish(event);
    }
    this.#forget(run.id);
  }

  /** The run's masker; a run whose context cannot load has no secrets we could know. */
  async #masker(run: Run): Promise<Masker> {
    try {
      return makeMasker((await this.#context(run)).secrets);
    } catch {
      return (t) => t;
    }
  }

  /**
   * Run the test, and again (fresh context, own artifacts folder) while it fails or errors and
   * the run's retries allow. The last attempt's outcome stands, with the earlier ones attached;
   * failing first and then passing makes it `flaky`. An aborted attempt is never retried.
   */
  async #attempts(
    run: Run,
    test: Test,
    job: Job,
    log: Logger,
  ): Promise<{ outcome: TestOutcome & { attempt: number }; kind: AbortKind | null }> {
    // A context that cannot load makes the first attempt an error; it is not retried either.
    const retries = await this.#context(run).then(
      (c) => c.options.retries,
      () => 0,
    );
    const earlier: AttemptRecord[] = [];
    // Attempt numbers continue after a process restart re-ran the job (job.attempt > 1).
    const first = job.attempt;
    for (let n = 1; ; n++) {
      const attempt = first + n - 1;
      this.#publish(run, {
        type: 'test.started',
        testId: test.id,
        testName: test.name,
        attempt,
      });
      const { outcome, kind } = await this.#execute(run, test, job, n, log);
      const retry = kind === null && isFailure(outcome.status) && n <= retries;
      if (!retry || (await this.#runEnded(run.id))) {
        const status: ResultStatus =
          earlier.length > 0 && outcome.status === 'passed' ? 'flaky' : outcome.status;
        const withRetries = earlier.length > 0 ? { retries: earlier } : {};
        return { outcome: { ...outcome, ...withRetries, status, attempt }, kind };
      }
      log.info({ attempt, status: outcome.status }, 'test retrying');
      earlier.push(attemptRecord(attempt, outcome));
      this.#publish(run, {
        type: 'test.retrying',
        testId: test.id,
        testName: test.name,
        attempt,
        status: outcome.status,
        error: outcome.error,
      });
    }
  }

  /** The run finished (cancelled, timed out) while a test was between attempts. */
  async #runEnded(runId: string): Promise<boolean> {
    const status = await this.#d.store.runs.status(runId);
    return !status || isTerminal(status);
  }

  async #execute(
    run: Run,
    test: Test,
    job: Job,
    /** 1 for the first try of this job, 2 for its first retry, … */
    n: number,
    log: Logger,
  ): Promise<{ outcome: TestOutcome; kind: AbortKind | null }> {
    const controller = new AbortController();
    let settle!: () => void;
    const active: Active = {
      runId: run.id,
      controller,
      kind: null,
      done: new Promise((r) => (settle = r)),
    };
    // Attempts of one job run one after another, so the job id stays a unique key.
    this.#active.set(job.id, active);
    const startedAt = this.#d.clock();
    let mask = (t: string): string => t;
    /** What of the attempt's staging folder is left at the end goes (an errored test's files). */
    let staged: string | null = null;
    try {
      const ctx = await this.#context(run);
      mask = makeMasker(ctx.secrets);
      // The first attempt keeps the historic folder name; each retry gets its own.
      const row = job.variant ? `-row${job.variant}` : '';
      const folder = `${test.id}${row}-${job.attempt}${n > 1 ? `-retry${n - 1}` : ''}`;
      const artifactsBase = `artifacts/${run.id}/${folder}`;
      const artifactsRoot = this.#d.artifactStore.stagingRoot;
      const artifactsDir = join(artifactsRoot, 'artifacts', run.id, folder);
      staged = artifactsBase;
      await mkdir(artifactsDir, { recursive: true });
      const deadline = (test.timeoutMs ?? DEFAULT_TEST_TIMEOUT_MS) + DEADLINE_GRACE_MS;
      const locatorMemory = await loadLocatorMemory(this.#d.store, run.projectId, test, log);
      // A cancel that landed between the claim and here found nothing to abort (this execution
      // was not registered yet, or it was and the signal is set): look once more before starting.
      if (!active.kind && (controller.signal.aborted || (await this.#runEnded(run.id)))) {
        active.kind = 'cancelled';
      }
      if (active.kind) {
        const why = active.kind === 'cancelled' ? 'the run was cancelled' : 'shutting down';
        return { outcome: errorOutcome(test, why, startedAt, this.#d.clock()), kind: active.kind };
      }
      // Held for the execution only: the next test may take it as soon as this one's browser
      // work is done, before the result is written (see Lanes).
      const lane = this.#lanes.take();
      const outcome = await executeWithDeadline(
        this.#d.executor,
        {
          run,
          test,
          lane,
          attempt: job.attempt + n - 1,
          variables: { ...test.variables, ...ctx.variables, ...this.#rows.get(job.id) },
          secrets: ctx.secrets,
          artifactsDir,
          artifactsBase,
          artifactsRoot,
          options: ctx.options,
          baselines: baselineSource(this.#d.store, this.#d.artifactStore, run.projectId, test.id),
          locatorMemory,
        },
        controller,
        deadline,
      ).finally(() => this.#lanes.release(lane));
      if (outcome.visual && !active.kind) {
        const { store, artifactStore } = this.#d;
        await recordNewBaselines(store, artifactStore, run, test.id, outcome.visual, log);
      }
      const remembered = await rememberLocators(
        this.#d.store,
        run.projectId,
        test.id,
        outcome,
        log,
      );
      const addRunBytes = (delta: number): Promise<number> =>
        this.#d.store.runs.addArtifactBytes(run.id, delta);
      const limited = await limitOutcomeArtifacts(
        remembered,
        { dataDir: artifactsRoot, attemptDir: artifactsDir, addRunBytes },
        this.#d.artifacts?.limits ?? defaultArtifactLimits,
      );
      const published = await publishAttempt(
        this.#d.artifactStore,
        artifactsBase,
        limited,
        addRunBytes,
        log,
      );
      return { outcome: { ...published, testId: test.id }, kind: active.kind };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      log.warn({ err: mask(message) }, 'test errored');
      return {
        outcome: errorOutcome(test, mask(message), startedAt, this.#d.clock()),
        kind: active.kind,
      };
    } finally {
      if (staged) await this.#d.artifactStore.discard(staged).catch(() => undefined);
      this.#active.delete(job.id);
      settle();
    }
  }

  #context(run: Run): Promise<RunContext> {
    let ctx = this.#contexts.get(run.id);
    if (!ctx) {
      ctx = this.#loadContext(run);
      this.#contexts.set(run.id, ctx);
      // A failed load must not poison later jobs of the run.
      ctx.catch(() => this.#contexts.delete(run.id));
    }
    return ctx;
  }

  async #loadContext(run: Run): Promise<RunContext> {
    const { store } = this.#d;
    const [env, options] = await Promise.all([
      run.environment ? store.environments.get(run.projectId, run.environment) : undefined,
      store.runs.options(run.id),
    ]);
    if (run.environment && !env) {
      throw new Error(`environment "${run.environment}" was deleted after the run was queued`);
    }
    const resolved = options ?? { ...defaultRunOptions };
    this.timeouts.arm(run.id, run.startedAt ?? this.#now(), resolved.timeoutMs);
    const variables = env?.variables ?? {};
    const secrets = (env?.secretNames ?? [])
      .map((n) => variables[n])
      .filter((v): v is string => typeof v === 'string' && v.length > 0);
    // Events published from now on (test.started of the first job too) are masked.
    this.#maskers.set(run.id, makeMasker(secrets));
    return { variables, secrets, options: resolved };
  }

  async #counts(run: Run, store: Store = this.#d.store): Promise<RunCounts> {
    // run.total counts jobs: a data test has one per row.
    return { total: run.total, ...(await store.results.tally(run.id)) };
  }

  #now(): string {
    return this.#d.clock().toISOString();
  }

  #publish(run: Run, e: Omit<RunEvent, 'runId' | 'projectId' | 'at'>): void {
    this.#d.events.publish(this.#event(run, e));
  }

  /** The event as published: user text masked, the run and the time added. */
  #event(run: Run, e: Omit<RunEvent, 'runId' | 'projectId' | 'at'>): RunEvent {
    const mask = this.#maskers.get(run.id);
    // Type, status and counts are ours; names, errors and healing notes are user text.
    const masked = mask
      ? { ...maskDeep(e, mask), type: e.type, ...('status' in e ? { status: e.status } : {}) }
      : e;
    return { ...masked, runId: run.id, projectId: run.projectId, at: this.#now() };
  }
}

/**
 * Browser lanes (browser-pool.ts: one browser process each) of the tests executing now. Each
 * takes the lowest free one, so a run of k parallel tests keeps to k browsers however many
 * workers the process has (a worker's own index made a 1-worker run start one per worker).
 */
class Lanes {
  readonly #held = new Set<number>();
  take(): number {
    let lane = 0;
    while (this.#held.has(lane)) lane++;
    this.#held.add(lane);
    return lane;
  }
  release(lane: number): void {
    this.#held.delete(lane);
  }
}

const isFailure = (s: ResultStatus): boolean => s === 'failed' || s === 'error';

/** The `test.finished` event of a recorded result, with the run's counts after it. */
export function testFinished(
  result: TestResult,
  counts: RunCounts,
): Omit<RunEvent, 'runId' | 'projectId' | 'at'> {
  return {
    type: 'test.finished',
    testId: result.testId,
    testName: result.testName,
    attempt: result.attempt,
    status: result.status,
    durationMs: result.durationMs,
    // Live streams show why a test failed without reading the result back.
    error: result.error,
    counts,
  };
}

/** What an earlier attempt keeps: enough to report it, not its console and network logs. */
function attemptRecord(attempt: number, o: TestOutcome): AttemptRecord {
  return {
    attempt,
    status: o.status,
    error: o.error,
    failedStep: o.failedStep,
    durationMs: o.durationMs,
    steps: o.steps,
    artifacts: o.artifacts,
    startedAt: o.startedAt,
    finishedAt: o.finishedAt,
  };
}
