import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';

/** Listen on config.host:config.port (127.0.0.1:3001 by default); resolves to the base URL. */
export async function startServer(
  app: FastifyInstance,
  config: Pick<Config, 'host' | 'port'>,
): Promise<string> {
  await app.listen({ host: config.host, port: config.port });
  const addr = app.server.address();
  if (addr === null || typeof addr === 'string') return `http://${config.host}:${config.port}`;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return `http://${host}:${addr.port}`;
}
