import type { FastifyInstance } from 'fastify';
import type { Config } from '../../src/config.ts';
import type { ArtifactSettings } from '../../src/engine/artifact-settings.ts';
import { defined } from '../../src/domain/defined.ts';
import type { Engine } from '../../src/engine/engine.ts';
import type { TestExecutor } from '../../src/engine/executor.ts';
import type { LiveView } from '../../src/engine/live-view.ts';
import type { RunStream } from '../../src/engine/run-stream.ts';
import type { InProcessEventBus } from '../../src/events/event-bus.ts';
import type { ArtifactStore } from '../../src/store/artifacts/artifact-store.ts';
import type { Store } from '../../src/store/connect.ts';
import { apiCaller, type ApiResponse } from '../helpers/api-call.ts';
import { startTestApi } from '../helpers/test-api.ts';
import { createAdmin, type TestUser } from './auth-helpers.ts';

export type { ApiResponse } from '../helpers/api-call.ts';
export { passingExecutor } from '../helpers/test-api.ts';

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
  const { bodyLimit, sseHeartbeatMs, live, webDist, config, ...rest } = opts;
  const api = await startTestApi({
    ...rest,
    config: { ...defined({ bodyLimit }), ...config },
    app: defined({ sseHeartbeatMs, live, webDist }),
  });
  const admin = await createAdmin(api.store);
  return { ...api, admin, call: apiCaller(api.url, { apiKey: admin.apiKey }) };
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
