import type { Config } from '../config.ts';
import { AppError, notFound } from '../domain/errors.ts';
import type { Principal } from '../domain/principal.ts';
import { statusContextOf, type Project } from '../domain/project.ts';
import { isTerminal, type Run, type Selection } from '../domain/run.ts';
import type { RunOptionsInput } from '../domain/run-options.ts';
import type { Strategy, StrategyRequest } from '../domain/selection.ts';
import type { FeedbackTarget, RunFeedbackRegistry } from '../integrations/pr-feedback.ts';
import type { Store } from '../store/connect.ts';
import type { RunCrawlRequest } from '../store/run-crawls.ts';
import type { ConcurrencyPolicy, GitInfo, TriggerShape } from '../store/run-triggers.ts';
import { isUniqueViolation } from '../store/sql-helpers.ts';
import {
  defaultConcurrencyKey,
  KeyedMutex,
  lastInLine,
  releaseReadyRuns,
  runInProgress,
} from './concurrency.ts';
import type { Engine } from './engine.ts';
import { IDEMPOTENCY_TTL_MS, replayedRunId, requestHash } from './idempotency.ts';
import { checkBrowserName } from './run-capabilities.ts';
import { checkStrategyInputs } from './selection.ts';
import type { ScanInputSpec, ScanService } from './scan-service.ts';
import { defined } from '../domain/defined.ts';

export type { ConcurrencyPolicy, GitInfo, TriggerShape } from '../store/run-triggers.ts';

export { strategies, type Strategy } from '../domain/selection.ts';
export { concurrencyPolicies } from '../domain/project.ts';

/** One CI trigger in Greenlight's own terms; every API shape translates into this. */
export interface TriggerRequest {
  shape: TriggerShape;
  /** The body as the caller sent it (parsed): an Idempotency-Key is bound to its hash. */
  body: unknown;
  idempotencyKey?: string;
  selection?: Selection;
  strategy?: Strategy;
  /** Strategy `changed`: repository paths and URL paths that changed. */
  changedFiles?: string[];
  changedUrls?: string[];
  /** Strategy `recent`: days back (default 7). */
  recentDays?: number;
  /** Strategy `flaky`: the lowest flaky score that runs (default 10). */
  minFlakyScore?: number;
  baseUrl?: string;
  environment?: string;
  parallelWorkers?: number;
  /** Free text from the compat shapes; checked against the installed browsers. */
  browser?: string;
  device?: string;
  /** Execution options (viewport, locale, timezone, network, …); `browser`/`device` above win. */
  options?: RunOptionsInput;
  git?: GitInfo;
  event?: string;
  externalUrl?: string;
  concurrency?: { key?: string; policy?: ConcurrencyPolicy };
  callbackUrl?: string;
  /** Crawl the base URL before the tests (AegisRunner's `crawl`); see crawl-phase.ts. */
  crawl?: RunCrawlRequest;
  /** PR feedback (commit status, sticky comment) with its request-scoped token; never stored. */
  feedback?: { target: FeedbackTarget; runUrl?: (run: Run) => string };
  /** A static scan in the same run: its gate is part of the run's verdict. */
  scan?: ScanInputSpec;
}

/** The registry of callback URLs, delivered on the run's terminal state. */
export interface RunCallbackRegistry {
  registerRunCallback(r: { projectId: string; runId: string; url: string }): Promise<unknown>;
}

export interface TriggerDeps {
  store: Store;
  engine: Engine;
  config: Config;
  callbacks?: RunCallbackRegistry;
  /** The PR-feedback listener, holding each run's forge token in memory; none: tokens refused. */
  feedback?: RunFeedbackRegistry;
  /** A crawl-phase runner serves this database; without one `crawl` is refused by name. */
  canCrawl?: boolean;
  /** Refuses private/loopback crawl targets (the SSRF guard); throws validation_failed. */
  checkTargetUrl?: (url: string, config: Config) => Promise<unknown>;
  /** Refuses private/loopback callback targets (the callbacks' SSRF guard); throws validation_failed. */
  checkCallbackUrl?: (url: string, config: Config) => Promise<unknown>;
  clock?: () => Date;
  /** Runs a trigger's scan; none: a trigger with a scan is refused. */
  scans?: ScanService;
}

export interface TriggerResult {
  run: Run;
  /** True when an earlier request with the same Idempotency-Key and body made this run. */
  replayed: boolean;
}

/** One mutex per store: two apps in one process on one database race like two processes. */
const mutexes = new WeakMap<Store, KeyedMutex>();
function locksOf(store: Store): KeyedMutex {
  let m = mutexes.get(store);
  if (!m) mutexes.set(store, (m = new KeyedMutex()));
  return m;
}

/**
 * The one trigger core behind the Sentri, AegisRunner and Certyn shapes: check what the server
 * can do, honour an Idempotency-Key, apply the concurrency policy, create the run with its
 * trigger metadata in one transaction, and register the callback.
 */
export async function trigger(
  deps: TriggerDeps,
  project: Project,
  req: TriggerRequest,
  principal: Principal,
): Promise<TriggerResult> {
  const now = deps.clock ?? (() => new Date());
  checkCapabilities(req);
  if (req.crawl !== undefined) {
    if (!deps.canCrawl) {
      throw new AppError(
        'unsupported_field',
        'crawling before a run is not enabled on this server',
        {
          field: 'crawl',
        },
      );
    }
    // Refused before a run exists rather than crawled into an error.
    if (req.baseUrl !== undefined) await deps.checkTargetUrl?.(req.baseUrl, deps.config);
  }
  if (req.callbackUrl !== undefined) {
    if (!deps.callbacks) {
      throw new AppError('unsupported_field', 'callbacks are not enabled on this server', {
        field: 'callbackUrl',
      });
    }
    await deps.checkCallbackUrl?.(req.callbackUrl, deps.config);
  }
  if (req.feedback !== undefined && !deps.feedback) {
    const field = req.feedback.target.provider === 'gitlab' ? 'gitlabToken' : 'githubToken';
    throw new AppError('unsupported_field', 'pull-request feedback is not enabled on this server', {
      field,
    });
  }
  if (req.scan !== undefined && !deps.scans) {
    throw new AppError('unsupported_field', 'scans are not enabled on this server', {
      field: 'scan',
    });
  }
  let scanRecord: Awaited<ReturnType<ScanService['prepareForRun']>> | undefined;
  const strategy = req.strategy ? strategyRequestOf(req, req.strategy) : undefined;
  // Before the concurrency policy acts: a bad request must not supersede a running run.
  if (strategy) checkStrategyInputs(strategy);
  const hash = requestHash(req.shape, req.body);
  const key = req.concurrency?.key ?? defaultConcurrencyKey(req.git);
  const policy = req.concurrency?.policy ?? project.concurrencyPolicy;

  const replay = async (): Promise<TriggerResult | null> => {
    if (req.idempotencyKey === undefined) return null;
    const runId = await replayedRunId(deps.store, project.id, req.idempotencyKey, hash, now());
    if (runId === null) return null;
    const run = await deps.store.runs.get(project.id, runId);
    if (!run) throw notFound('run');
    return { run, replayed: true };
  };

  const created = await locksOf(deps.store).run(`${project.id}\0${key}`, async () => {
    const earlier = await replay();
    if (earlier) return earlier;
    // Answered here, before any work, when this process already knows; the decision that holds
    // for every process is taken again under the key's lock below.
    if (policy === 'reject') {
      const newest = (await deps.store.runTriggers.activeForKey(project.id, key)).at(-1);
      if (newest) throw runInProgress(key, newest.runId);
    }
    let blockedBy: string | null = null;
    try {
      const run = await deps.engine.createRun(project.id, {
        selection: req.selection ?? {},
        ...(strategy ? { strategy } : {}),
        trigger: { source: 'ci', actor: actorOf(principal, req.shape) },
        baseUrl: req.baseUrl,
        environment: req.environment,
        parallelWorkers: req.parallelWorkers,
        options: runOptionsOf(req),
        ...(req.crawl ? { crawl: req.crawl } : {}),
        onCreate: async (tx, run) => {
          // The mutex above serialises this process only: another process on the database may
          // have recorded a run of the key since. Under the key's lock, held to the commit, look
          // and act in one step: the lock's holders take turns, so each sees every run of the
          // key committed before it, and the last to take it is the newest run.
          await tx.runTriggers.lockKey(project.id, key);
          const active = await tx.runTriggers.activeForKey(project.id, key);
          if (policy === 'reject' && active.length > 0) {
            throw runInProgress(key, active.at(-1)!.runId);
          }
          if (policy === 'queue') blockedBy = lastInLine(active)?.runId ?? null;
          if (policy === 'supersede') {
            // In this transaction: a run that supersedes is never seen beside the runs it
            // cancels, and a rollback (the commit fails) leaves them running.
            for (const a of active) {
              await deps.engine.cancelRun(project.id, a.runId, {
                reason: `superseded by a newer run of concurrency key "${key}"`,
                tx,
              });
            }
          }
          const at = now();
          await tx.runTriggers.insert({
            runId: run.id,
            projectId: project.id,
            shape: req.shape,
            concurrencyKey: key,
            policy,
            blockedBy,
            strategy: req.strategy ?? null,
            browser: req.browser ?? null,
            device: req.device ?? null,
            git: req.git ?? {},
            event: req.event ?? null,
            externalUrl: req.externalUrl ?? null,
            hasCallback: req.callbackUrl !== undefined,
            idempotencyKey: req.idempotencyKey ?? null,
            cancelReason: null,
            createdAt: at.toISOString(),
          });
          if (req.idempotencyKey !== undefined) {
            await tx.idempotency.insert(
              {
                projectId: project.id,
                key: req.idempotencyKey,
                requestHash: hash,
                runId: run.id,
                createdAt: at.toISOString(),
                expiresAt: new Date(at.getTime() + IDEMPOTENCY_TTL_MS).toISOString(),
              },
              at.toISOString(),
            );
          }
          if (blockedBy) await tx.runTriggers.holdJobs(run.id);
          if (req.scan && deps.scans) {
            scanRecord = await deps.scans.prepareForRun(tx, project, run.id, req.scan, principal);
          }
        },
      });
      return { run, replayed: false };
    } catch (e) {
      // The same key sent at once under another concurrency key (another body): the database's
      // unique key decides, and the loser is answered as a replay or a mismatch.
      if (isUniqueViolation(e)) {
        const again = await replay();
        if (again) return again;
      }
      throw e;
    }
  });

  if (!created.replayed && scanRecord && req.scan && deps.scans) {
    deps.scans.startForRun(project, scanRecord, req.scan, principal);
  }
  if (!created.replayed) {
    // The run ahead may have ended between the check and the commit: nobody would wake us.
    if (policy === 'queue') await releaseReadyRuns(deps.store, now, undefined);
    if (req.callbackUrl !== undefined && deps.callbacks) {
      // After the commit: a run that already ended gets its delivery enqueued at once.
      await deps.callbacks.registerRunCallback({
        projectId: project.id,
        runId: created.run.id,
        url: req.callbackUrl,
      });
    }
    if (req.feedback !== undefined && deps.feedback) {
      deps.feedback.registerRunFeedback({
        projectId: project.id,
        projectSlug: project.slug,
        statusContext: statusContextOf(project),
        runId: created.run.id,
        runUrl: req.feedback.runUrl?.(created.run) ?? null,
        target: req.feedback.target,
      });
    }
  }
  return created;
}

/** The run options of a trigger: its options with the compat shapes' browser and device. */
function runOptionsOf(req: TriggerRequest): RunOptionsInput {
  return {
    ...req.options,
    ...(req.browser !== undefined ? { browser: checkBrowserName(req.browser) } : {}),
    ...defined({ device: req.device }),
  };
}

/** Refuse what this server cannot do, naming it, instead of silently doing something else. */
function checkCapabilities(req: TriggerRequest): void {
  // Unknown or not installed browsers fail here, devices and the rest in Engine.createRun.
  if (req.browser !== undefined) checkBrowserName(req.browser);
}

/** The trigger's strategy fields for the engine; `failed` looks at the trigger's branch. */
function strategyRequestOf(req: TriggerRequest, strategy: Strategy): StrategyRequest {
  return {
    strategy,
    ...(req.changedFiles ? { changedFiles: req.changedFiles } : {}),
    ...(req.changedUrls ? { changedUrls: req.changedUrls } : {}),
    ...defined({ recentDays: req.recentDays, minFlakyScore: req.minFlakyScore }),
    ...defined({ branch: req.git?.ref }),
  };
}

function actorOf(p: Principal, shape: TriggerShape): string {
  const who = p.kind === 'trigger' ? `token:${p.tokenId}` : `user:${p.userId}`;
  return `${shape}/${who}`;
}

export interface WaitOutcome {
  run: Run;
  /** True when the wait ended by its time limit with the run still going. */
  timedOut: boolean;
}

/**
 * Hold until the run ends, at most `timeoutMs`; `signal` (the client went away) stops waiting
 * with its reason. The run itself is never touched.
 */
export async function waitForTriggeredRun(
  engine: Engine,
  runId: string,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<WaitOutcome> {
  const run = await engine.waitForRun(runId, opts);
  return { run, timedOut: !isTerminal(run.status) };
}
