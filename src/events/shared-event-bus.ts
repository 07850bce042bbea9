import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  InProcessEventBus,
  runEventTypes,
  type EventBus,
  type RunEvent,
  type RunEventListener,
} from './event-bus.ts';

/**
 * A channel every process on one database hears (PostgreSQL LISTEN/NOTIFY: store/pg-broadcast.ts).
 * Messages sent by one connection arrive in the order sent; the sender hears its own too.
 */
export interface Broadcast {
  /** Largest message the channel carries, in bytes (NOTIFY: under 8000). */
  readonly maxBytes: number;
  send(message: string): void;
  /** Called with every message on the channel, this process's own included. */
  onMessage(fn: (message: string) => void): void;
}

export interface SharedEventBusOptions {
  onListenerError?: (err: unknown, e: RunEvent) => void;
  /** A message on the channel that is not an event envelope (another version, garbage). */
  onBadMessage?: (message: string) => void;
}

/**
 * What other processes act on: a run queued (a crawl phase to claim), started (GitLab's
 * `running` status) and finished (waitForRun, cancels, callbacks, PR feedback, held runs).
 * A test's events stay in their process: what watchers see of them is the run's stream log,
 * whose NOTIFY carries only ids, so each test costs no notice of its own here.
 */
const BROADCAST: ReadonlySet<RunEvent['type']> = new Set([
  'run.queued',
  'run.started',
  'run.finished',
]);

/**
 * Run events shared by every process on one database: each event is delivered here at once (as
 * the in-process bus does), and a run's own events are broadcast; those broadcast by other
 * processes are delivered here with `remote: true`. So a waitForRun, a cancel or a callback on
 * one `greenlight serve` hears the end of a run another process executes. Delivery across
 * processes is best effort (a dropped connection loses what was sent meanwhile): state lives
 * in the database, events only say when to look, and each listener also reads the store.
 */
export class SharedEventBus implements EventBus {
  /** This bus's id in every envelope it sends, so it can skip its own echo. */
  readonly origin = randomUUID();
  readonly #local: InProcessEventBus;
  readonly #broadcast: Broadcast;
  readonly #onBadMessage: (message: string) => void;

  constructor(broadcast: Broadcast, opts: SharedEventBusOptions = {}) {
    this.#local = new InProcessEventBus(
      opts.onListenerError ? { onListenerError: opts.onListenerError } : {},
    );
    this.#broadcast = broadcast;
    this.#onBadMessage = opts.onBadMessage ?? (() => {});
    broadcast.onMessage((m) => this.#receive(m));
  }

  publish(e: RunEvent): void {
    this.#local.publish(e);
    // An event heard from elsewhere is never sent on again.
    if (e.remote || !BROADCAST.has(e.type)) return;
    this.#broadcast.send(encodeEnvelope(this.origin, e, this.#broadcast.maxBytes));
  }

  subscribe(runId: string | '*', listener: RunEventListener): () => void {
    return this.#local.subscribe(runId, listener);
  }

  /** Listeners currently attached (for leak checks in tests). */
  listenerCount(runId: string | '*'): number {
    return this.#local.listenerCount(runId);
  }

  #receive(message: string): void {
    const envelope = decodeEnvelope(message);
    if (!envelope) return this.#onBadMessage(message);
    if (envelope.o === this.origin) return;
    this.#local.publish({ ...envelope.e, remote: true });
  }
}

const envelopeSchema = z.object({
  /** The sending bus. */
  o: z.string().min(1),
  e: z.looseObject({
    type: z.enum(runEventTypes),
    runId: z.string().min(1),
    projectId: z.string().min(1),
    at: z.string().min(1),
  }),
});

/** The event from a broadcast message, or null when it is not one of ours. */
export function decodeEnvelope(message: string): { o: string; e: RunEvent } | null {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return null;
  }
  const parsed = envelopeSchema.safeParse(json);
  // The fields beyond the four checked are ours as sent: every sender runs this code.
  return parsed.success ? { o: parsed.data.o, e: parsed.data.e as RunEvent } : null;
}

/** Lengths user text (errors, names, log lines) is cut to, in turn, until an event fits. */
const TEXT_LIMITS = [2_000, 500, 100, 0];

/**
 * The broadcast message of an event, within `maxBytes`. Ids, type, status and counts always
 * fit; user text (an error, a test name, a phase message, healing notes) is shortened when the
 * whole would not. The stored result keeps the full text; a live stream shows the cut one.
 */
export function encodeEnvelope(origin: string, e: RunEvent, maxBytes: number): string {
  const { remote: _remote, ...event } = e;
  const full = JSON.stringify({ o: origin, e: event });
  if (Buffer.byteLength(full) <= maxBytes) return full;
  for (const limit of TEXT_LIMITS) {
    const text = JSON.stringify({ o: origin, e: shorten(event, limit) });
    if (Buffer.byteLength(text) <= maxBytes) return text;
  }
  throw new Error(`an event of type ${e.type} does not fit a ${maxBytes}-byte message`);
}

function shorten(e: RunEvent, limit: number): RunEvent {
  const cut = (s: string | null | undefined): string | undefined =>
    s === null || s === undefined || limit === 0
      ? undefined
      : s.length > limit
        ? `${s.slice(0, limit)}…`
        : s;
  const out: RunEvent = { ...e };
  delete out.healed;
  delete out.error;
  delete out.message;
  delete out.testName;
  const error = cut(e.error);
  const message = cut(e.message);
  const testName = cut(e.testName);
  if (error !== undefined) out.error = error;
  if (message !== undefined) out.message = message;
  if (testName !== undefined) out.testName = testName;
  // Healing notes go first: the result row keeps them; only the largest limit keeps a few.
  if (e.healed && limit >= TEXT_LIMITS[0]!) out.healed = e.healed.slice(0, 5);
  return out;
}
