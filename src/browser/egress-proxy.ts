import { once } from 'node:events';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

/**
 * Decides whether the browser may reach a URL: resolves to the address to connect to (checked
 * once, so a second DNS answer cannot swap in another: no DNS rebinding), or throws an Error
 * whose message says why not.
 */
export type EgressCheck = (url: URL) => Promise<{ address: string }>;

/** A request the guard refused, for the test's result (why a page or resource did not load). */
export interface EgressRefusal {
  url: string;
  reason: string;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * A forward proxy on 127.0.0.1 that every request of a guarded browser context goes through:
 * navigations, each redirect hop (the browser asks again for the Location, through the proxy),
 * subresources, fetch/XHR, WebSockets and the context's APIRequestContext. Each target is checked
 * by `check` and connected to at the address it returned. Plain HTTP is forwarded; HTTPS and
 * WebSockets are tunnelled with CONNECT (the proxy never sees their content).
 */
export class EgressProxy {
  readonly #server: Server;
  readonly #check: EgressCheck;
  readonly #sockets = new Set<Socket>();
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 64 });
  /** Refusals since the proxy started, by the listener that wants them (a test's context). */
  readonly #listeners = new Set<(r: EgressRefusal) => void>();
  url = '';

  private constructor(check: EgressCheck) {
    this.#check = check;
    this.#server = createServer((req, res) => void this.#forward(req, res));
    this.#server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      void this.#tunnel(req, socket, head);
    });
    this.#server.on('connection', (s: Socket) => {
      this.#sockets.add(s);
      s.once('close', () => this.#sockets.delete(s));
    });
  }

  static async start(check: EgressCheck): Promise<EgressProxy> {
    const p = new EgressProxy(check);
    p.#server.listen(0, '127.0.0.1');
    await once(p.#server, 'listening');
    p.url = `http://127.0.0.1:${(p.#server.address() as AddressInfo).port}`;
    return p;
  }

  /** Playwright's context `proxy` option for a guarded context (loopback is proxied too). */
  get contextProxy(): { server: string; bypass: string } {
    // Chromium sends loopback requests around any proxy unless told `<-loopback>`.
    return { server: this.url, bypass: '<-loopback>' };
  }

  onRefusal(fn: (r: EgressRefusal) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    this.#agent.destroy();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  async #allowed(url: URL): Promise<{ address: string } | { refused: string }> {
    try {
      return await this.#check(url);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      for (const fn of this.#listeners) fn({ url: url.href, reason });
      return { refused: reason };
    }
  }

  async #forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
      if (url.protocol !== 'http:') throw new Error('not http');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('Greenlight: not a proxy request');
      return;
    }
    const verdict = await this.#allowed(url);
    if ('refused' in verdict) {
      res
        .writeHead(403, {
          'content-type': 'text/plain; charset=utf-8',
          'cache-control': 'no-store',
        })
        .end(`Greenlight refused this request: ${verdict.refused}`);
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    }
    const upstream = httpRequest({
      host: verdict.address,
      port: url.port || 80,
      path: `${url.pathname}${url.search}`,
      method: req.method,
      headers: { ...headers, host: url.host },
      agent: this.#agent,
    });
    upstream.on('response', (up) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(up.headers)) {
        if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
      }
      res.writeHead(up.statusCode ?? 502, up.statusMessage, out);
      up.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.destroy();
    });
    req.on('aborted', () => upstream.destroy());
    req.pipe(upstream);
  }

  async #tunnel(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const target = req.url ?? '';
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(target);
    if (!m?.[1] || !m[2]) {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const port = Number(m[2]);
    // A tunnel names only host and port. The check is about that endpoint; it is asked as the
    // http origin (Playwright's API requests tunnel plain http too) unless the port is 443, so
    // an exact trusted origin such as the bundled demo's http://127.0.0.1:3100 matches.
    const scheme = port === 443 ? 'https' : 'http';
    const verdict = await this.#allowed(new URL(`${scheme}://${m[1]}:${port}/`));
    if ('refused' in verdict) {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const up = connect(port, verdict.address);
    up.on('error', () => socket.destroy());
    socket.on('close', () => up.destroy());
    up.once('connect', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
  }
}
