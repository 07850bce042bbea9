import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import {
  createJsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import pkg from '../../package.json' with { type: 'json' };
import { SECRET_LOG_PATHS, type Config } from '../config.ts';
import type { CrawlJobs } from '../crawl/crawl-jobs.ts';
import type { Engine } from '../engine/engine.ts';
import type { RunCallbackRegistry } from '../engine/trigger.ts';
import type { LiveWatching } from '../engine/live-view.ts';
import { ScanService } from '../engine/scan-service.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { RunFeedbackRegistry } from '../integrations/pr-feedback.ts';
import type { RunStream } from '../engine/run-stream.ts';
import type { Store } from '../store/connect.ts';
import { registerAuth } from './auth.ts';
import { API_PREFIX } from './dto.ts';
import { installErrorHandlers, toErrorResponse } from './errors.ts';
import { securitySchemes, withSecurity } from './openapi-security.ts';
import { useProjectScope } from './project-scope.ts';
import { registerRateLimits } from './rate-limit.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { artifactRoutes, projectArtifactRoutes } from './routes/artifacts.ts';
import { crawlRoutes } from './routes/crawls.ts';
import { authRoutes } from './routes/auth.ts';
import { dataSetRoutes } from './routes/data-sets.ts';
import { environmentRoutes } from './routes/environments.ts';
import { generateRoutes } from './routes/generate.ts';
import { healthRoutes } from './routes/health.ts';
import { readyRoutes, registerMetrics } from './routes/ops.ts';
import { projectItemRoutes, projectRoutes } from './routes/projects.ts';
import { deliveryRoutes } from './routes/deliveries.ts';
import { notificationRoutes } from './routes/notifications.ts';
import { projectReportRoutes, reportRoutes } from './routes/reports.ts';
import { passwordResetRoutes } from './routes/password-reset.ts';
import { emailVerificationRoutes } from './routes/email-verification.ts';
import { ssoRoutes } from './routes/sso.ts';
import { sentriRunRoutes } from './routes/sentri-runs.ts';
import { runRoutes } from './routes/runs.ts';
import { planRoutes } from './routes/plan.ts';
import { suiteRoutes } from './routes/suites.ts';
import { visualRoutes } from './routes/visual.ts';
import { runEventRoutes } from './routes/run-events.ts';
import { runNoteRoutes } from './routes/run-notes.ts';
import { registerTriggerApi, triggerRoutes } from './routes/trigger.ts';
import { schemaRoutes } from './routes/schemas.ts';
import { scheduleRoutes } from './routes/schedules.ts';
import { testHistoryRoutes } from './routes/test-history.ts';
import { testRoutes } from './routes/tests.ts';
import { testImportRoutes } from './routes/test-import.ts';
import { trendRoutes } from './routes/trends.ts';
import { testValidateRoutes } from './routes/test-validate.ts';
import { quarantineRoutes } from './routes/quarantine.ts';
import { triggerTokenRoutes } from './routes/trigger-tokens.ts';
import { workspaceRoutes } from './routes/workspace.ts';
import { recycleBinRoutes } from './routes/recycle-bin.ts';
import { systemRoutes } from './routes/system.ts';
import { aiSettingsRoutes } from './routes/ai-settings.ts';
import { runLiveRoutes } from './routes/run-live.ts';
import { scanRoutes } from './routes/scans.ts';
import { scanSettingsRoutes } from './routes/scan-settings.ts';
import { sentrikRoutes } from './compat/sentrik.ts';
import { SseStreams } from './sse.ts';
import { AppError } from '../domain/errors.ts';
import { jsonTextDepth, MAX_NESTING, tooDeep } from '../domain/nesting.ts';
import { registerWebApp } from './web-app.ts';

/** What the HTTP layer needs from the rest of the server. */
export interface ApiDeps {
  store: Store;
  engine: Engine;
  events: EventBus;
  config: Config;
  /** The run event log of `events` the live streams read (engine/api-services.ts). */
  runStream: RunStream;
  /** A pino logger to use, `false` for none; default: a new one at config.logLevel. */
  logger?: Logger | false;
  /** Interval of the SSE heartbeat comment (default 15 s; tests shorten it). */
  sseHeartbeatMs?: number;
  /** Where triggers register their callbackUrl (the callback dispatcher); none: callbacks refused. */
  callbacks?: RunCallbackRegistry;
  /** Where triggers hand over PR-feedback tokens (the PR-feedback listener); none: tokens refused. */
  feedback?: RunFeedbackRegistry;
  /** Crawl jobs run in this process (a CrawlService); none: crawl routes answer 503. */
  crawls?: CrawlJobs;
  /**
   * True when a crawl-phase runner (engine/crawl-phase.ts) serves this database, so triggers
   * may ask to crawl before their tests; otherwise `crawl: true` is refused by name.
   */
  crawlPhases?: boolean;
  /**
   * Screencasts of running tests: this process's, and on PostgreSQL other processes' too
   * (`Runtime.watching`); none: the live view answers 503.
   */
  live?: LiveWatching;
  /** Static scans; default: one built on the store and engine. */
  scans?: ScanService;
  /** The dashboard's built files (default: web/dist of this package). */
  webDist?: string;
}

/** Options every route plugin receives. */
export interface RouteOptions {
  deps: ApiDeps;
  streams: SseStreams;
}

function createFastify(deps: ApiDeps): FastifyInstance {
  const options = {
    bodyLimit: deps.config.bodyLimit,
    // A caller's x-request-id is kept for tracing across CI and server logs, but only when it is
    // a plain token: it is written into every log line of the request.
    requestIdHeader: false as const,
    genReqId: (req: IncomingMessage): string => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._:-]{1,100}$/.test(given)
        ? given
        : randomUUID();
    },
    // Long-lived SSE streams must not hold `close()` open; they are ended in preClose below.
    forceCloseConnections: 'idle' as const,
    // Errors Fastify raises before routing (a path with bad percent-encoding such as `/%zz`)
    // answer in the API's one error shape too.
    frameworkErrors: (err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void => {
      const { status, body } = toErrorResponse(err);
      void reply.code(status).type('application/json').send(body);
    },
  };
  if (deps.logger === false) return Fastify({ ...options, logger: false });
  if (deps.logger) {
    // A caller's pino instance types the app with its own logger generic; routes only need the base.
    return Fastify({ ...options, loggerInstance: deps.logger }) as unknown as FastifyInstance;
  }
  return Fastify({ ...options, logger: { level: deps.config.logLevel, redact: SECRET_LOG_PATHS } });
}

/** Build the Fastify app with every route under /api/v1, the OpenAPI document and Swagger UI. */
export async function buildApp(given: ApiDeps): Promise<FastifyInstance> {
  const deps: ApiDeps = {
    ...given,
    scans:
      given.scans ??
      new ScanService({
        store: given.store,
        config: given.config,
        ...(given.logger ? { logger: given.logger } : {}),
        onRunScanDone: (runId) => given.engine.finishRunIfIdle(runId),
      }),
  };
  const app = createFastify(deps);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandlers(app, { fallback: await registerWebApp(app, { dist: deps.webDist }) });
  installBodyParsers(app);
  // Before auth, so an anonymous flood is counted before any credential lookup.
  registerRateLimits(app, deps.config, { store: deps.store, logger: app.log });
  registerAuth(app, deps);
  registerMetrics(app, deps);
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  const streams = new SseStreams(deps.sseHeartbeatMs);
  app.addHook('preClose', async () => streams.closeAll());

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Greenlight API',
        version: pkg.version,
        description: 'Self-hosted quality gate: projects, tests as data, runs and their results.',
      },
      components: { securitySchemes },
    },
    transform: withSecurity(createJsonSchemaTransform({ skipList: [] })),
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const opts: RouteOptions = { deps, streams };
  await app.register(
    async (api) => {
      await api.register(healthRoutes, opts);
      await api.register(readyRoutes, opts);
      await api.register(schemaRoutes, opts);
      await api.register(testValidateRoutes, opts);
      await api.register(projectRoutes, opts);
      await api.register(authRoutes, opts);
      await api.register(passwordResetRoutes, opts);
      await api.register(emailVerificationRoutes, opts);
      await api.register(ssoRoutes, opts);
      await api.register(apiKeyRoutes, opts);
      await api.register(workspaceRoutes, opts);
      await api.register(recycleBinRoutes, opts);
      await api.register(systemRoutes, opts);
      await api.register(aiSettingsRoutes, opts);
      await api.register(runEventRoutes, opts);
      await api.register(reportRoutes, opts);
      await api.register(artifactRoutes, opts);
      await api.register(
        async (scope) => {
          useProjectScope(scope, deps.store);
          await scope.register(projectItemRoutes, opts);
          await scope.register(environmentRoutes, opts);
          await scope.register(dataSetRoutes, opts);
          await scope.register(testRoutes, opts);
          await scope.register(testImportRoutes, opts);
          await scope.register(trendRoutes, opts);
          await scope.register(quarantineRoutes, opts);
          await scope.register(testHistoryRoutes, opts);
          await scope.register(generateRoutes, opts);
          await scope.register(runRoutes, opts);
          await scope.register(sentriRunRoutes, opts);
          await scope.register(planRoutes, opts);
          await scope.register(suiteRoutes, opts);
          await scope.register(runLiveRoutes, opts);
          await scope.register(visualRoutes, opts);
          await scope.register(projectReportRoutes, opts);
          await scope.register(projectArtifactRoutes, opts);
          await scope.register(runNoteRoutes, opts);
          await scope.register(triggerTokenRoutes, opts);
          await scope.register(triggerRoutes, opts);
          await scope.register(deliveryRoutes, opts);
          await scope.register(notificationRoutes, opts);
          await scope.register(scheduleRoutes, opts);
          await scope.register(crawlRoutes, opts);
          await scope.register(scanRoutes, opts);
          await scope.register(scanSettingsRoutes, opts);
        },
        { prefix: '/projects/:id' },
      );
    },
    { prefix: API_PREFIX },
  );
  await registerTriggerApi(app, opts);
  // sentrik's API (seed 004): the project from the token, a header, or the path.
  await app.register(sentrikRoutes, { ...opts, prefix: '/scan-gate' });
  await app.register(sentrikRoutes, { ...opts, prefix: '/scan-gate/projects/:project' });
  const scans = deps.scans;
  app.addHook('onClose', async () => scans?.settled());
  return app;
}

/**
 * JSON only (text/plain → 415). An empty body sent as application/json is read as "no body":
 * generic CI snippets send that header on bodyless POSTs such as /cancel.
 */
function installBodyParsers(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    // The body is read as UTF-8 (JSON's encoding, RFC 8259); another declared charset would be
    // decoded into garbage, so it is refused rather than guessed at.
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1];
    if (charset && !/^utf-?8$/i.test(charset)) {
      done(
        new AppError(
          'unsupported_media_type',
          `JSON bodies are UTF-8; charset=${charset.slice(0, 40)} is not accepted`,
        ),
      );
      return;
    }
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    // NUL is never meaningful in a name, a step or a setting, and C-based tools (SQLite's CLI,
    // PostgreSQL's text type, shells) truncate at it or refuse it.
    if (/\\u0000/i.test(text)) {
      done(new AppError('bad_request', 'NUL characters (\\u0000) are not accepted in any field'));
      return;
    }
    if (jsonTextDepth(text) > MAX_NESTING) {
      done(new AppError('bad_request', tooDeep('the JSON body')));
      return;
    }
    parseJson(req, text, done);
  });
}
