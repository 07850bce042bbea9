import { createHash } from 'node:crypto';
import { AppError } from '../domain/errors.ts';
import type { Logger } from 'pino';
import type { Store } from '../store/connect.ts';
import type { TriggerShape } from '../store/run-triggers.ts';

/** How long an Idempotency-Key is remembered. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * JSON with object keys sorted and undefined members dropped, so two bodies that mean the same
 * (keys in another order, an explicit `undefined`) hash the same.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sortKeys(v)));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** SHA-256 of the API shape and the canonical body: what a key is bound to. */
export function requestHash(shape: TriggerShape, body: unknown): string {
  return createHash('sha256')
    .update(`${shape}\n${canonicalJson(body ?? {})}`)
    .digest('hex');
}

function idempotencyMismatch(key: string): AppError {
  return new AppError(
    'idempotency_mismatch',
    `Idempotency-Key "${key}" was already used with a different request body; ` +
      'send the same body to get the same run, or use a new key for a new run',
    { idempotencyKey: key },
  );
}

/**
 * The run an earlier request with this key created, or null for a new key. Throws
 * idempotency_mismatch when the key was used with another body.
 */
export async function replayedRunId(
  store: Store,
  projectId: string,
  key: string,
  hash: string,
  now: Date,
): Promise<string | null> {
  const rec = await store.idempotency.find(projectId, key, now.toISOString());
  if (!rec) return null;
  if (rec.requestHash !== hash) throw idempotencyMismatch(key);
  return rec.runId;
}

/**
 * Deletes expired Idempotency-Keys now and every hour. Expired keys are ignored when read
 * anyway; this only keeps the table small.
 */
export class IdempotencyPurge {
  readonly #store: Store;
  readonly #logger: Logger | undefined;
  #timer: NodeJS.Timeout | null = null;

  constructor(deps: { store: Store; logger?: Logger }) {
    this.#store = deps.store;
    this.#logger = deps.logger;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.#purge(), 60 * 60 * 1000);
    this.#timer.unref();
    void this.#purge();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  async #purge(): Promise<void> {
    try {
      await this.#store.idempotency.purgeExpired(new Date().toISOString());
    } catch (err) {
      this.#logger?.warn({ err }, 'purging expired Idempotency-Keys failed');
    }
  }
}
