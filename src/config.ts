import { resolve, join } from 'node:path';
import { z } from 'zod';
import { ssoProvidersFrom, type SsoProviderConfig } from './auth/sso-config.ts';

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
  /**
   * Browser contexts this process runs at once across all runs (GREENLIGHT_WORKERS); 0: a
   * `serve` that executes no tests, leaving them to `greenlight worker` processes.
   */
  workers: number;
  /** Largest accepted request body in bytes (GREENLIGHT_BODY_LIMIT). */
  bodyLimit: number;
  logLevel: string;
  /** Whether anyone may register after the first user (each gets an own workspace) (GREENLIGHT_OPEN_REGISTRATION=1). */
  openRegistration: boolean;
  /** Private/loopback callback targets allowed anyway: `loopback`, `private`, hosts, CIDRs (GREENLIGHT_ALLOW_PRIVATE_URLS). */
  allowPrivateUrls: string[];
  /**
   * Exact origins this process vouches for although the guard would refuse them: the bundled demo
   * site it started or verified (its own data folder's), nothing else. Set at start, not from env.
   */
  trustedOrigins: string[];
  /** `off`: a quiet `serve`/`worker` no longer hands its idle heap back to the OS (GREENLIGHT_IDLE_COMPACTION). */
  idleCompaction: 'on' | 'off';
  /** `off` disables every rate limit, for local testing (GREENLIGHT_RATE_LIMIT). */
  rateLimit: 'on' | 'off';
  /** Per-tier limits overriding the defaults (GREENLIGHT_RATE_LIMIT_<TIER>=<max>/<window>). */
  rateLimits: Partial<Record<RateLimitTier, RateLimitSpec>>;
  /** Proxy addresses/CIDRs whose X-Forwarded-For is believed (GREENLIGHT_TRUSTED_PROXIES). */
  trustedProxies: string[];
  /** Longest a `wait: true` trigger holds the request, in ms (GREENLIGHT_WAIT_TIMEOUT_MS, default 10 min). */
  waitTimeoutMs: number;
  /** The polling hint of unfinished runs, `retryAfterSeconds` and `Retry-After` (GREENLIGHT_RETRY_AFTER_SECONDS, 1–300, default 5). */
  retryAfterSeconds: number;
  /** SMTP server for e-mail notifications, `smtp(s)://user:pass@host:port` (GREENLIGHT_SMTP_URL). */
  smtpUrl: string | null;
  /** Sender of e-mail notifications (GREENLIGHT_SMTP_FROM, default `Greenlight <greenlight@localhost>`). */
  smtpFrom: string;
  /** GitHub REST API base for PR comments and commit statuses; GitHub Enterprise: `https://host/api/v3` (GREENLIGHT_GITHUB_API_URL). */
  githubApiUrl: string;
  /** GitLab REST API base for MR notes and commit statuses (GREENLIGHT_GITLAB_API_URL). */
  gitlabApiUrl: string;
  /** LLM API flavour for test drafting: `openai` (chat completions) or `ollama` (GREENLIGHT_LLM_PROVIDER). */
  llmProvider: 'openai' | 'ollama';
  /** LLM API base, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434` (GREENLIGHT_LLM_BASE_URL). */
  llmBaseUrl: string | null;
  /** Bearer key of an OpenAI-compatible API; unset (and no ollama) means heuristics only (GREENLIGHT_LLM_API_KEY). */
  llmApiKey: string | null;
  /** Model name sent with every request (GREENLIGHT_LLM_MODEL). */
  llmModel: string | null;
  /** Largest kept artifact file in bytes (GREENLIGHT_ARTIFACT_MAX_FILE_MB, default 50). */
  artifactMaxFileBytes: number;
  /** Largest artifact total of one run in bytes (GREENLIGHT_ARTIFACT_MAX_RUN_MB, default 500). */
  artifactMaxRunBytes: number;
  /** Artifacts of runs finished longer ago are deleted (GREENLIGHT_ARTIFACT_RETENTION_DAYS, default 30). */
  artifactRetentionDays: number;
  /** Only the newest N finished runs per project keep artifacts (GREENLIGHT_ARTIFACT_RETENTION_RUNS, default 100). */
  artifactRetentionRuns: number;
  /** Key that encrypts secrets at rest, 32 bytes base64 or hex; unset: `<dataDir>/secret.key` (GREENLIGHT_SECRET_KEY). */
  secretKey: string | null;
  /** Directories under which a scan may read a repository path on this server (GREENLIGHT_SCAN_ROOTS, `:`-separated; default none). */
  scanRoots: string[];
  /** Bearer token Prometheus sends to GET /metrics; unset: /metrics answers 404 (GREENLIGHT_METRICS_TOKEN). */
  metricsToken: string | null;
  /** Self-registered accounts must confirm their e-mail before signing in (GREENLIGHT_REQUIRE_EMAIL_VERIFICATION=1; needs GREENLIGHT_SMTP_URL). */
  requireEmailVerification: boolean;
  /** Sign-in providers: one OpenID Connect provider (GREENLIGHT_OIDC_*) and GitHub (GREENLIGHT_GITHUB_CLIENT_*). */
  ssoProviders: SsoProviderConfig[];
  /**
   * On SIGTERM, how long running tests may finish before they are stopped and handed back to
   * the queue for another process (GREENLIGHT_STOP_GRACE_MS, default 30 s).
   */
  stopGraceMs: number;
  /** Where artifacts and baselines are kept: files below dataDir (default) or an S3 bucket (GREENLIGHT_ARTIFACTS=s3://bucket/prefix). */
  artifacts: ArtifactsConfig;
}

/** The artifact store: `filesystem` (below dataDir) or an S3-compatible bucket. */
export type ArtifactsConfig = { kind: 'filesystem' } | ({ kind: 's3' } & S3ArtifactsConfig);

/** Where and how to reach an S3-compatible bucket. */
export interface S3ArtifactsConfig {
  bucket: string;
  /** Key prefix inside the bucket, '' or ending in `/`. */
  prefix: string;
  /** Another service than AWS (MinIO, Ceph, R2, …) (GREENLIGHT_S3_ENDPOINT); null: AWS itself. */
  endpoint: string | null;
  /** GREENLIGHT_S3_REGION, else AWS_REGION, else `us-east-1`. */
  region: string;
  /** Bucket in the path, not the host name (GREENLIGHT_S3_FORCE_PATH_STYLE; default on with an endpoint). */
  forcePathStyle: boolean;
  /** AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY; null: the SDK's own chain (instance role, …). */
  credentials: { accessKeyId: string; secretAccessKey: string } | null;
}

/** Rate-limit tiers (see src/api/rate-limit.ts for what each one counts). */
const rateLimitTiers = [
  'general',
  'auth',
  'expensive',
  'token',
  'token_general',
  'bad_credential',
] as const;
export type RateLimitTier = (typeof rateLimitTiers)[number];
export interface RateLimitSpec {
  max: number;
  windowMs: number;
}

const windowUnits: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000 };
/** `300/15m` → { max: 300, windowMs: 900000 }; units s, m, h. */
const rateSpec = z
  .string()
  .regex(/^\d+\/\d+[smh]$/, 'expected <max>/<window>, e.g. 300/15m')
  .transform((v): RateLimitSpec => {
    const [max, win] = v.split('/') as [string, string];
    return { max: Number(max), windowMs: Number(win.slice(0, -1)) * windowUnits[win.slice(-1)]! };
  });
const commaList = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const envSchema = z.object({
  GREENLIGHT_DATA_DIR: z.string().min(1).optional(),
  DATABASE_URL: z.string().min(1).optional(),
  GREENLIGHT_HOST: z.string().min(1).optional(),
  GREENLIGHT_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).optional(),
  GREENLIGHT_PUBLIC_URL: z.url().optional(),
  GREENLIGHT_CHROMIUM_PATH: z.string().min(1).optional(),
  GREENLIGHT_BROWSER_WS: z.string().min(1).optional(),
  GREENLIGHT_WORKERS: z.coerce.number().int().min(0).max(16).optional(),
  GREENLIGHT_STOP_GRACE_MS: z.coerce.number().int().min(0).max(3_600_000).optional(),
  GREENLIGHT_BODY_LIMIT: z.coerce.number().int().min(1024).optional(),
  GREENLIGHT_OPEN_REGISTRATION: z.enum(['0', '1', 'true', 'false']).optional(),
  GREENLIGHT_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .optional(),
  GREENLIGHT_ALLOW_PRIVATE_URLS: commaList.optional(),
  GREENLIGHT_RATE_LIMIT: z.enum(['on', 'off']).optional(),
  GREENLIGHT_IDLE_COMPACTION: z.enum(['on', 'off']).optional(),
  GREENLIGHT_TRUSTED_PROXIES: commaList.optional(),
  GREENLIGHT_WAIT_TIMEOUT_MS: z.coerce.number().int().min(1).optional(),
  GREENLIGHT_RETRY_AFTER_SECONDS: z.coerce.number().int().min(1).max(300).optional(),
  GREENLIGHT_SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  GREENLIGHT_SMTP_FROM: z.string().min(3).optional(),
  GREENLIGHT_GITHUB_API_URL: z.url({ protocol: /^https?$/ }).optional(),
  GREENLIGHT_GITLAB_API_URL: z.url({ protocol: /^https?$/ }).optional(),
  GREENLIGHT_LLM_PROVIDER: z.enum(['openai', 'ollama']).optional(),
  GREENLIGHT_LLM_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  GREENLIGHT_LLM_API_KEY: z.string().min(1).optional(),
  GREENLIGHT_LLM_MODEL: z.string().min(1).optional(),
  GREENLIGHT_ARTIFACT_MAX_FILE_MB: z.coerce.number().positive().optional(),
  GREENLIGHT_ARTIFACT_MAX_RUN_MB: z.coerce.number().positive().optional(),
  GREENLIGHT_ARTIFACT_RETENTION_DAYS: z.coerce.number().positive().optional(),
  GREENLIGHT_ARTIFACT_RETENTION_RUNS: z.coerce.number().int().min(1).optional(),
  GREENLIGHT_SECRET_KEY: z.string().min(1).optional(),
  GREENLIGHT_SCAN_ROOTS: z.string().optional(),
  GREENLIGHT_METRICS_TOKEN: z.string().min(16).optional(),
  GREENLIGHT_REQUIRE_EMAIL_VERIFICATION: z.enum(['0', '1', 'true', 'false']).optional(),
  GREENLIGHT_ARTIFACTS: z
    .string()
    .regex(
      /^(filesystem|s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?)$/,
      'expected filesystem or s3://bucket/prefix',
    )
    .optional(),
  GREENLIGHT_S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  GREENLIGHT_S3_REGION: z.string().min(1).optional(),
  // The AWS variables may be set (or empty) for other tools: read, never refused.
  AWS_REGION: z.string().optional(),
  GREENLIGHT_S3_FORCE_PATH_STYLE: z.enum(['0', '1', 'true', 'false']).optional(),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  AWS_SECRET_ACCESS_KEY: z.string().optional(),
  ...Object.fromEntries(
    rateLimitTiers.map((t) => [`GREENLIGHT_RATE_LIMIT_${t.toUpperCase()}`, rateSpec.optional()]),
  ),
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
  const requireEmailVerification =
    overrides.requireEmailVerification ??
    (e.GREENLIGHT_REQUIRE_EMAIL_VERIFICATION === '1' ||
      e.GREENLIGHT_REQUIRE_EMAIL_VERIFICATION === 'true');
  const smtpUrl = overrides.smtpUrl ?? e.GREENLIGHT_SMTP_URL ?? null;
  if (requireEmailVerification && !smtpUrl) {
    throw new Error(
      'invalid configuration: GREENLIGHT_REQUIRE_EMAIL_VERIFICATION needs GREENLIGHT_SMTP_URL to send the links',
    );
  }
  const githubApiUrl =
    overrides.githubApiUrl ?? e.GREENLIGHT_GITHUB_API_URL ?? 'https://api.github.com';
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
    openRegistration:
      overrides.openRegistration ??
      (e.GREENLIGHT_OPEN_REGISTRATION === '1' || e.GREENLIGHT_OPEN_REGISTRATION === 'true'),
    allowPrivateUrls: overrides.allowPrivateUrls ?? e.GREENLIGHT_ALLOW_PRIVATE_URLS ?? [],
    trustedOrigins: overrides.trustedOrigins ?? [],
    rateLimit: overrides.rateLimit ?? e.GREENLIGHT_RATE_LIMIT ?? 'on',
    idleCompaction: overrides.idleCompaction ?? e.GREENLIGHT_IDLE_COMPACTION ?? 'on',
    rateLimits: overrides.rateLimits ?? rateLimitsFrom(e as Record<string, unknown>),
    trustedProxies: overrides.trustedProxies ?? e.GREENLIGHT_TRUSTED_PROXIES ?? [],
    waitTimeoutMs: overrides.waitTimeoutMs ?? e.GREENLIGHT_WAIT_TIMEOUT_MS ?? 600_000,
    retryAfterSeconds: overrides.retryAfterSeconds ?? e.GREENLIGHT_RETRY_AFTER_SECONDS ?? 5,
    smtpUrl,
    smtpFrom: overrides.smtpFrom ?? e.GREENLIGHT_SMTP_FROM ?? 'Greenlight <greenlight@localhost>',
    githubApiUrl,
    gitlabApiUrl:
      overrides.gitlabApiUrl ?? e.GREENLIGHT_GITLAB_API_URL ?? 'https://gitlab.com/api/v4',
    llmProvider: overrides.llmProvider ?? e.GREENLIGHT_LLM_PROVIDER ?? 'openai',
    llmBaseUrl: overrides.llmBaseUrl ?? e.GREENLIGHT_LLM_BASE_URL ?? null,
    llmApiKey: overrides.llmApiKey ?? e.GREENLIGHT_LLM_API_KEY ?? null,
    llmModel: overrides.llmModel ?? e.GREENLIGHT_LLM_MODEL ?? null,
    artifactMaxFileBytes:
      overrides.artifactMaxFileBytes ?? megabytes(e.GREENLIGHT_ARTIFACT_MAX_FILE_MB ?? 50),
    artifactMaxRunBytes:
      overrides.artifactMaxRunBytes ?? megabytes(e.GREENLIGHT_ARTIFACT_MAX_RUN_MB ?? 500),
    artifactRetentionDays:
      overrides.artifactRetentionDays ?? e.GREENLIGHT_ARTIFACT_RETENTION_DAYS ?? 30,
    artifactRetentionRuns:
      overrides.artifactRetentionRuns ?? e.GREENLIGHT_ARTIFACT_RETENTION_RUNS ?? 100,
    secretKey: overrides.secretKey ?? e.GREENLIGHT_SECRET_KEY ?? null,
    scanRoots:
      overrides.scanRoots ??
      (e.GREENLIGHT_SCAN_ROOTS ?? '')
        .split(':')
        .filter(Boolean)
        .map((p) => resolve(p)),
    metricsToken: overrides.metricsToken ?? e.GREENLIGHT_METRICS_TOKEN ?? null,
    requireEmailVerification,
    ssoProviders: overrides.ssoProviders ?? ssoProvidersFrom(env, { githubApiUrl }),
    stopGraceMs: overrides.stopGraceMs ?? e.GREENLIGHT_STOP_GRACE_MS ?? 30_000,
    artifacts: overrides.artifacts ?? artifactsFrom(e),
  };
}

function artifactsFrom(e: z.output<typeof envSchema>): ArtifactsConfig {
  const url = e.GREENLIGHT_ARTIFACTS;
  if (!url || url === 'filesystem') return { kind: 'filesystem' };
  const [bucket = '', ...rest] = url.slice('s3://'.length).split('/');
  const path = rest.filter(Boolean).join('/');
  const keyId = e.AWS_ACCESS_KEY_ID || null;
  const secret = e.AWS_SECRET_ACCESS_KEY || null;
  if ((keyId === null) !== (secret === null)) {
    throw new Error(
      "invalid configuration: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together (or neither, for the SDK's own credential chain)",
    );
  }
  const endpoint = e.GREENLIGHT_S3_ENDPOINT ?? null;
  const pathStyle = e.GREENLIGHT_S3_FORCE_PATH_STYLE;
  return {
    kind: 's3',
    bucket,
    prefix: path ? `${path}/` : '',
    endpoint,
    region: e.GREENLIGHT_S3_REGION ?? (e.AWS_REGION || 'us-east-1'),
    forcePathStyle:
      pathStyle === undefined ? endpoint !== null : pathStyle === '1' || pathStyle === 'true',
    credentials: keyId && secret ? { accessKeyId: keyId, secretAccessKey: secret } : null,
  };
}

const megabytes = (mb: number): number => Math.round(mb * 1024 * 1024);

function rateLimitsFrom(e: Record<string, unknown>): Partial<Record<RateLimitTier, RateLimitSpec>> {
  const out: Partial<Record<RateLimitTier, RateLimitSpec>> = {};
  for (const t of rateLimitTiers) {
    const v = e[`GREENLIGHT_RATE_LIMIT_${t.toUpperCase()}`];
    if (v) out[t] = v as RateLimitSpec;
  }
  return out;
}

/** Where secrets could appear in a log line (credential headers, cookies): redacted by every logger. */
export const SECRET_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'artifacts.credentials.secretAccessKey',
  '*.artifacts.credentials.secretAccessKey',
];
