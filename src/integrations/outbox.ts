import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupAddress } from 'node:dns';
import type { Delivery, DeliveryKind } from '../store/outbox.ts';
import type { LookupAll, PublicTarget } from './ssrf.ts';

/** When to try a failed delivery again. */
export interface RetryPolicy {
  /** Wait after the 1st, 2nd, … failed attempt; the last value repeats. */
  delaysMs: number[];
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Each wait is spread by ±jitter (0.2 = ±20 %) so failed receivers are not hit in lockstep. */
  jitter: number;
}

/** 10 s, 30 s, 2 min, 10 min, 1 h: six attempts over about 73 minutes. */
export const defaultRetryPolicy: RetryPolicy = {
  delaysMs: [10_000, 30_000, 120_000, 600_000, 3_600_000],
  maxAttempts: 6,
  jitter: 0.2,
};

/** Wait before attempt `failedAttempts + 1`, with jitter from `random` (0..1). */
export function retryDelayMs(policy: RetryPolicy, failedAttempts: number, random: number): number {
  const i = Math.min(Math.max(failedAttempts - 1, 0), policy.delaysMs.length - 1);
  const base = policy.delaysMs[i] ?? 0;
  return Math.max(0, Math.round(base * (1 - policy.jitter + 2 * policy.jitter * random)));
}

export type StatusVerdict = 'delivered' | 'retry' | 'give_up';

/** What one attempt at a delivery came to. */
export interface AttemptResult {
  /** HTTP status (or SMTP reply code for e-mail) of the answer; null when none came. */
  statusCode: number | null;
  verdict: StatusVerdict;
  error: string | null;
}

/** What the dispatcher lends a kind's sender for one attempt. */
export interface SendContext {
  timeoutMs: number;
  /** Aborted when the dispatcher stops; the attempt is then retried after its lease. */
  signal: AbortSignal;
  post: PostFn;
  lookup?: LookupAll;
}

/**
 * A kind of delivery the callback dispatcher carries besides callbacks (notifications): it
 * enqueues into the same outbox, and sends one attempt when the dispatcher leases a row of its
 * kind. A thrown AppError is a refusal (given up), any other throw a failure to retry.
 */
export interface DeliveryKindHandler {
  kind: Exclude<DeliveryKind, 'callback'>;
  /** Enqueue what a finished run owes; how many deliveries were enqueued. */
  enqueueForRun(runId: string): Promise<number>;
  /** Enqueue what a crash left behind (at start and now and then). */
  sweep(): Promise<void>;
  send(d: Delivery, ctx: SendContext): Promise<AttemptResult>;
}

/**
 * 2xx delivered. 408 and 429 are the receiver asking for later, 5xx a receiver in trouble: retry.
 * Other 4xx will not change by asking again; a 3xx is not followed (the validated address is the
 * only one we talk to) and a redirecting endpoint is misconfigured: give up.
 */
export function judgeStatus(status: number): StatusVerdict {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'give_up';
}

export interface OutboundPost {
  target: PublicTarget;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Send one POST; resolves with the answer's status, rejects on network errors and timeouts. */
export type PostFn = (req: OutboundPost) => Promise<{ status: number }>;

/** How much of an answer's body is read before the connection is dropped. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * POST over node:http(s), connecting only to the address the SSRF guard validated: the `lookup`
 * hook answers with it instead of asking DNS again, so a rebinding DNS server cannot swap in an
 * internal address between check and connect. TLS still verifies the certificate against the
 * URL's host name. Redirects are never followed. One timer bounds the whole exchange.
 */
export const postPinned: PostFn = ({ target, headers, body, timeoutMs, signal }) =>
  new Promise((resolve, reject) => {
    const pinned = target.addresses[0];
    if (!pinned) {
      reject(new Error('no address to connect to'));
      return;
    }
    const { url } = target;
    const payload = Buffer.from(body, 'utf8');
    const options: RequestOptions = {
      method: 'POST',
      headers: { ...headers, 'content-length': String(payload.length) },
      agent: false,
      lookup: ((
        _host: string,
        opts: { all?: boolean },
        cb: (err: Error | null, a: string | LookupAddress[], f?: number) => void,
      ) => {
        if (opts.all) cb(null, [{ address: pinned.address, family: pinned.family }]);
        else cb(null, pinned.address, pinned.family);
      }) as RequestOptions['lookup'],
    };
    let settled = false;
    const finish = (err: Error | null, status?: number): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve({ status: status ?? 0 });
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, options, (res: IncomingMessage) => {
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER_BYTES) res.destroy();
      });
      res.on('error', () => finish(null, res.statusCode));
      res.on('close', () => finish(null, res.statusCode));
      res.on('end', () => finish(null, res.statusCode));
    });
    const timer = setTimeout(
      () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onAbort = (): void => {
      req.destroy(new Error('delivery aborted: dispatcher stopping'));
    };
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e) => finish(e));
    req.end(payload);
  });
