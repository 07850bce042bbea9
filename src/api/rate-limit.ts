import { createHash } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  RouteOptions,
} from 'fastify';
import type { Config, RateLimitSpec, RateLimitTier } from '../config.ts';
import { AppError } from '../domain/errors.ts';
import type { Principal } from '../domain/principal.ts';
import type { Store } from '../store/connect.ts';
import type { ErrorBody } from './errors.ts';
import { RateLimiter, type RateCounter } from './memory-rate-limit.ts';
import { SharedRateLimiter } from './shared-rate-limit.ts';

export { RateLimiter, type RateCounter } from './memory-rate-limit.ts';

/** Tiers a route declares in its config (`config: { rateLimit: 'expensive' }`); `none`: general only. */
export type RouteRateTier = 'auth' | 'expensive' | 'none';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Extra rate-limit tier of the route, besides the general one. */
    rateLimit?: RouteRateTier;
  }
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * Seed 001's tiers, plus per-credential ones so a CI fleet behind one NAT address is limited per
 * token, not together:
 * - general: every /api request without a valid credential, per client IP
 * - auth: sign-in, registration, password routes, per IP (before any password is hashed)
 * - expensive: trigger and run creation without a valid credential, per IP
 * - token: trigger and run creation with a valid token / key / session, per credential
 * - token_general: every /api request with a valid credential, per credential
 * - bad_credential: answers 401 to requests per IP; never touches a valid credential's budget
 */
const defaultRateLimits: Record<RateLimitTier, RateLimitSpec> = {
  general: { max: 300, windowMs: 15 * MINUTE },
  auth: { max: 10, windowMs: 15 * MINUTE },
  expensive: { max: 20, windowMs: HOUR },
  token: { max: 120, windowMs: HOUR },
  token_general: { max: 3000, windowMs: 15 * MINUTE },
  bad_credential: { max: 60, windowMs: 15 * MINUTE },
};

const exempt = /^\/api\/v1\/(health|ready)(\?|$)/;

/** The tier a route declares in its config (`rateLimit`); none declared: the general tier only. */
function tierOf(route: RouteOptions): RouteRateTier {
  return route.config?.rateLimit ?? 'none';
}

interface RequestState {
  ip: string;
  generalCounted: boolean;
  badCounted: boolean;
}

/** The client address: the socket's, or X-Forwarded-For's nearest untrusted hop behind trusted proxies. */
export function clientIp(
  remote: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: BlockList | null,
): string {
  const socketIp = normalizeIp(remote ?? '');
  if (!trusted || !isTrusted(trusted, socketIp)) return socketIp;
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? '');
  const hops = header
    .split(',')
    .map((h) => normalizeIp(h.trim()))
    .filter((h) => isIP(h) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!isTrusted(trusted, hop)) return hop;
  }
  return hops[0] ?? socketIp;
}

const normalizeIp = (ip: string): string => ip.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');

function isTrusted(list: BlockList, ip: string): boolean {
  const family = isIP(ip);
  return family !== 0 && list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
}

/** A BlockList of the configured proxies (addresses or CIDRs); null when none. */
export function trustedProxyList(entries: string[]): BlockList | null {
  if (entries.length === 0) return null;
  const list = new BlockList();
  for (const e of entries) {
    const [net, bits] = e.split('/', 2) as [string, string | undefined];
    const family = isIP(net);
    if (family === 0) throw new Error(`GREENLIGHT_TRUSTED_PROXIES: not an address or CIDR: ${e}`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(net, type);
    else list.addSubnet(net, Number(bits), type);
  }
  return list;
}

const hasCredentialHeader = (req: FastifyRequest): boolean =>
  req.headers.authorization !== undefined || req.headers['x-api-key'] !== undefined;

/** A digest of the credential material a request presents (never the secret itself). */
function credentialDigest(req: FastifyRequest): string | null {
  const material = [req.headers.authorization, req.headers['x-api-key'], req.headers.cookie]
    .map((v) => (Array.isArray(v) ? v.join(',') : (v ?? '')))
    .join('\n');
  if (material === '\n\n') return null;
  return createHash('sha256').update(material).digest('base64url');
}

/**
 * Credentials that were valid in the last `ttlMs`, by digest, at most `max` of them (oldest out
 * first). Over its bad-credential budget an address is refused before any lookup, except for
 * these: a CI job's working token keeps working beside a flood from the same NAT address.
 */
class RecentlyValid {
  readonly #at = new Map<string, number>();
  readonly #ttlMs = 10 * 60_000;
  readonly #max = 10_000;
  add(digest: string): void {
    this.#at.delete(digest);
    this.#at.set(digest, Date.now());
    if (this.#at.size > this.#max) this.#at.delete(this.#at.keys().next().value as string);
  }
  has(digest: string): boolean {
    const at = this.#at.get(digest);
    return at !== undefined && Date.now() - at < this.#ttlMs;
  }
}

/** AUTH's hook sets `req.principal`; read without depending on its declaration. */
const principalOf = (req: FastifyRequest): Principal | null =>
  (req as unknown as { principal?: Principal | null }).principal ?? null;

function credentialKey(p: Principal): string {
  return p.kind === 'trigger' ? `trigger:${p.tokenId}` : `user:${p.credentialId}`;
}

function rejection(tier: RateLimitTier, retryAfterSeconds: number): AppError {
  return new AppError('rate_limited', `Rate limit exceeded; retry in ${retryAfterSeconds} s`, {
    tier,
    retryAfterSeconds,
  });
}

/**
 * Install the rate limits on the root app, before any route: a general per-IP count on arrival
 * for anonymous requests, per-credential counts once authentication has run (a route-level
 * preHandler, so it follows AUTH's hook), and a per-IP count of 401 answers. On PostgreSQL the
 * counts are shared by every process on the database (shared-rate-limit.ts); on SQLite, one
 * process, they stay in memory. Returns the limiter (tests read its size). Does nothing when
 * GREENLIGHT_RATE_LIMIT=off.
 */
export function registerRateLimits(
  app: FastifyInstance,
  config: Pick<Config, 'rateLimit' | 'rateLimits' | 'trustedProxies'>,
  opts: { maxKeys?: number; now?: () => number; store?: Store; logger?: FastifyBaseLogger } = {},
): RateCounter | null {
  if (config.rateLimit === 'off') return null;
  const limiter: RateCounter =
    opts.store?.dialect === 'postgres'
      ? new SharedRateLimiter({ ...opts, store: opts.store })
      : new RateLimiter(opts);
  const specs = { ...defaultRateLimits, ...config.rateLimits };
  const trusted = trustedProxyList(config.trustedProxies);
  const states = new WeakMap<FastifyRequest, RequestState>();

  const stateOf = (req: FastifyRequest): RequestState => {
    let s = states.get(req);
    if (!s) {
      const ip = clientIp(req.socket.remoteAddress, req.headers['x-forwarded-for'], trusted);
      s = { ip, generalCounted: false, badCounted: false };
      states.set(req, s);
    }
    return s;
  };
  const check = async (reply: FastifyReply, tier: RateLimitTier, key: string): Promise<void> => {
    const r = await limiter.hit(`${tier}|${key}`, specs[tier]);
    if (r.allowed) return;
    reply.header('retry-after', String(r.retryAfterSeconds));
    throw rejection(tier, r.retryAfterSeconds);
  };
  const limited = (req: FastifyRequest): boolean =>
    req.url.startsWith('/api/') && !exempt.test(req.url);

  const recent = new RecentlyValid();
  app.addHook('onRoute', (route) => {
    const tier = tierOf(route);
    route.config = { ...route.config, rateLimit: tier };
    const afterAuth = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
      if (!limited(req)) return;
      const s = stateOf(req);
      const p = principalOf(req);
      if (p) {
        const digest = credentialDigest(req);
        if (digest) recent.add(digest);
        await check(reply, 'token_general', credentialKey(p));
        if (tier === 'expensive') await check(reply, 'token', credentialKey(p));
        return;
      }
      if (!s.generalCounted) {
        s.generalCounted = true;
        await check(reply, 'general', s.ip);
      }
      if (hasCredentialHeader(req) && !s.badCounted) {
        s.badCounted = true;
        await check(reply, 'bad_credential', s.ip);
      }
      if (tier === 'expensive') await check(reply, 'expensive', s.ip);
    };
    const existing = route.preHandler;
    route.preHandler = existing
      ? [...(Array.isArray(existing) ? existing : [existing]), afterAuth]
      : afterAuth;
  });

  app.addHook('onRequest', async (req, reply) => {
    if (!limited(req)) return;
    const s = stateOf(req);
    if (req.routeOptions.config?.rateLimit === 'auth') await check(reply, 'auth', s.ip);
    // A client that has spent its bad-credential budget is refused before its credential is
    // looked up: a flood of guessed tokens then costs no database work at all.
    const digest = credentialDigest(req);
    if (digest && !recent.has(digest)) {
      const spent = limiter.exhausted(`bad_credential|${s.ip}`, specs.bad_credential);
      if (spent) {
        s.badCounted = true;
        reply.header('retry-after', String(spent.retryAfterSeconds));
        throw rejection('bad_credential', spent.retryAfterSeconds);
      }
    }
    // Without credential material the caller is anonymous whatever the auth hook decides:
    // count now, before any work is done for it.
    if (!hasCredentialHeader(req) && req.headers.cookie === undefined) {
      s.generalCounted = true;
      await check(reply, 'general', s.ip);
    }
  });

  // A 401 (bad or expired credential, however the auth hook reported it) counts against the
  // client IP; past the limit it becomes a 429. A valid credential never answers 401, so a
  // flood of bad tokens cannot spend a good token's budget.
  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode !== 401 || !limited(req)) return payload;
    const s = stateOf(req);
    if (s.badCounted) return payload;
    s.badCounted = true;
    const r = await limiter.hit(`bad_credential|${s.ip}`, specs.bad_credential);
    if (r.allowed) return payload;
    const body: ErrorBody = {
      error: rejection('bad_credential', r.retryAfterSeconds).message,
      code: 'rate_limited',
      details: { tier: 'bad_credential', retryAfterSeconds: r.retryAfterSeconds },
    };
    reply.code(429).header('retry-after', String(r.retryAfterSeconds));
    reply.header('content-type', 'application/json; charset=utf-8');
    return JSON.stringify(body);
  });

  return limiter;
}
