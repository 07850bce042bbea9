import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../src/integrations/sign.ts';
import { until as waitFor } from '../helpers/until.ts';

/** One request a receiver got. */
export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** Whether the signature verified with the receiver's secret at the time. */
  valid: boolean;
}

export interface Receiver {
  url: string;
  port: number;
  got: Received[];
  /** The secret signatures are checked with (set after rotating it through the API). */
  secret: string;
  close(): Promise<void>;
}

export type Answer = (r: Received, res: ServerResponse) => void;

/** Default answer: 204 for a valid signature, 401 otherwise, as a real receiver should. */
export const verifyingAnswer: Answer = (r, res) => {
  res.statusCode = r.valid ? 204 : 401;
  res.end();
};

/** A real callback receiver on 127.0.0.1 (port 0, or a given port to come back on). */
export async function startReceiver(answer: Answer = verifyingAnswer, port = 0): Promise<Receiver> {
  const got: Received[] = [];
  const receiver = { secret: '' } as Receiver;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const ts = req.headers['x-greenlight-timestamp'];
      const sig = req.headers['x-greenlight-signature'];
      const r: Received = {
        path: req.url ?? '/',
        headers: req.headers,
        body,
        valid: verifySignature(
          receiver.secret,
          typeof ts === 'string' ? ts : undefined,
          body,
          typeof sig === 'string' ? sig : undefined,
        ),
      };
      got.push(r);
      answer(r, res);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    got,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

/** A port nothing listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const r = await startReceiver();
  await r.close();
  return r.port;
}

/** Poll `read` until `done` holds (bounded); returns the last value. */
export async function until<T>(
  read: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  // Wrapped, so a value that is itself falsy can still be the one waited for.
  const found = await waitFor(
    'the condition',
    async () => {
      const v = await read();
      return done(v) ? { v } : undefined;
    },
    { timeoutMs },
  );
  return found.v;
}
