import type { Config } from '../config.ts';
import { AppError, notFound } from '../domain/errors.ts';
import type { Principal } from '../domain/principal.ts';
import type { Project } from '../domain/project.ts';
import { isTerminal, type Run, type Selection } from '../domain/run.ts';
import type { FeedbackTarget, RunFeedbackRegistry } from '../integrations/pr-feedback.ts';
import type { Store } from '../store/connect.ts';
import type { ConcurrencyPolicy, GitInfo, TriggerShape } from '../store/run-triggers.ts';
import { isUniqueViolation } from '../store/sql-helpers.ts';
import {
  defaultConcurrencyKey,
  KeyedMutex,
  releaseReadyRuns,
  runInProgress,
} from './concurrency.ts';
import type { Engine } from './engine.ts';
import { IDEMPOTENCY_TTL_MS, replayedRunId, requestHash } from './idempotency.ts';

export type { ConcurrencyPolicy, GitInfo, TriggerShape } from '../store/run-triggers.ts';

/** Selection strategies a pipeline may ask for; only `failed` is implemented so far. */
export const strategies = ['failed', 'flaky', 'recent', 'changed'] as const;
export type Strategy = (typeof strategies)[number];
export const concurrencyPolicies = ['reject', 'queue', 'supersede'] as const;

/** Browsers this server can run; anything else is refused rather than run in Chromium. */
const installedBrowsers = ['chromium'];
const supportedDevices = ['desktop'];

/** One CI trigger in Greenlight's own terms; every API shape translates into this. */
export interface TriggerRequest {
  shape: TriggerShape;
  /** The body as the caller sent it (parsed): an Idempotency-Key is bound to its hash. */
  body: unknown;
  idempotencyKey?: string;
  selection?: Selection;
  strategy?: Strategy;
  baseUrl?: string;
  environment?: string;
  parallelWorkers?: number;
  browser?: string;
  device?: string;
  git?: GitInfo;
  event?: string;
  externalUrl?: string;
  concurrency?: { key?: string; policy?: ConcurrencyPolicy };
  callbackUrl?: string;
  /** PR feedback (commit status, sticky comment) with its request-scoped token; never stored. */
  feedback?: { target: FeedbackTarget; runUrl?: (run: Run) => string };
}

/** CALLBACKS' registry of callback URLs, delivered on the run's terminal state. */
export interface RunCallbackRegistry {
  registerRunCallback(r: { projectId: string; runId: string; url: string }): Promise<unknown>;
}

export interface TriggerDeps {
  store: Store;
  engine: Engine;
  config: Config;
  callbacks?: RunCallbackRegistry;
  /** PRFEEDBACK's listener, holding each run's forge token in memory; none: tokens refused. */
  feedback?: RunFeedbackRegistry;
  /** Refuses private/loopback callback targets (CALLBACKS' SSRF guard); throws validation_failed. */
  checkCallbackUrl?: (url: string, config: Config) => Promise<unknown>;
  clock?: () => Date;
}

export interface TriggerResult {
  run: Run;
  /** True when an earlier request with the same Idempotency-Key and body made this run. */
  replayed: boolean;
}

const locks = new KeyedMutex();

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
  const hash = requestHash(req.shape, req.body);
  const key = req.concurrency?.key ?? defaultConcurrencyKey(req.git);
  const policy = req.concurrency?.policy ?? 'reject';

  const replay = async (): Promise<TriggerResult | null> => {
    if (req.idempotencyKey === undefined) return null;
    const runId = await replayedRunId(deps.store, project.id, req.idempotencyKey, hash, now());
    if (runId === null) return null;
    const run = await deps.store.runs.get(project.id, runId);
    if (!run) throw notFound('run');
    return { run, replayed: true };
  };

  const created = await locks.run(`${project.id}\0${key}`, async () => {
    const earlier = await replay();
    if (earlier) return earlier;
    const selection = await selectionFor(deps.store, project.id, req);
    const active = await deps.store.runTriggers.activeForKey(project.id, key);
    const newest = active.at(-1);
    if (policy === 'reject' && newest) throw runInProgress(key, newest.runId);
    if (policy === 'supersede') {
      for (const a of active) {
        await deps.engine.cancelRun(project.id, a.runId, {
          reason: `superseded by a newer run of concurrency key "${key}"`,
        });
      }
    }
    const blockedBy = policy === 'queue' && newest ? newest.runId : null;
    try {
      const run = await deps.engine.createRun(project.id, {
        selection,
        trigger: { source: 'ci', actor: actorOf(principal, req.shape) },
        baseUrl: req.baseUrl,
        environment: req.environment,
        parallelWorkers: req.parallelWorkers,
        onCreate: async (tx, run) => {
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
        runId: created.run.id,
        runUrl: req.feedback.runUrl?.(created.run) ?? null,
        target: req.feedback.target,
      });
    }
  }
  return created;
}

/** Refuse what this server cannot do, naming it, instead of silently doing something else. */
function checkCapabilities(req: TriggerRequest): void {
  if (req.browser !== undefined && !installedBrowsers.includes(req.browser)) {
    throw new AppError(
      'unsupported_field',
      `browser "${req.browser}" is not installed on this server; available: ${installedBrowsers.join(', ')}`,
      { field: 'browser', value: req.browser },
    );
  }
  if (req.device !== undefined && !supportedDevices.includes(req.device)) {
    throw new AppError(
      'unsupported_field',
      `device "${req.device}" is not supported yet; available: ${supportedDevices.join(', ')}`,
      { field: 'device', value: req.device },
    );
  }
  if (req.strategy !== undefined && req.strategy !== 'failed') {
    throw new AppError(
      'unsupported_field',
      `selection strategy "${req.strategy}" is not available yet; use "failed", or select ` +
        'suites, tags or tests',
      { field: 'strategy', value: req.strategy },
    );
  }
}

/** The selection, narrowed by the strategy. */
async function selectionFor(
  store: Store,
  projectId: string,
  req: TriggerRequest,
): Promise<Selection> {
  const selection: Selection = { ...req.selection };
  if (req.strategy !== 'failed') return selection;
  const failed = await lastFailedTestIds(store, projectId);
  const wanted = selection.testIds;
  const ids = wanted && wanted.length > 0 ? failed.filter((id) => wanted.includes(id)) : failed;
  if (ids.length === 0) {
    throw new AppError(
      'no_tests',
      'strategy "failed": no test failed in the last finished run of this project',
      { strategy: 'failed' },
    );
  }
  return { ...selection, testIds: ids };
}

/** Tests that failed or could not run in the project's last finished (not cancelled) run. */
async function lastFailedTestIds(store: Store, projectId: string): Promise<string[]> {
  const page = await store.runs.list(projectId, { limit: 50, offset: 0 });
  const last = page.items.find((r) => isTerminal(r.status) && r.status !== 'cancelled');
  if (!last) return [];
  const results = await store.results.listByRun(last.id, projectId);
  return results.filter((r) => r.status === 'failed' || r.status === 'error').map((r) => r.testId);
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
