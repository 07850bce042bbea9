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
  let buffer = '';
  return {
    async next() {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const msg: SseMessage = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) msg.comment = line.slice(1).trim();
            else if (line.startsWith('id: ')) msg.id = Number(line.slice(4));
            else if (line.startsWith('event: ')) msg.event = line.slice(7);
            else if (line.startsWith('data: ')) msg.data = JSON.parse(line.slice(6));
          }
          if (opts.skip?.(msg)) continue;
          return msg;
        }
        const { value, done } = await reader.read();
        if (done) return null;
        buffer += value;
      }
    },
  };
}
