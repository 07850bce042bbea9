/**
 * robots.txt: the groups for `*` and for Greenlight, Allow/Disallow with `*` and `$` wildcards,
 * the longest matching rule wins and Allow wins a tie (RFC 9309).
 */

export interface RobotsRule {
  allow: boolean;
  /** The path pattern as written (starts with "/"; may hold "*" and a final "$"). */
  pattern: string;
}

export interface Robots {
  /** Rules of the group that applies to us (Greenlight's own group, else `*`). */
  rules: RobotsRule[];
  /** Absolute sitemap URLs named by `Sitemap:` lines. */
  sitemaps: string[];
}

/** The product token we answer to in robots.txt `User-agent:` lines. */
export const ROBOTS_AGENT = 'greenlight';

interface Group {
  agents: string[];
  rules: RobotsRule[];
}

/** Parse robots.txt text; unknown lines are ignored, as crawlers must. */
export function parseRobots(text: string, agent = ROBOTS_AGENT): Robots {
  const groups: Group[] = [];
  const sitemaps: string[] = [];
  let current: Group | null = null;
  let lastWasAgent = false;
  for (const rawLine of text.split(/\r?\n|\r/)) {
    const line = rawLine.replace(/#.*/, '').trim();
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const field = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (field === 'user-agent') {
      // Consecutive User-agent lines share one group.
      if (!current || !lastWasAgent) {
        current = { agents: [], rules: [] };
        groups.push(current);
      }
      current.agents.push(value.toLowerCase());
      lastWasAgent = true;
      continue;
    }
    lastWasAgent = false;
    if (field === 'sitemap') {
      if (value) sitemaps.push(value);
      continue;
    }
    if (!current || (field !== 'allow' && field !== 'disallow')) continue;
    // "Disallow:" with no path allows everything: it adds no rule.
    if (value === '') continue;
    current.rules.push({ allow: field === 'allow', pattern: value });
  }
  const me = agent.toLowerCase();
  const own = groups.filter((g) => g.agents.some((a) => a !== '*' && me.includes(a)));
  const chosen = own.length ? own : groups.filter((g) => g.agents.includes('*'));
  return { rules: chosen.flatMap((g) => g.rules), sitemaps };
}

/** Whether robots allow fetching `pathAndQuery` ("/a/b?c=1"). */
export function isAllowed(robots: Robots, pathAndQuery: string): boolean {
  let best: RobotsRule | null = null;
  let bestLength = -1;
  for (const rule of robots.rules) {
    if (!matches(rule.pattern, pathAndQuery)) continue;
    const length = rule.pattern.length;
    if (length > bestLength || (length === bestLength && rule.allow && !best?.allow)) {
      best = rule;
      bestLength = length;
    }
  }
  return best ? best.allow : true;
}

/**
 * Whether a robots pattern (`*` wildcards, optional trailing `$`) matches the path. robots.txt is
 * untrusted input: a pattern translated to a regex (`/*a*a*a*a*b$` → `.*a.*a.*a.*b$`) backtracks
 * exponentially on the event loop. With only `*` wildcards, taking each literal piece at its
 * leftmost occurrence after the previous one is always a correct choice, so one left-to-right pass
 * of indexOf calls decides it without backtracking: O(pattern × path) at worst.
 */
export function matches(pattern: string, path: string): boolean {
  const anchored = pattern.endsWith('$');
  const pieces = (anchored ? pattern.slice(0, -1) : pattern).split('*').map(safeDecode);
  const text = safeDecode(path);
  const first = pieces[0] ?? '';
  if (!text.startsWith(first)) return false;
  if (pieces.length === 1) return anchored ? text.length === first.length : true;
  let at = first.length;
  const last = pieces.length - 1;
  for (let i = 1; i < last; i++) {
    const piece = pieces[i] ?? '';
    const found = text.indexOf(piece, at);
    if (found < 0) return false;
    at = found + piece.length;
  }
  const tail = pieces[last] ?? '';
  if (!anchored) return text.indexOf(tail, at) >= 0;
  return text.length - tail.length >= at && text.endsWith(tail);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
