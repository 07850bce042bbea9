import { createHash } from 'node:crypto';
import type pg from 'pg';
import { pgDriver } from './pg-driver.ts';

/** NOTIFY refuses payloads of 8000 bytes and more; a little room is left. */
const NOTIFY_MAX_BYTES = 7_900;
/** PostgreSQL identifiers (channel names) are at most 63 bytes. */
const MAX_CHANNEL = 63;
/** Messages kept while the connection is down; older ones are dropped first. */
const MAX_PENDING = 1_000;

export interface PgBroadcastOptions {
  /** `postgres://…`; its `options` (search_path) pick the schema when `schema` is not given. */
  databaseUrl: string;
  /** The schema the store uses (tests give each store one); it names the channel. */
  schema?: string;
  /** Channel name prefix; the schema is appended. */
  prefix?: string;
  /** The connection failed or dropped, or a send failed (it reconnects by itself). */
  onError?: (err: unknown) => void;
  /** Longest wait between reconnect attempts (default 5 s). */
  maxBackoffMs?: number;
}

/**
 * A broadcast channel over PostgreSQL LISTEN/NOTIFY: every process on the same database and
 * schema hears every message. One dedicated connection both listens and sends, so the messages
 * of a process arrive everywhere in the order it sent them. When the connection drops it is
 * opened again (with backoff); messages sent meanwhile wait (up to MAX_PENDING), messages
 * other processes sent meanwhile are lost.
 */
export class PgBroadcast {
  readonly maxBytes = NOTIFY_MAX_BYTES;
  readonly #o: PgBroadcastOptions;
  readonly #listeners: ((message: string) => void)[] = [];
  #client: pg.Client | null = null;
  #channel = '';
  #pending: string[] = [];
  #closed = false;
  #backoffMs = 0;
  #retry: NodeJS.Timeout | null = null;
  /** The connection's queries, one after another (pg 9 drops the client's own queueing). */
  #chain: Promise<unknown> = Promise.resolve();

  private constructor(o: PgBroadcastOptions) {
    this.#o = o;
  }

  /** Connect and LISTEN; throws when the first connection fails (bad URL, database down). */
  static async open(o: PgBroadcastOptions): Promise<PgBroadcast> {
    if (o.schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(o.schema)) {
      throw new Error(`invalid PostgreSQL schema name: ${o.schema}`);
    }
    const b = new PgBroadcast(o);
    await b.#connect();
    return b;
  }

  /** The channel name (`greenlight_events:<schema>`, hashed when too long). */
  get channel(): string {
    return this.#channel;
  }

  onMessage(fn: (message: string) => void): void {
    this.#listeners.push(fn);
  }

  send(message: string): void {
    if (this.#closed) return;
    if (Buffer.byteLength(message) > this.maxBytes) {
      this.#o.onError?.(
        new Error(`a broadcast message of ${message.length} characters is too long`),
      );
      return;
    }
    const client = this.#client;
    if (!client) {
      this.#pending.push(message);
      if (this.#pending.length > MAX_PENDING) this.#pending.shift();
      return;
    }
    const channel = this.#channel;
    // One at a time, in the order sent: the order every listener then hears them in.
    this.#chain = this.#chain
      .then(() => client.query('select pg_notify($1, $2)', [channel, message]))
      .catch((err: unknown) => this.#o.onError?.(err));
  }

  /** Resolves once every message sent so far has been handed to PostgreSQL. */
  async flush(): Promise<void> {
    await this.#chain;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    const { databaseUrl, schema } = this.#o;
    const client = new (pgDriver().Client)({
      connectionString: databaseUrl,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client, new Error('the connection closed')));
    client.on('notification', (n) => {
      if (n.channel !== this.#channel || n.payload === undefined) return;
      for (const fn of this.#listeners) fn(n.payload);
    });
    try {
      await client.connect();
      const { rows } = await client.query<{ schema: string | null }>(
        'select current_schema() as schema',
      );
      const current = rows[0]?.schema;
      if (!current) throw new Error('PostgreSQL has no current schema: check search_path');
      this.#channel = channelName(this.#o.prefix ?? 'greenlight_events', current);
      await client.query(`listen ${quoteIdent(this.#channel)}`);
    } catch (e) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw e;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    this.#backoffMs = 0;
    const pending = this.#pending;
    this.#pending = [];
    for (const m of pending) this.send(m);
  }

  #lost(client: pg.Client, err: unknown): void {
    if (this.#client !== client || this.#closed) return;
    this.#client = null;
    this.#o.onError?.(err);
    client.end().catch(() => undefined);
    this.#reconnectLater();
  }

  #reconnectLater(): void {
    if (this.#closed || this.#retry) return;
    const max = this.#o.maxBackoffMs ?? 5_000;
    this.#backoffMs = Math.min(max, Math.max(100, this.#backoffMs * 2));
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.#connect().catch((e: unknown) => {
        this.#o.onError?.(e);
        this.#reconnectLater();
      });
    }, this.#backoffMs);
    this.#retry.unref();
  }
}

/** One channel per schema: two Greenlights in two schemas of one database do not hear each other. */
function channelName(prefix: string, schema: string): string {
  const name = `${prefix}:${schema}`;
  if (Buffer.byteLength(name) <= MAX_CHANNEL) return name;
  return `${prefix}:${createHash('sha256').update(schema).digest('hex').slice(0, 24)}`;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
