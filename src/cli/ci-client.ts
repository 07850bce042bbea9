import { createParser, type EventSourceParser } from 'eventsource-parser';
import type { CiStatus } from '../domain/ci-status.ts';
import type { RunStatus } from '../domain/run.ts';

/** An HTTP answer that is not a success, with the server's message (never the token). */
export class CiHttpError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  constructor(status: number, message: string, code?: string) {
    super(message);
    this.name = 'CiHttpError';
    this.status = status;
    this.code = code;
  }
}

/** The server could not be reached at all (refused, no such host, TLS, reset): no HTTP answer. */
class CiConnectionError extends Error {
  /** The system error code when there is one (ECONNREFUSED, ENOTFOUND, ETIMEDOUT…). */
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.name = 'CiConnectionError';
    this.code = code;
  }
}

/**
 * Why a fetch failed, from undici's `TypeError('fetch failed')` and its `cause` (a system error, or
 * an AggregateError of one per address tried): `connect ECONNREFUSED 127.0.0.1:9`.
 */
function fetchFailureCause(e: unknown): { message: string; code: string | undefined } {
  const cause = e instanceof Error && e.cause !== undefined ? e.cause : e;
  const first =
    cause instanceof AggregateError && cause.errors.length > 0
      ? (cause.errors[0] as unknown)
      : cause;
  const code =
    first !== null && typeof first === 'object' && 'code' in first && typeof first.code === 'string'
      ? first.code
      : undefined;
  const message = first instanceof Error && first.message ? first.message : String(first);
  return { message: code && !message.includes(code) ? `${code}: ${message}` : message, code };
}

/** Selection and target of a triggered run (the body of the Sentri-shaped trigger). */
export interface TriggerRequest {
  suites?: string[];
  tests?: string[];
  tags?: string[];
  baseUrl?: string;
  environment?: string;
  retries?: number;
  failOnFlaky?: boolean;
  healing?: boolean;
  strategy?: string;
  changedFiles?: string[];
  screenshots?: string;
  device?: string;
  browser?: string;
}

export interface TriggerResponse {
  runId: string;
  statusUrl: string;
}

/** The run in CI shape, as GET /api/v1/runs/:runId and the status URL answer it. */
export interface CiRun {
  runId: string;
  status: CiStatus;
  runStatus?: RunStatus;
  passed: number;
  failed: number;
  total: number;
  error: string | null;
  retryAfterSeconds?: number;
  /** The run's page for people, as the server links it. */
  url?: string;
}

export interface ResultItem {
  testId: string;
  testName: string;
  status: string;
  durationMs: number;
  error: string | null;
  failedStep?: number | null;
  steps?: { description: string }[];
}

/** One server-sent event as parsed off the wire. */
export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

export interface ClientOptions {
  /** Base URL of the Greenlight server, e.g. https://greenlight.example.com. */
  url: string;
  token: string;
}

/** Thin fetch wrapper over the pipeline endpoints; every call carries the Bearer token. */
export class CiClient {
  readonly base: string;
  readonly #token: string;

  constructor(o: ClientOptions) {
    this.base = o.url.replace(/\/+$/, '');
    this.#token = o.token;
  }

  /** POST /api/v1/projects/:id/trigger → `{ runId, statusUrl }`. */
  async trigger(project: string, body: TriggerRequest): Promise<TriggerResponse> {
    const path = `/api/v1/projects/${encodeURIComponent(project)}/trigger`;
    return this.#json<TriggerResponse>('POST', path, body);
  }

  /** GET /api/v1/runs/:runId: the run in CI shape. */
  async run(runId: string): Promise<CiRun> {
    return this.#json<CiRun>('GET', `/api/v1/runs/${encodeURIComponent(runId)}`);
  }

  /** GET on a status URL handed out by the trigger (absolute, or relative to the base). */
  async status(statusUrl: string): Promise<{ run: CiRun; retryAfter: number | null }> {
    const res = await this.#fetch('GET', statusUrl);
    const run = (await res.json()) as CiRun;
    const header = Number(res.headers.get('retry-after'));
    const retryAfter = Number.isFinite(header) && header > 0 ? header : null;
    return { run, retryAfter: run.retryAfterSeconds ?? retryAfter };
  }

  /** Every result of the run, following the pages the server hands out. */
  async results(runId: string): Promise<ResultItem[]> {
    const base = `/api/v1/runs/${encodeURIComponent(runId)}/results?limit=1000`;
    const out: ResultItem[] = [];
    let after: string | null = null;
    do {
      const path: string = after ? `${base}&after=${encodeURIComponent(after)}` : base;
      const page = await this.#json<{ items: ResultItem[]; next?: string | null }>('GET', path);
      out.push(...page.items);
      after = page.next ?? null;
    } while (after);
    return out;
  }

  /** GET /api/v1/runs/:runId/report?format=…: a report rendered by the server, as text. */
  async report(runId: string, format: string): Promise<string> {
    const path = `/api/v1/runs/${encodeURIComponent(runId)}/report?format=${encodeURIComponent(format)}`;
    return (await this.#fetch('GET', path)).text();
  }

  async abort(runId: string, reason?: string): Promise<CiRun> {
    const path = `/api/v1/runs/${encodeURIComponent(runId)}/abort`;
    return this.#json<CiRun>('POST', path, reason ? { reason } : {});
  }

  eventsUrl(runId: string): string {
    return `${this.base}/api/v1/runs/${encodeURIComponent(runId)}/events`;
  }

  /**
   * One connection to the run's event stream: calls `onMessage` per event until the server
   * ends the stream (true when it answered 204: nothing more will come) or `signal` aborts.
   */
  async streamOnce(
    runId: string,
    lastEventId: string | null,
    onMessage: (m: SseMessage) => void,
    signal: AbortSignal,
  ): Promise<boolean> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastEventId !== null) headers['last-event-id'] = lastEventId;
    const res = await this.#fetch('GET', this.eventsUrl(runId), undefined, headers, signal);
    if (res.status === 204 || !res.body) return true;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser(onMessage);
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(value);
      }
    } finally {
      reader.releaseLock();
      await res.body.cancel().catch(() => {});
    }
    return false;
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.#fetch(method, path, body);
    return (await res.json()) as T;
  }

  async #fetch(
    method: string,
    pathOrUrl: string,
    body?: unknown,
    extra: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<Response> {
    const url = /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : this.base + pathOrUrl;
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#token}`,
      'user-agent': 'greenlight-ci',
      ...extra,
    };
    const init: RequestInit = { method, headers, ...(signal ? { signal } : {}) };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await fetch(url, init);
    } catch (e) {
      if (signal?.aborted) throw e;
      const cause = fetchFailureCause(e);
      throw new CiConnectionError(
        `cannot reach the Greenlight server at ${new URL(url).origin} (${method} ${new URL(url).pathname}): ${cause.message}`,
        cause.code,
      );
    }
    if (res.ok) return res;
    const text = await res.text().catch(() => '');
    let message = `${method} ${new URL(url).pathname} answered ${res.status}`;
    let code: string | undefined;
    try {
      const parsed = JSON.parse(text) as { error?: unknown; code?: unknown };
      if (typeof parsed.error === 'string') message = `${parsed.error} (HTTP ${res.status})`;
      if (typeof parsed.code === 'string') code = parsed.code;
    } catch {
      // Not our error shape (a proxy's page): the status line says enough.
    }
    throw new CiHttpError(res.status, message, code);
  }
}

/** Incremental text/event-stream parser: eventsource-parser (the WHATWG rules) behind our shape. */
class SseParser {
  readonly #parser: EventSourceParser;
  /** The last event id seen: per the spec it stays until another event sets it. */
  #id: string | null = null;

  constructor(on: (m: SseMessage) => void) {
    this.#parser = createParser({
      onEvent: (e) => {
        if (e.id !== undefined) this.#id = e.id;
        on({ id: this.#id, event: e.event ?? 'message', data: e.data });
      },
    });
  }

  push(chunk: string): void {
    this.#parser.feed(chunk);
  }
}

/** Exit code of the pipeline CLI for an HTTP failure: 3 auth, 4 not found, else 2. */
export function exitCodeForHttp(status: number): number {
  if (status === 401 || status === 403) return 3;
  if (status === 404) return 4;
  return 2;
}
