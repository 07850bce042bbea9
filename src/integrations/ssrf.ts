import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import type { Config } from '../config.ts';
import { AppError } from '../domain/errors.ts';

/** What kind of network an address belongs to; only `public` is reachable by default. */
export type AddressKind =
  'public' | 'loopback' | 'private' | 'link_local' | 'unspecified' | 'reserved';

const kindLabel: Record<Exclude<AddressKind, 'public'>, string> = {
  loopback: 'a loopback',
  private: 'a private-network',
  link_local: 'a link-local (cloud metadata)',
  unspecified: 'an unspecified (0.0.0.0 / ::)',
  reserved: 'a reserved or multicast',
};

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** DNS resolution, injectable so tests can name a host without a real DNS record. */
export type LookupAll = (hostname: string) => Promise<ResolvedAddress[]>;

const systemLookup: LookupAll = async (hostname) => {
  const all = await dnsLookup(hostname, { all: true, verbatim: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** A URL that passed the guard, with the addresses it may be connected to (pin one of them). */
export interface PublicTarget {
  url: URL;
  addresses: ResolvedAddress[];
}

type AllowConfig = Pick<Config, 'allowPrivateUrls'> & Partial<Pick<Config, 'trustedOrigins'>>;

/** What the URL is for, named in refusals: "crawl URL host … resolves to a loopback address". */
export type UrlPurpose =
  | 'callback URL'
  | 'crawl URL'
  | 'base URL'
  | 'webhook URL'
  | 'request URL'
  | 'LLM API URL'
  | 'sign-in provider URL'
  | 'forge API URL';

/**
 * Refuse URLs that are not http(s) or whose host resolves to a loopback, private, link-local,
 * unspecified or reserved address (any of its addresses), unless GREENLIGHT_ALLOW_PRIVATE_URLS
 * allows it. Throws AppError('validation_failed'). Connect to one of the returned addresses, not
 * to the name again, or a second DNS answer could point elsewhere (DNS rebinding).
 */
export async function resolvePublicTarget(
  raw: string,
  config: AllowConfig,
  opts: { lookup?: LookupAll; purpose?: UrlPurpose; allowUnresolved?: boolean } = {},
): Promise<PublicTarget> {
  const what = opts.purpose ?? 'callback URL';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse(`${what} is not a valid absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw refuse(`${what} must use http or https, not ${url.protocol.replace(/:$/, '')}`);
  }
  const host = url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (host === '') throw refuse(`${what} has no host`);
  // An origin this process vouches for (the bundled demo it started): exactly that one.
  const trusted = config.trustedOrigins?.includes(url.origin) === true;
  const policy = allowPolicy(config);
  let addresses: ResolvedAddress[];
  if (isIP(host)) {
    addresses = [{ address: host, family: isIP(host) === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await (opts.lookup ?? systemLookup)(host);
    } catch {
      addresses = [];
    }
    if (addresses.length === 0) {
      // Saving a target whose DNS record does not exist yet (a preview deployment) is fine: every
      // connection to it is checked again when it is made.
      if (opts.allowUnresolved) return { url, addresses };
      throw refuse(`${what} host "${host}" cannot be resolved`);
    }
  }
  if (trusted || policy.hosts.has(host)) return { url, addresses };
  for (const a of addresses) {
    const kind = classifyAddress(a.address);
    if (kind === 'public' || policy.allows(a.address, kind)) continue;
    // The address itself is not echoed: it would tell a caller how internal names resolve.
    throw refuse(
      `${what} host "${host}" resolves to ${kindLabel[kind]} address; such targets are ` +
        'refused (an operator can allow them with GREENLIGHT_ALLOW_PRIVATE_URLS)',
    );
  }
  return { url, addresses };
}

/** Check a URL (see resolvePublicTarget) and return it parsed. */
export async function assertPublicUrl(
  raw: string,
  config: AllowConfig,
  opts: { lookup?: LookupAll; purpose?: UrlPurpose; allowUnresolved?: boolean } = {},
): Promise<URL> {
  return (await resolvePublicTarget(raw, config, opts)).url;
}

/**
 * The check a guarded browser context's proxy runs on every request (see browser/egress-proxy):
 * the guard above, with each host's verdict kept for `ttlMs` so a page's hundred subresources
 * cost one DNS lookup. At most 1,000 hosts are remembered; the oldest go first.
 */
export function egressCheck(
  config: AllowConfig,
  opts: { lookup?: LookupAll; ttlMs?: number; purpose?: UrlPurpose } = {},
): (url: URL) => Promise<{ address: string }> {
  const ttl = opts.ttlMs ?? 30_000;
  const cache = new Map<string, { at: number; verdict: Promise<{ address: string }> }>();
  return (url) => {
    const key = `${url.protocol}//${url.host}`;
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < ttl) return hit.verdict;
    const verdict = resolvePublicTarget(url.href, config, {
      ...(opts.lookup ? { lookup: opts.lookup } : {}),
      purpose: opts.purpose ?? 'request URL',
    }).then((t) => ({ address: t.addresses[0]?.address ?? url.hostname }));
    cache.delete(key);
    cache.set(key, { at: Date.now(), verdict });
    if (cache.size > 1000) cache.delete(cache.keys().next().value as string);
    return verdict;
  };
}

const refuse = (message: string): AppError => new AppError('validation_failed', message);

interface AllowPolicy {
  hosts: Set<string>;
  allows(address: string, kind: AddressKind): boolean;
}

const policies = new WeakMap<string[], AllowPolicy>();

/** Parsed once per config list: `loopback`, `private`, CIDRs / addresses, else host names. */
function allowPolicy(config: AllowConfig): AllowPolicy {
  const cached = policies.get(config.allowPrivateUrls);
  if (cached) return cached;
  const kinds = new Set<string>();
  const hosts = new Set<string>();
  const ranges = new BlockList();
  for (const entry of config.allowPrivateUrls.map((e) => e.trim().toLowerCase())) {
    if (entry === 'loopback' || entry === 'private') {
      kinds.add(entry);
      continue;
    }
    const [net, bits] = entry.split('/', 2) as [string, string | undefined];
    const family = isIP(net);
    if (family === 0) {
      hosts.add(entry.replace(/\.$/, ''));
      continue;
    }
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) ranges.addAddress(net, type);
    else ranges.addSubnet(net, Number(bits), type);
  }
  const policy: AllowPolicy = {
    hosts,
    allows(address, kind) {
      if (kinds.has(kind)) return true;
      const v4 = embeddedV4(address) ?? (isIP(address) === 4 ? address : null);
      if (v4 && ranges.check(v4, 'ipv4')) return true;
      return isIP(address) === 6 && ranges.check(address, 'ipv6');
    },
  };
  policies.set(config.allowPrivateUrls, policy);
  return policy;
}

/** The network kind of an IPv4 or IPv6 address (IPv4 embedded in IPv6 is judged as IPv4). */
export function classifyAddress(address: string): AddressKind {
  const family = isIP(address);
  if (family === 4) return classifyV4(v4Octets(address));
  if (family !== 6) return 'reserved';
  const v4 = embeddedV4(address);
  if (v4) return classifyV4(v4Octets(v4));
  const w = v6Words(address);
  if (w.every((x) => x === 0)) return 'unspecified';
  if (w.slice(0, 7).every((x) => x === 0) && w[7] === 1) return 'loopback';
  const first = w[0] ?? 0;
  if ((first & 0xfe00) === 0xfc00) return 'private';
  if ((first & 0xffc0) === 0xfe80) return 'link_local';
  if ((first & 0xff00) === 0xff00) return 'reserved';
  return 'public';
}

function classifyV4([a, b]: number[]): AddressKind {
  if (a === undefined || b === undefined) return 'reserved';
  if (a === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 100 && b >= 64 && b <= 127) return 'private'; // carrier-grade NAT, 100.64/10
  if (a === 169 && b === 254) return 'link_local';
  if (a >= 224) return 'reserved'; // multicast, 240/4 and broadcast
  return 'public';
}

const v4Octets = (a: string): number[] => a.split('.').map(Number);

/** 8 16-bit words of an IPv6 address (valid per isIP), with `::` and an IPv4 tail expanded. */
function v6Words(address: string): number[] {
  let a = address.split('%')[0] ?? address;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (tail?.[1]) {
    const [p, q, r, s] = v4Octets(tail[1]) as [number, number, number, number];
    a =
      a.slice(0, -tail[1].length) + `${((p << 8) | q).toString(16)}:${((r << 8) | s).toString(16)}`;
  }
  const [head, rest] = a.split('::', 2) as [string, string | undefined];
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((x) => parseInt(x, 16)));
  if (rest === undefined) return parse(head);
  const h = parse(head);
  const t = parse(rest);
  return [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

/**
 * The IPv4 address inside an IPv6 one when it carries one that a stack may route as IPv4:
 * IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96), 6to4 (2002::/16).
 */
function embeddedV4(address: string): string | null {
  if (isIP(address) !== 6) return null;
  const w = v6Words(address);
  const quad = (hi: number, lo: number): string =>
    `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  const zeros = (from: number, to: number): boolean => w.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && w[5] === 0xffff) return quad(w[6] ?? 0, w[7] ?? 0);
  if (zeros(0, 6) && ((w[6] ?? 0) !== 0 || (w[7] ?? 0) > 1)) return quad(w[6] ?? 0, w[7] ?? 0);
  if (w[0] === 0x64 && w[1] === 0xff9b && zeros(2, 6)) return quad(w[6] ?? 0, w[7] ?? 0);
  if (w[0] === 0x2002) return quad(w[1] ?? 0, w[2] ?? 0);
  return null;
}
