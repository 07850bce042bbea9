import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { isTerminal, type Run, type RunCounts, type TestResult } from '../domain/run.ts';
import { defaultRunOptions, type RunOptions } from '../domain/run-options.ts';
import { DEFAULT_TEST_TIMEOUT_MS } from '../domain/test-definition.ts';
import type { Test } from '../domain/test.ts';
import { makeMasker } from '../domain/variables.ts';
import { computeVerdict } from '../domain/verdict.ts';
import type { EventBus, RunEvent } from '../events/event-bus.ts';
import type { Job, JobQueue } from '../queue/job-queue.ts';
import type { Store } from '../store/connect.ts';
import {
  errorOutcome,
  executeWithDeadline,
  type TestExecutor,
  type TestOutcome,
} from './executor.ts';

/** A job that keeps killing its process is recorded as an error instead of run forever. */
export const MAX_ATTEMPTS = 3;
/** Time on top of a test's own timeout before the engine stops waiting for the executor. */
const DEADLINE_GRACE_MS = 30_000;

export interface JobRunnerDeps {
  store: Store;
  queue: JobQueue;
  events: EventBus;
  executor: TestExecutor;
  dataDir: string;
  clock: () => Date;
  logger: Logger;
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

  constructor(deps: JobRunnerDeps) {
    this.#d = deps;
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
    if (runId !== null && kind === 'cancelled') this.#contexts.delete(runId);
    for (const a of this.#active.values()) {
      if (runId !== null && a.runId !== runId) continue;
      a.kind ??= kind;
      a.controller.abort(
        new Error(kind === 'cancelled' ? 'the run was cancelled' : 'shutting down'),
      );
    }
  }

  async run(job: Job): Promise<void> {
    const { store, queue } = this.#d;
    const run = await store.runs.get(null, job.runId);
    if (!run || isTerminal(run.status)) {
      await queue.discard(job);
      return;
    }
    if (await store.runs.markRunning(run.id, this.#now())) {
      this.#publish(run, { type: 'run.started' });
    }
    const test = await store.tests.get(run.projectId, job.testId);
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
    } else if (job.attempt > MAX_ATTEMPTS) {
      outcome = errorOutcome(
        test,
        `the process running this test stopped ${job.attempt - 1} times; not trying again`,
        startedAt,
        this.#d.clock(),
      );
    } else {
      this.#publish(run, {
        type: 'test.started',
        testId: test.id,
        testName: test.name,
        attempt: job.attempt,
      });
      ({ outcome, kind } = await this.#execute(run, test, job));
    }

    if (kind === 'stopping') {
      // Not a result: the test was interrupted by our own shutdown and runs again at start-up.
      await queue.release(job);
      return;
    }
    if (kind === 'cancelled') {
      await queue.discard(job);
      return;
    }
    const result: TestResult = {
      ...outcome,
      id: randomUUID(),
      runId: run.id,
      testId: job.testId,
      attempt: job.attempt,
    };
    if (!(await queue.complete(job, result))) {
      this.#d.logger.warn({ jobId: job.id, runId: run.id }, 'job lock lost; result dropped');
      return;
    }
    const counts = await this.#counts(run);
    this.#publish(run, {
      type: 'test.finished',
      testId: result.testId,
      testName: result.testName,
      attempt: result.attempt,
      status: result.status,
      durationMs: result.durationMs,
      // Live streams show why a test failed without reading the result back.
      error: result.error,
      counts,
    });
    if ((await queue.pending(run.id)) === 0) await this.finishRun(run.id);
  }

  /** Write the verdict of a run whose jobs are all done (idempotent; one caller wins). */
  async finishRun(runId: string): Promise<void> {
    const { store } = this.#d;
    const run = await store.runs.get(null, runId);
    if (!run || isTerminal(run.status)) return;
    const counts = await this.#counts(run);
    const verdict = computeVerdict(counts);
    const f = { status: verdict.status, error: verdict.error, counts, finishedAt: this.#now() };
    if (await store.runs.finish(run.id, f)) {
      this.#publish(run, { type: 'run.finished', status: f.status, error: f.error, counts });
    }
    this.#contexts.delete(run.id);
  }

  async #execute(
    run: Run,
    test: Test,
    job: Job,
  ): Promise<{ outcome: TestOutcome; kind: AbortKind | null }> {
    const controller = new AbortController();
    let settle!: () => void;
    const active: Active = {
      runId: run.id,
      controller,
      kind: null,
      done: new Promise((r) => (settle = r)),
    };
    this.#active.set(job.id, active);
    const startedAt = this.#d.clock();
    let mask = (t: string): string => t;
    try {
      const ctx = await this.#context(run);
      mask = makeMasker(ctx.secrets);
      const folder = `${test.id}-${job.attempt}`;
      const artifactsDir = join(this.#d.dataDir, 'artifacts', run.id, folder);
      await mkdir(artifactsDir, { recursive: true });
      const deadline = (test.timeoutMs ?? DEFAULT_TEST_TIMEOUT_MS) + DEADLINE_GRACE_MS;
      const outcome = await executeWithDeadline(
        this.#d.executor,
        {
          run,
          test,
          attempt: job.attempt,
          variables: { ...test.variables, ...ctx.variables },
          secrets: ctx.secrets,
          artifactsDir,
          artifactsBase: `artifacts/${run.id}/${folder}`,
          options: ctx.options,
        },
        controller,
        deadline,
      );
      return { outcome: { ...outcome, testId: test.id }, kind: active.kind };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.#d.logger.warn({ runId: run.id, testId: test.id, err: mask(message) }, 'test errored');
      return {
        outcome: errorOutcome(test, mask(message), startedAt, this.#d.clock()),
        kind: active.kind,
      };
    } finally {
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
    const variables = env?.variables ?? {};
    const secrets = (env?.secretNames ?? [])
      .map((n) => variables[n])
      .filter((v): v is string => typeof v === 'string' && v.length > 0);
    return { variables, secrets, options: options ?? { ...defaultRunOptions } };
  }

  async #counts(run: Run): Promise<RunCounts> {
    return { total: run.testIds.length, ...(await this.#d.store.results.tally(run.id)) };
  }

  #now(): string {
    return this.#d.clock().toISOString();
  }

  #publish(run: Run, e: Omit<RunEvent, 'runId' | 'projectId' | 'at'>): void {
    this.#d.events.publish({ ...e, runId: run.id, projectId: run.projectId, at: this.#now() });
  }
}
