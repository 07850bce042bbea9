import { createParser } from 'eventsource-parser';
export interface SseMessage {
  id?: number;
  event?: string;
  data?: Record<string, unknown>;
  /** A comment line (`: …`), such as the server's heartbeat. */
  comment?: string;
}

/**
 * Reads an SSE response message by message; null once the server ends the stream. `skip`
 * drops messages a test does not care about (heartbeats, messages without an event name).
 */
export function sseReader(
  res: Response,
  opts: { skip?: (m: SseMessage) => boolean } = {},
): { next(): Promise<SseMessage | null> } {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const queue: SseMessage[] = [];
  const parser = createParser({
    onEvent: (e) => {
      const msg: SseMessage = e.event ? { event: e.event } : {};
      if (e.id !== undefined) msg.id = Number(e.id);
      if (e.data) msg.data = JSON.parse(e.data) as Record<string, unknown>;
      queue.push(msg);
    },
    onComment: (comment) => queue.push({ comment: comment.trim() }),
  });
  return {
    async next() {
      for (;;) {
        const msg = queue.shift();
        if (msg) {
          if (opts.skip?.(msg)) continue;
          return msg;
        }
        const { value, done } = await reader.read();
        if (done) return null;
        parser.feed(value);
      }
    },
  };
}
