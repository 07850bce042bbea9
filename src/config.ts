import { resolve, join } from 'node:path';
import { z } from 'zod';

/** Everything Greenlight reads from its environment, parsed once at start-up. */
export interface Config {
  /** Folder for the SQLite file, artifacts and the queue (GREENLIGHT_DATA_DIR). */
  dataDir: string;
  /** `sqlite:<path>` / a file path, or `postgres://…` (DATABASE_URL). */
  databaseUrl: string;
  host: string;
  port: number;
  /** Public base URL used to build absolute links (GREENLIGHT_PUBLIC_URL). */
  publicUrl: string | null;
  /** Chromium binary (GREENLIGHT_CHROMIUM_PATH). */
  chromiumPath: string | null;
  /** Remote browser endpoint, Playwright run-server protocol (GREENLIGHT_BROWSER_WS). */
  browserWs: string | null;
  /** Browser contexts this process runs at once across all runs (GREENLIGHT_WORKERS). */
  workers: number;
  /** Largest accepted request body in bytes (GREENLIGHT_BODY_LIMIT). */
  bodyLimit: number;
  logLevel: string;
}

const envSchema = z.object({
  GREENLIGHT_DATA_DIR: z.string().min(1).optional(),
  DATABASE_URL: z.string().min(1).optional(),
  GREENLIGHT_HOST: z.string().min(1).optional(),
  GREENLIGHT_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).optional(),
  GREENLIGHT_PUBLIC_URL: z.url().optional(),
  GREENLIGHT_CHROMIUM_PATH: z.string().min(1).optional(),
  GREENLIGHT_BROWSER_WS: z.string().min(1).optional(),
  GREENLIGHT_WORKERS: z.coerce.number().int().min(1).max(16).optional(),
  GREENLIGHT_BODY_LIMIT: z.coerce.number().int().min(1024).optional(),
  GREENLIGHT_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .optional(),
});

/** Parse configuration from an environment (process.env by default); throws naming the bad variable. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<Config> = {},
): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${msg}`);
  }
  const e = parsed.data;
  const dataDir = resolve(overrides.dataDir ?? e.GREENLIGHT_DATA_DIR ?? '.greenlight');
  return {
    dataDir,
    databaseUrl:
      overrides.databaseUrl ?? e.DATABASE_URL ?? `sqlite:${join(dataDir, 'greenlight.db')}`,
    host: overrides.host ?? e.GREENLIGHT_HOST ?? '127.0.0.1',
    port: overrides.port ?? e.GREENLIGHT_PORT ?? e.PORT ?? 3001,
    publicUrl: overrides.publicUrl ?? e.GREENLIGHT_PUBLIC_URL ?? null,
    chromiumPath: overrides.chromiumPath ?? e.GREENLIGHT_CHROMIUM_PATH ?? null,
    browserWs: overrides.browserWs ?? e.GREENLIGHT_BROWSER_WS ?? null,
    workers: overrides.workers ?? e.GREENLIGHT_WORKERS ?? 4,
    bodyLimit: overrides.bodyLimit ?? e.GREENLIGHT_BODY_LIMIT ?? 1024 * 1024,
    logLevel: overrides.logLevel ?? e.GREENLIGHT_LOG_LEVEL ?? 'info',
  };
}
