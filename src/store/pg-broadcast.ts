import { createHash } from 'node:crypto';
import type pg from 'pg';
import { pgDriver } from './pg-driver.ts';

/** NOTIFY refuses payloads of 8000 bytes and more; a little room is left. */
const NOTIFY_MAX_BYTES = 7_900;
/** PostgreSQL identifiers (channel names) are at most 63 bytes. */
const MAX_CHANNEL = 63;
/** Messages kept while the connection is down (all channels together); older ones go first. */
const MAX_PENDING = 1_000;

export interface PgBroadcastOptions<N extends string> {
  /** `postgres://…`; its `options` (search_path) pick the schema when `schema` is not given. */
  databaseUrl: string;
  /** The schema the store uses (tests give each store one); it names the channels. */
  schema?: string;
  /**
   * The channels this connection carries: `jobs` is PostgreSQL's `greenlight_jobs:<schema>`,
   * the name every Greenlight version uses, so processes of two versions still hear each other.
   */
  channels: readonly N[];
  /** Shown in `pg_stat_activity.application_name` (PostgreSQL cuts it to 63 bytes). */
  applicationName?: string;
  /** The connection failed or dropped, or a send failed (it reconnects by itself). */
  onError?: (err: unknown) => void;
  /** Longest wait between reconnect attempts (default 5 s). */
  maxBackoffMs?: number;
}

/** One named channel of a PgBroadcast: every process on the database and schema hears it. */
export interface BroadcastChannel {
  /** Largest message, in bytes (NOTIFY: under 8000). */
  readonly maxBytes: number;
  /** PostgreSQL's name for it (`greenlight_events:<schema>`, hashed when too long). */
  readonly name: string;
  send(message: string): void;
  /** Called with every message on the channel, this process's own included. */
  onMessage(fn: (message: string) => void): void;
}

interface Channel {
  /** PostgreSQL's name; known once the first connection told the schema. */
  name: string;
  readonly listeners: ((message: string) => void)[];
}

/**
 * Broadcast channels over PostgreSQL LISTEN/NOTIFY: every process on the same database and
 * schema hears every message. One dedicated connection per process listens on all its channels
 * and sends on them, so a process costs the database one connection however many channels it
 * uses, and its messages arrive everywhere in the order it sent them. When the connection drops
 * it is opened again (with backoff) and LISTENs on every channel again; messages sent meanwhile
 * wait (up to MAX_PENDING), messages other processes sent meanwhile are lost.
 */
export class PgBroadcast<N extends string = string> {
  readonly #o: PgBroadcastOptions<N>;
  readonly #channels = new Map<N, Channel>();
  #client: pg.Client | null = null;
  #pending: { channel: Channel; message: string }[] = [];
  #closed = false;
  #backoffMs = 0;
  #retry: NodeJS.Timeout | null = null;
  /** The connection's queries, one after another (pg 9 drops the client's own queueing). */
  #chain: Promise<unknown> = Promise.resolve();

  private constructor(o: PgBroadcastOptions<N>) {
    this.#o = o;
    for (const key of o.channels) this.#channels.set(key, { name: '', listeners: [] });
  }

  /** Connect and LISTEN on every channel; throws when the first connection fails. */
  static async open<const N extends string>(o: PgBroadcastOptions<N>): Promise<PgBroadcast<N>> {
    if (o.schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(o.schema)) {
      throw new Error(`invalid PostgreSQL schema name: ${o.schema}`);
    }
    if (o.channels.length === 0) throw new Error('a broadcast needs at least one channel');
    const b = new PgBroadcast(o);
    await b.#connect();
    return b;
  }

  /** The channel opened as `key`. */
  channel(key: N): BroadcastChannel {
    const c = this.#channels.get(key);
    if (!c) throw new Error(`no broadcast channel ${key}: it was not opened`);
    return {
      maxBytes: NOTIFY_MAX_BYTES,
      get name() {
        return c.name;
      },
      send: (message) => this.#send(c, message),
      onMessage: (fn) => void c.listeners.push(fn),
    };
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

  #send(channel: Channel, message: string): void {
    if (this.#closed) return;
    if (Buffer.byteLength(message) > NOTIFY_MAX_BYTES) {
      this.#o.onError?.(
        new Error(`a message of ${message.length} characters is too long for ${channel.name}`),
      );
      return;
    }
    const client = this.#client;
    if (!client) {
      this.#pending.push({ channel, message });
      if (this.#pending.length > MAX_PENDING) this.#pending.shift();
      return;
    }
    const name = channel.name;
    // One at a time, in the order sent: the order every listener then hears them in.
    this.#chain = this.#chain
      .then(() => client.query('select pg_notify($1, $2)', [name, message]))
      .catch((err: unknown) => this.#o.onError?.(err));
  }

  async #connect(): Promise<void> {
    const { databaseUrl, schema, applicationName } = this.#o;
    const client = new (pgDriver().Client)({
      connectionString: databaseUrl,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
      ...(applicationName ? { application_name: applicationName } : {}),
    });
    const byName = new Map<string, Channel>();
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client, new Error('the connection closed')));
    client.on('notification', (n) => {
      const channel = byName.get(n.channel);
      if (!channel || n.payload === undefined) return;
      for (const fn of channel.listeners) fn(n.payload);
    });
    try {
      await client.connect();
      const { rows } = await client.query<{ schema: string | null }>(
        'select current_schema() as schema',
      );
      const current = rows[0]?.schema;
      if (!current) throw new Error('PostgreSQL has no current schema: check search_path');
      for (const [key, channel] of this.#channels) {
        channel.name = channelName(`greenlight_${key}`, current);
        byName.set(channel.name, channel);
      }
      // One round trip for every channel (a simple query may hold several statements).
      await client.query([...byName.keys()].map((n) => `listen ${quoteIdent(n)}`).join('; '));
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
    for (const p of pending) this.#send(p.channel, p.message);
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
