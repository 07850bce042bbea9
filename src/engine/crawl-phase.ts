import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';
import type { CrawlToEnd } from '../crawl/crawl-jobs.ts';
import { crawlFindings } from '../crawl/crawl-checks.ts';
import type { GeneratedKind } from '../crawl/generate.ts';
import { generatedKinds } from '../crawl/generate.ts';
import type { Run } from '../domain/run.ts';
import type { EventBus, RunEvent } from '../events/event-bus.ts';
import type { Store } from '../store/connect.ts';
import type { RunCrawl, RunCrawlRequest, RunCrawlSummary } from '../store/run-crawls.ts';
import { crawlCheckResults, type CrawlEnd } from './crawl-check-results.ts';
import { testFinished } from './job-runner.ts';
import { defined } from '../domain/defined.ts';

/** What the phase needs of the engine: start a run and give it its verdict. */
export interface PhaseEngine {
  markRunStarted(run: Pick<Run, 'id' | 'projectId'>): Promise<boolean>;
  settleRun(runId: string): Promise<void>;
}

export interface CrawlPhaseDeps {
  store: Store;
  events: EventBus;
  engine: PhaseEngine;
  /** The existing crawler (CrawlService). */
  crawler: CrawlToEnd;
  logger?: Logger;
  clock?: () => Date;
  /** Crawls this process runs at once (default 2). */
  concurrency?: number;
  /** How often a running phase renews its lease (default 10 s). */
  heartbeatMs?: number;
  /** A lease not renewed for this long is taken over by another process (default 60 s). */
  leaseMs?: number;
  /** How often to look for phases to start besides run events (default 2 s). */
  pollMs?: number;
}

const formKinds: GeneratedKind[] = ['form-validation', 'form-submit'];

/** The generator's kinds for a run's request: `fillForms: false` leaves the form tests out. */
function kindsOf(r: RunCrawlRequest): GeneratedKind[] | undefined {
  if (r.fillForms !== false) return undefined;
  return generatedKinds.filter((k) => !formKinds.includes(k));
}

/**
 * Runs the crawl phase of runs that crawl their base URL before their tests (AegisRunner's
 * `crawl: true`). A phase starts once its run waits for no other run; it crawls with the
 * existing crawler (so the crawl is recorded like any other, with its site map), turns broken
 * links and pages answering 5xx into results of the run, leaves generated drafts in the review
 * queue (never in this run) with a note saying so, and then lets the run's held test jobs go.
 * Phases are claimed in the database under a lease with a heartbeat, so several processes on
 * one database never crawl one run twice, and a phase of a process that died is taken over once
 * its lease has expired.
 */
export class CrawlPhases {
  readonly #d: Required<Omit<CrawlPhaseDeps, 'logger' | 'clock'>> & {
    logger: Logger;
    clock: () => Date;
  };
  readonly #owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  readonly #active = new Map<string, { controller: AbortController; done: Promise<void> }>();
  #unsubscribe: (() => void) | null = null;
  #timer: NodeJS.Timeout | null = null;
  #kicking: Promise<void> | null = null;
  #again = false;
  #stopped = true;

  constructor(deps: CrawlPhaseDeps) {
    this.#d = {
      concurrency: 2,
      heartbeatMs: 10_000,
      leaseMs: 60_000,
      pollMs: 2_000,
      ...deps,
      logger: deps.logger ?? pino({ level: 'silent' }),
      clock: deps.clock ?? (() => new Date()),
    };
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#unsubscribe = this.#d.events.subscribe('*', (e) => this.#onEvent(e));
    const loop = (): void => {
      this.kick();
      this.#timer = setTimeout(loop, this.#d.pollMs);
      this.#timer.unref();
    };
    loop();
  }

  /** Stop claiming, abort the crawls running here (their phases are taken over later). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    for (const a of this.#active.values()) a.controller.abort(new Error('stopping'));
    await this.#kicking;
    await Promise.all([...this.#active.values()].map((a) => a.done));
  }

  /** Start what may start now (idempotent; coalesces calls that come while it works). */
  kick(): void {
    if (this.#stopped) return;
    if (this.#kicking) {
      this.#again = true;
      return;
    }
    this.#kicking = this.#claimAll()
      .catch((err: unknown) => this.#d.logger.error({ err }, 'claiming crawl phases failed'))
      .finally(() => {
        this.#kicking = null;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
  }

  #onEvent(e: RunEvent): void {
    if (e.type === 'run.queued') this.kick();
    if (e.type !== 'run.finished') return;
    // A run that ended (cancelled, timed out) stops its crawl; one ahead of it frees its turn.
    this.#active.get(e.runId)?.controller.abort(new Error('the run ended'));
    void this.#d.store.runCrawls
      .cancelPending(e.runId, this.#now())
      .catch((err: unknown) => this.#d.logger.warn({ err, runId: e.runId }, 'phase not cancelled'));
    this.kick();
  }

  async #claimAll(): Promise<void> {
    while (!this.#stopped && this.#active.size < this.#d.concurrency) {
      const at = this.#d.clock();
      const stale = new Date(at.getTime() - this.#d.leaseMs).toISOString();
      const phase = await this.#d.store.runCrawls.claim(this.#owner, at.toISOString(), stale);
      if (!phase) return;
      const controller = new AbortController();
      const done = this.#run(phase, controller.signal)
        .catch((err: unknown) => this.#d.logger.error({ err, runId: phase.runId }, 'crawl phase'))
        .finally(() => {
          this.#active.delete(phase.runId);
          this.kick();
        });
      this.#active.set(phase.runId, { controller, done });
    }
  }

  async #run(phase: RunCrawl, signal: AbortSignal): Promise<void> {
    const { store, engine } = this.#d;
    const [run, project] = await Promise.all([
      store.runs.get(phase.projectId, phase.runId),
      store.projects.get(phase.projectId),
    ]);
    if (!run || !project) {
      // The project was deleted meanwhile: nothing to crawl for, ever.
      const at = this.#now();
      await store.runCrawls.finish(phase.runId, this.#owner, {
        status: 'cancelled',
        summary: null,
        error: 'the run or its project is gone',
        at,
      });
      return;
    }
    await engine.markRunStarted(run);
    const say = (message: string): void =>
      this.#publish(run, { type: 'run.phase', phase: 'crawl', message });
    const heartbeat = setInterval(() => {
      void store.runCrawls.heartbeat(run.id, this.#owner, this.#now()).then(
        (held) => {
          // Another process took the phase over (we looked dead to it): let it have it.
          if (!held && !signal.aborted) this.#active.get(run.id)?.controller.abort();
        },
        // A missed beat is retried at the next one; the lease is far longer than a beat.
        (err: unknown) => this.#d.logger.warn({ err, runId: run.id }, 'crawl phase heartbeat'),
      );
    }, this.#d.heartbeatMs);
    heartbeat.unref();
    const startedAt = this.#now();
    const r = phase.request;
    const scope = r.pages?.length
      ? `${r.pages.length} page${r.pages.length === 1 ? '' : 's'} of `
      : '';
    say(`crawl: started, ${scope}${run.baseUrl}`);
    let end: CrawlEnd;
    let generated = 0;
    try {
      const { record, siteMap } = await this.#d.crawler.crawlToEnd({
        project,
        request: {
          startUrl: run.baseUrl,
          ...(r.pages?.length ? { onlyUrls: r.pages } : {}),
          ...defined({
            maxPages: r.maxPages,
            maxDepth: r.maxDepth,
            respectRobots: r.respectRobots,
          }),
          generate: r.generateTests === true,
          ...(kindsOf(r) ? { generateKinds: kindsOf(r) } : {}),
        },
        actor: `run ${run.id}`,
        signal,
        onStart: (rec) => store.runCrawls.setCrawlId(run.id, rec.id),
        onEvent: (e) => {
          if (e.type === 'page') say(`crawl: ${e.data.status} ${e.data.path}`);
        },
      });
      generated = record.generated;
      if (record.status === 'cancelled' || signal.aborted) {
        // Stopping: the phase stays claimed and is taken over when its lease expires.
        if (this.#stopped) return;
        await store.runCrawls.finish(run.id, this.#owner, {
          status: 'cancelled',
          summary: null,
          error: 'the run ended during its crawl',
          at: this.#now(),
        });
        return;
      }
      end =
        record.status === 'done' && siteMap
          ? {
              kind: 'done',
              findings: crawlFindings(siteMap),
              pages: siteMap.pages.length,
              startUrl: run.baseUrl,
            }
          : { kind: 'failed', error: record.error ?? 'the crawl did not finish' };
    } catch (e) {
      end = { kind: 'failed', error: e instanceof Error ? e.message : String(e) };
    } finally {
      clearInterval(heartbeat);
    }
    await this.#record(run, end, generated, { startedAt, finishedAt: this.#now() });
    say(`crawl: ${describeEnd(end, generated)}`);
    await engine.settleRun(run.id);
  }

  /** The checks' results, the phase's end and the notes, then the run's tests may go. */
  async #record(
    run: Run,
    end: CrawlEnd,
    generated: number,
    times: { startedAt: string; finishedAt: string },
  ): Promise<void> {
    const { store } = this.#d;
    const results = crawlCheckResults(run.id, end, times);
    const summary: RunCrawlSummary | null =
      end.kind === 'done'
        ? {
            pages: end.pages,
            brokenLinks: end.findings.brokenLinks.length,
            serverErrors: end.findings.serverErrors.length,
            generated,
          }
        : null;
    const kept = await store.transaction(async (tx) => {
      const held = await tx.runCrawls.finish(run.id, this.#owner, {
        status: end.kind === 'done' ? 'done' : 'failed',
        summary,
        error: end.kind === 'failed' ? end.error : null,
        at: times.finishedAt,
      });
      if (!held) return false;
      for (const result of results) await tx.results.insert(run.projectId, result);
      return true;
    });
    if (!kept) {
      this.#d.logger.warn({ runId: run.id }, 'crawl phase lease lost; its results were dropped');
      return;
    }
    await store.runCrawls.releaseJobs(run.id, this.#now());
    const counts = { total: run.total, ...(await store.results.tally(run.id)) };
    for (const result of results) this.#publish(run, testFinished(result, counts));
    await store.runNotes.add({
      projectId: run.projectId,
      runId: run.id,
      level: end.kind === 'done' ? 'info' : 'error',
      source: 'crawl',
      message: `crawl of ${run.baseUrl}: ${describeEnd(end, generated)}`,
    });
    if (generated > 0) {
      await store.runNotes.add({
        projectId: run.projectId,
        runId: run.id,
        level: 'info',
        source: 'crawl',
        message:
          `${generated} draft test${generated === 1 ? ' was' : 's were'} generated from the crawl. ` +
          'They wait in the review queue (GET /api/v1/projects/:id/tests?status=draft) and do not ' +
          'run, in this run or any other, until someone approves them.',
      });
    }
  }

  #now(): string {
    return this.#d.clock().toISOString();
  }

  #publish(
    run: Pick<Run, 'id' | 'projectId'>,
    e: Omit<RunEvent, 'runId' | 'projectId' | 'at'>,
  ): void {
    this.#d.events.publish({ ...e, runId: run.id, projectId: run.projectId, at: this.#now() });
  }
}

function describeEnd(end: CrawlEnd, generated: number): string {
  if (end.kind === 'failed') return `failed: ${end.error}`;
  const f = end.findings;
  return (
    `done, ${end.pages} page${end.pages === 1 ? '' : 's'}, ` +
    `${f.brokenLinks.length} broken link${f.brokenLinks.length === 1 ? '' : 's'}, ` +
    `${f.serverErrors.length} answering 5xx` +
    (generated > 0 ? `, ${generated} draft tests for review (not run until approved)` : '')
  );
}
