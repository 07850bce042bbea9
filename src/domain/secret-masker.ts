/**
 * Secret masking in every encoding a secret takes on its way from a test to a report.
 *
 * A secret typed into a page comes back to us raw, JSON-escaped (error messages, request bodies;
 * twice when an error quoting a body is serialised again), percent-encoded three ways (query
 * strings, encodeURIComponent, form posts with `+`), as HTML entities (page text, reports) and
 * occasionally base64 (Basic auth, tokens). Masking only the raw form leaks the others.
 */

export const MASK = '••••••';

/** Every variant is matched as a literal: the regex is an alternation of escaped strings. */
const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/** The body of a JSON string literal holding `s`. */
const jsonEscape = (s: string): string => JSON.stringify(s).slice(1, -1);

/** JSON escaping that also writes non-ASCII as `\uXXXX` (Python, Java, some loggers). */
const jsonAsciiEscape = (s: string, upper: boolean): string =>
  jsonEscape(s).replace(/[\u007f-\uffff]/g, (c) => {
    const hex = c.charCodeAt(0).toString(16).padStart(4, '0');
    return `\\u${upper ? hex.toUpperCase() : hex}`;
  });

/** Percent-encodings with lower-case hex, as some encoders write them. */
const lowerHex = (s: string): string => s.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());

/** How the WHATWG URL parser (Node's and the browser's) encodes a value in each URL part. */
function urlParts(s: string): string[] {
  const u = new URL('http://h/');
  u.search = `?${s}`;
  const search = u.search.slice(1);
  u.pathname = `/${s}`;
  const path = u.pathname.slice(1);
  u.hash = `#${s}`;
  return [search, path, u.hash.slice(1)];
}

const HTML_NAMED: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
};

/** HTML-escaped forms: named entities (each style of apostrophe), decimal and hex numeric. */
function htmlVariants(s: string): string[] {
  const special = /[&<>"']/g;
  const named = (apos: string): string =>
    s.replace(special, (c) => (c === "'" ? apos : (HTML_NAMED[c] ?? c)));
  const numeric = (hex: boolean, nonAscii: boolean): string =>
    s.replace(nonAscii ? /[&<>"'\u0080-\uffff]/g : special, (c) => {
      const n = c.codePointAt(0) ?? 0;
      return hex ? `&#x${n.toString(16)};` : `&#${n};`;
    });
  return [
    named('&#39;'),
    named('&#x27;'),
    named('&apos;'),
    numeric(false, false),
    numeric(true, false),
    numeric(false, true),
    numeric(true, true),
  ];
}

/** Percent-encoded forms: component, URI, form (`+` for space) and the URL parser's own. */
function urlVariants(s: string): string[] {
  const component = encodeURIComponent(s);
  const form = new URLSearchParams([['', s]]).toString().slice(1);
  const out = [component, component.replace(/%20/g, '+'), encodeURI(s), form, ...urlParts(s)];
  return [...out, ...out.map(lowerHex)];
}

/** Base64 of the secret itself (no padding, which depends on what follows it). */
function base64Variants(s: string): string[] {
  const b = Buffer.from(s, 'utf8');
  return [b.toString('base64').replace(/=+$/, ''), b.toString('base64url')];
}

/**
 * Every form of one secret worth masking. Each text form is also JSON-escaped once and twice,
 * since an error message quoting a JSON body gets serialised again on its way to a report.
 */
export function secretVariants(secret: string): string[] {
  const base = [secret, ...urlVariants(secret), ...htmlVariants(secret)];
  const out = new Set<string>();
  for (const v of base) {
    out.add(v);
    const once = jsonEscape(v);
    out.add(once);
    out.add(jsonEscape(once));
    // PHP and some JSON libraries escape `/` too.
    out.add(once.replace(/\//g, '\\/'));
  }
  out.add(jsonAsciiEscape(secret, false));
  out.add(jsonAsciiEscape(secret, true));
  out.add(jsonEscape(jsonAsciiEscape(secret, false)));
  // Base64 of a short secret is short too and would mask unrelated text.
  if (secret.length >= 6) for (const v of base64Variants(secret)) out.add(v);
  return [...out].filter((v) => v.length > 0);
}

/** Secrets shorter than this are masked only as whole words, to keep logs readable. */
const SHORT = 3;
const WORD = 'A-Za-z0-9_';

/**
 * One regex of escaped literals (no quantifiers, no groups that repeat), so matching costs at most
 * the text's length times the variants' total length: no catastrophic backtracking however
 * hostile the secret. Longest variants first, so a secret containing another is masked whole.
 */
function buildPattern(secrets: readonly string[]): RegExp | null {
  const entries: { v: string; short: boolean }[] = [];
  for (const s of secrets) {
    const short = s.length < SHORT;
    for (const v of secretVariants(s)) entries.push({ v, short });
  }
  if (entries.length === 0) return null;
  entries.sort((a, b) => b.v.length - a.v.length);
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const { v, short } of entries) {
    if (seen.has(v)) continue;
    seen.add(v);
    const e = escapeRegex(v);
    parts.push(short ? `(?<![${WORD}])${e}(?![${WORD}])` : e);
  }
  return new RegExp(parts.join('|'), 'g');
}

export type Masker = (text: string) => string;

const identity: Masker = (t) => t;
/** The last masker built: every test of a run asks for the same secrets, so build them once. */
let cached: { key: string; mask: Masker } | null = null;

/** A function that replaces every secret, in every encoding, by {@link MASK}. */
export function makeMasker(secrets: Iterable<string>): Masker {
  const values = [...new Set([...secrets].filter((s) => s.length > 0))].sort();
  if (values.length === 0) return identity;
  const key = JSON.stringify(values);
  if (cached?.key === key) return cached.mask;
  const re = buildPattern(values);
  const mask: Masker = re
    ? (text) => (text.length === 0 ? text : text.replace(re, MASK))
    : identity;
  cached = { key, mask };
  return mask;
}

/** Mask secrets in every string of a JSON-like value, keys included. */
export function maskDeep<T>(value: T, mask: Masker): T {
  if (typeof value === 'string') return mask(value) as T;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, mask)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[mask(k)] = maskDeep(v, mask);
    return out as T;
  }
  return value;
}
