// The ceiling of the API benchmark (bench/api.ts): a bare Fastify app, in its own process as the
// real server is, whose routes answer a fixed status code and JSON body, no auth, no database.
// Whatever Greenlight does per request costs the difference. argv[2] is a JSON file:
//   [{ "method": "GET", "url": "/status", "status": 200, "body": {...} }, ...]
// Prints `{"port":N}` on stdout once listening; stops on SIGTERM.
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

interface FixedRoute {
  method: 'GET' | 'POST';
  url: string;
  status: number;
  body: unknown;
}

const file = process.argv[2];
if (!file) throw new Error('usage: bare-server.ts <routes.json>');
const routes = JSON.parse(readFileSync(file, 'utf8')) as FixedRoute[];
const app = Fastify({ logger: false });
for (const r of routes) {
  app.route({
    method: r.method,
    url: r.url,
    handler: (_req, reply) => reply.code(r.status).send(r.body),
  });
}
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
process.stdout.write(
  `${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`,
);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
