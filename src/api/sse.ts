import type { FastifyReply } from 'fastify';

/** Comment line sent while nothing happens, so proxies and clients keep the stream open. */
const HEARTBEAT_MS = 15_000;

/** One open text/event-stream response, written by hand after `reply.hijack()`. */
export class SseStream {
  readonly #reply: FastifyReply;
  readonly #timer: NodeJS.Timeout;
  readonly #onClose: (() => void)[] = [];
  #closed = false;

  constructor(reply: FastifyReply, heartbeatMs: number) {
    this.#reply = reply;
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx buffers responses unless told not to, which would delay every event.
      'x-accel-buffering': 'no',
      'x-request-id': reply.request.id,
    });
    reply.raw.flushHeaders();
    this.#timer = setInterval(() => this.comment('heartbeat'), heartbeatMs);
    this.#timer.unref();
    reply.raw.on('close', () => this.close());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Send one event; `data` is serialized as one line of JSON; `id` enables Last-Event-ID. */
  send(event: string, data: unknown, id?: number | string): void {
    if (this.#closed) return;
    const idLine = id === undefined ? '' : `id: ${id}\n`;
    this.#reply.raw.write(`${idLine}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  comment(text: string): void {
    if (this.#closed) return;
    this.#reply.raw.write(`: ${text}\n\n`);
  }

  /** Run `fn` once when the stream ends, whoever ends it (client, server, or us). */
  onClose(fn: () => void): void {
    if (this.#closed) fn();
    else this.#onClose.push(fn);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    for (const fn of this.#onClose.splice(0)) {
      try {
        fn();
      } catch (err) {
        this.#reply.log.error({ err }, 'SSE close listener failed');
      }
    }
    if (!this.#reply.raw.writableEnded) this.#reply.raw.end();
  }
}

/** The open streams of one app, so shutting the server down ends them instead of hanging. */
export class SseStreams {
  readonly #open = new Set<SseStream>();
  readonly #heartbeatMs: number;

  constructor(heartbeatMs = HEARTBEAT_MS) {
    this.#heartbeatMs = heartbeatMs;
  }

  /** Take over the reply and start an event stream on it. */
  open(reply: FastifyReply): SseStream {
    const stream = new SseStream(reply, this.#heartbeatMs);
    this.#open.add(stream);
    stream.onClose(() => this.#open.delete(stream));
    return stream;
  }

  get size(): number {
    return this.#open.size;
  }

  closeAll(): void {
    for (const s of [...this.#open]) s.close();
  }
}
