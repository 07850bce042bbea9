import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, notFound } from '../domain/errors.ts';
import type { Principal } from '../domain/principal.ts';
import type { Project } from '../domain/project.ts';
import { isTerminal, type Run } from '../domain/run.ts';
import { waitForTriggeredRun, type TriggerDeps } from '../engine/trigger.ts';
import { assertPublicUrl } from '../integrations/ssrf.ts';
import type { ApiDeps } from './app.ts';
import { requireProjectAccess, requireTriggerAccess } from './auth.ts';
import { API_PREFIX } from './dto.ts';
import { runPageUrl } from '../domain/run-page.ts';

// What the three trigger shapes (Sentri, AegisRunner, Certyn) share at the HTTP edge: absolute
// links, the Idempotency-Key header, access checks on a run, and holding a request for `wait`.

/** How often a pipeline should poll an unfinished run (GREENLIGHT_RETRY_AFTER_SECONDS). */
export const retryAfterOf = (deps: ApiDeps): number => deps.config.retryAfterSeconds;

/** `Idempotency-Key` header: printable, at most 255 characters. */
export const idempotencyHeaders = z.looseObject({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
    .optional()
    .describe('Same key + same body within 24 h returns the same run (Idempotent-Replayed: true)'),
});

/** `?wait=true` on a trigger: same as `wait: true` in the body. */
export const waitQuery = z.object({
  wait: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .describe('Hold the request until the run ends (like `wait: true` in the body)'),
});

export const queryWants = (q: { wait?: string }): boolean => q.wait === 'true' || q.wait === '1';

/** Scheme, host and port links are built from: GREENLIGHT_PUBLIC_URL, else the request's. */
export function publicBase(req: FastifyRequest, deps: ApiDeps): string {
  const configured = deps.config.publicUrl;
  if (configured) return configured.replace(/\/+$/, '');
  return `${req.protocol}://${req.host}`;
}

/** Absolute URL of a run's Sentri status resource. */
export function statusUrlOf(req: FastifyRequest, deps: ApiDeps, run: Run): string {
  return (
    publicBase(req, deps) +
    `${API_PREFIX}/projects/${encodeURIComponent(run.projectId)}/trigger/runs/${encodeURIComponent(run.id)}`
  );
}

/** Absolute URL of the run's page in the dashboard (links for people: appUrl, PR feedback…). */
export function runPageUrlOf(req: FastifyRequest, deps: ApiDeps, run: Run): string {
  return runPageUrl(publicBase(req, deps), run);
}

/** The trigger core's dependencies, taken from the API's. */
export function triggerDeps(deps: ApiDeps): TriggerDeps {
  return {
    store: deps.store,
    engine: deps.engine,
    config: deps.config,
    ...(deps.callbacks ? { callbacks: deps.callbacks } : {}),
    ...(deps.feedback ? { feedback: deps.feedback } : {}),
    canCrawl: deps.crawlPhases === true,
    ...(deps.scans ? { scans: deps.scans } : {}),
    checkCallbackUrl: (url, config) => assertPublicUrl(url, config),
    checkTargetUrl: (url, config) => assertPublicUrl(url, config, { purpose: 'base URL' }),
  };
}

/** The caller, or 401: trigger endpoints never run anonymously. */
export function callerOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new AppError('unauthorized', 'Missing or invalid Bearer token');
  return req.principal;
}

/**
 * A triggered run, readable by a trigger token of its project or by a user who may read it.
 * Order: 401 anonymous, 404 unknown run, 403 another project's token.
 */
export async function readableRun(
  req: FastifyRequest,
  deps: ApiDeps,
  runId: string,
  project?: Project,
): Promise<{ run: Run; project: Project }> {
  const caller = callerOf(req);
  const run = await deps.store.runs.get(project?.id ?? null, runId);
  if (!run) throw notFound('run');
  const owner = project ?? (await deps.store.projects.get(run.projectId));
  if (!owner) throw notFound('run');
  if (caller.kind === 'trigger') requireTriggerAccess(req, owner);
  else requireProjectAccess(req, owner, 'viewer', 'runs:read');
  return { run, project: owner };
}

/** Mark a reply as an idempotent replay (200, the same body as the first answer). */
export function markReplay(reply: FastifyReply): void {
  reply.header('idempotent-replayed', 'true');
}

/** While a run is going: the polling hint as a header (the body carries it too). */
export function setRetryAfter(reply: FastifyReply, deps: ApiDeps, run: Run): void {
  if (!isTerminal(run.status)) reply.header('retry-after', String(retryAfterOf(deps)));
}

export interface WaitAnswer<B> {
  status: 200 | 422 | 504;
  body: B & { code?: string };
}

/**
 * Hold the request until the run ends (at most min(requested, configured) time), then answer
 * 200 when it passed, 422 `run_failed` when it failed or was aborted, 504 `wait_timeout` when it
 * is still going — so `curl -f` fails the pipeline. A client that goes away stops the wait.
 */
export async function waitForAnswer<B extends { error: string | null }>(
  req: FastifyRequest,
  reply: FastifyReply,
  deps: ApiDeps,
  run: Run,
  render: (run: Run) => B | Promise<B>,
  requestedSeconds?: number,
): Promise<WaitAnswer<B> | null> {
  const limit = deps.config.waitTimeoutMs;
  const timeoutMs =
    requestedSeconds !== undefined ? Math.min(requestedSeconds * 1000, limit) : limit;
  const gone = new AbortController();
  const onClose = (): void => {
    if (!reply.raw.writableFinished) gone.abort(new Error('client went away'));
  };
  reply.raw.on('close', onClose);
  try {
    const { run: last, timedOut } = await waitForTriggeredRun(deps.engine, run.id, {
      timeoutMs,
      signal: gone.signal,
    });
    const body = await render(last);
    if (timedOut) {
      setRetryAfter(reply, deps, last);
      const secs = Math.round(timeoutMs / 1000);
      return {
        status: 504,
        body: {
          ...body,
          error: `the run did not finish within ${secs} s; it is still running — poll its status`,
          code: 'wait_timeout',
        },
      };
    }
    if (last.status === 'passed') return { status: 200, body };
    return {
      status: 422,
      body: { ...body, error: body.error ?? `the run ended ${last.status}`, code: 'run_failed' },
    };
  } catch (e) {
    if (gone.signal.aborted) return null;
    throw e;
  } finally {
    reply.raw.off('close', onClose);
  }
}
