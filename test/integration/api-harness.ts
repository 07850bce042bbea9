import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app.ts';
import { startApiServices } from '../../src/engine/api-services.ts';
import type { RunStream } from '../../src/engine/run-stream.ts';
import { startServer } from '../../src/api/server.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import type { ArtifactSettings } from '../../src/engine/artifact-settings.ts';
import { Engine } from '../../src/engine/engine.ts';
import type { TestExecutor, TestOutcome } from '../../src/engine/executor.ts';
import type { LiveView } from '../../src/engine/live-view.ts';
import { InProcessEventBus } from '../../src/events/event-bus.ts';
import { LocalQueue } from '../../src/queue/local-queue.ts';
import type { ArtifactStore } from '../../src/store/artifacts/artifact-store.ts';
import { openStore, type Store } from '../../src/store/connect.ts';
import { storeOptions } from '../../src/store/secret-key.ts';
import { createAdmin, type TestUser } from './auth-helpers.ts';

/** A canned passing outcome: the engine's executor boundary, without a browser. */
export const passingExecutor: TestExecutor = async (job) => {
  const at = new Date().toISOString();
  const outcome: TestOutcome = {
    testId: job.test.id,
    testName: job.test.name,
    status: 'passed',
    durationMs: 1,
    failedStep: null,
    error: null,
    steps: [{ index: 0, action: 'goto', description: 'go to /', status: 'passed', durationMs: 1 }],
    consoleErrors: [],
    failedRequests: [],
    artifacts: {},
    startedAt: at,
    finishedAt: at,
  };
  return outcome;
};

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body is JSON, else the text ('' for none). */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
}

export interface Harness {
  url: string;
  app: FastifyInstance;
  store: Store;
  engine: Engine;
  events: InProcessEventBus;
  /** The run event log the live streams read (tests count its listeners). */
  runStream: RunStream;
  config: Config;
  /** The admin whose API key `call` sends unless the caller gives its own credentials. */
  admin: TestUser;
  /** One request; `body` objects are sent as JSON, strings as they are. */
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse>;
  close(): Promise<void>;
}

/** A real app on 127.0.0.1 (port 0) with a real SQLite store and engine in a temp folder. */
export async function startHarness(
  opts: {
    executor?: TestExecutor;
    bodyLimit?: number;
    sseHeartbeatMs?: number;
    /** The live view the executor reports its pages to (live-view tests). */
    live?: LiveView;
    /** Further configuration overrides (auth tests open registration, for example). */
    config?: Partial<Config>;
    /** Artifact limits, retention and video support of the engine. */
    artifacts?: ArtifactSettings;
    /** The dashboard's built files to serve (default: web/dist). */
    webDist?: string;
    /** Where artifacts go (default: files below the harness's data dir); closed with the harness. */
    artifactStore?: ArtifactStore;
  } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'gl-api-'));
  const config = loadConfig(
    {},
    {
      dataDir: dir,
      databaseUrl: `sqlite:${join(dir, 'greenlight.db')}`,
      host: '127.0.0.1',
      port: 0,
      ...(opts.bodyLimit !== undefined ? { bodyLimit: opts.bodyLimit } : {}),
      // Suites make many calls from 127.0.0.1; rate-limit tests turn limits on themselves.
      rateLimit: 'off',
      ...opts.config,
    },
  );
  const store = await openStore(storeOptions(config));
  const admin = await createAdmin(store);
  const events = new InProcessEventBus();
  const queue = new LocalQueue(store, { pollIntervalMs: 50 });
  const engine = new Engine({
    store,
    queue,
    events,
    executor: opts.executor ?? passingExecutor,
    dataDir: dir,
    workers: 2,
    stopGraceMs: 200,
    ...(opts.artifacts ? { artifacts: opts.artifacts } : {}),
    ...(opts.artifactStore ? { artifactStore: opts.artifactStore } : {}),
  });
  await engine.start();
  const services = await startApiServices({ store, events });
  const app = await buildApp({
    runStream: services.runStream,
    store,
    engine,
    events,
    config,
    logger: false,
    ...(opts.sseHeartbeatMs !== undefined ? { sseHeartbeatMs: opts.sseHeartbeatMs } : {}),
    ...(opts.live ? { live: opts.live } : {}),
    ...(opts.webDist ? { webDist: opts.webDist } : {}),
  });
  const url = await startServer(app, config);

  const call: Harness['call'] = async (method, path, body, headers = {}) => {
    const given = Object.keys(headers).map((k) => k.toLowerCase());
    const hasCredentials = ['authorization', 'x-api-key', 'cookie'].some((k) => given.includes(k));
    const auth: Record<string, string> = hasCredentials
      ? {}
      : { authorization: `Bearer ${admin.apiKey}` };
    const init: RequestInit = { method, headers: { ...auth, ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      if (typeof body !== 'string') {
        (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
      }
    }
    const res = await fetch(url + path, init);
    const text = await res.text();
    const isJson = (res.headers.get('content-type') ?? '').includes('json') && text !== '';
    return { status: res.status, headers: res.headers, body: isJson ? JSON.parse(text) : text };
  };

  return {
    url,
    app,
    store,
    engine,
    events,
    runStream: services.runStream,
    config,
    admin,
    call,
    async close() {
      await app.close();
      services.stop();
      await engine.stop();
      await queue.close();
      await opts.artifactStore?.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Fetch options carrying the harness admin's API key, for requests made with plain fetch. */
export function authOf(h: Harness): RequestInit {
  return { headers: { authorization: `Bearer ${h.admin.apiKey}` } };
}

/** Expect the one error shape; returns the body for further checks. */
export function errorBody(res: ApiResponse, status: number, code: string): ApiResponse['body'] {
  if (res.status !== status || res.body?.code !== code || typeof res.body?.error !== 'string') {
    throw new Error(
      `expected ${status} ${code}, got ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`,
    );
  }
  return res.body;
}
