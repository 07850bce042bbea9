import { z } from 'zod';

/**
 * The live view's notices between processes on one PostgreSQL (the `live` channel of the
 * process's one LISTEN connection, store/pg-broadcast.ts). They carry ids only; a frame itself
 * goes through the `live_frames` table, since NOTIFY takes under 8000 bytes and a JPEG is tens
 * of kilobytes.
 *
 * - `watch`: process `o` has watchers of run `r`: of every test (`t: null`) or of these tests.
 *   It states the whole interest of `o` in `r` (it replaces the last one) and holds until
 *   `LIVE_INTEREST_TTL_MS` after it was heard; `o` repeats it every `LIVE_RENEW_MS`.
 * - `unwatch`: the last watcher of `r` on `o` left.
 * - `frame`: process `o` wrote frame `s` of attempt `a` of test `t` of run `r` to `live_frames`.
 */
const id = z.string().min(1).max(200);
const messageSchema = z.discriminatedUnion('k', [
  z.object({ k: z.literal('watch'), o: id, r: id, t: z.array(id).nullable() }),
  z.object({ k: z.literal('unwatch'), o: id, r: id }),
  z.object({
    k: z.literal('frame'),
    o: id,
    r: id,
    t: id,
    a: z.number().int().nonnegative(),
    s: z.number().int().positive(),
  }),
]);

export type LiveMessage = z.infer<typeof messageSchema>;

/** How often a process with watchers says so again. */
export const LIVE_RENEW_MS = 3_000;
/** How long a `watch` holds when it is not repeated (a process that died says nothing). */
export const LIVE_INTEREST_TTL_MS = 10_000;

/** The message, or null when it is not one (another version, garbage). */
export function decodeLiveMessage(text: string): LiveMessage | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = messageSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

/** A channel every process on the database hears (a `BroadcastChannel` of store/pg-broadcast.ts). */
export interface LiveChannel {
  /** Largest message, in bytes. */
  readonly maxBytes: number;
  send(message: string): void;
  /** Every message on the channel, this process's own included. */
  onMessage(fn: (message: string) => void): void;
}

/** Send `m` on `channel`. */
export function sendLive(channel: LiveChannel, m: LiveMessage): void {
  channel.send(JSON.stringify(m));
}
