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
const ROBOTS_AGENT = 'greenlight';

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
 * Whether a robots pattern matches a path, in time linear in their lengths: the pattern's
 * literal pieces (between `*`s) are found left to right with indexOf, greedily, which is exact
 * for `*`-only patterns. A regular expression built from the pattern could backtrack for minutes
 * on `/*a*a*a*a*a*a*a*a*b$` — robots.txt is the crawled site's to write.
 */
export function matches(pattern: string, path: string): boolean {
  const anchored = pattern.endsWith('$');
  const pieces = (anchored ? pattern.slice(0, -1) : pattern).split('*').map(safeDecode);
  const text = safeDecode(path);
  const first = pieces[0] ?? '';
  if (!text.startsWith(first)) return false;
  if (pieces.length === 1) return anchored ? text.length === first.length : true;
  let at = first.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i] ?? '';
    const found = text.indexOf(piece, at);
    if (found < 0) return false;
    at = found + piece.length;
  }
  const last = pieces[pieces.length - 1] ?? '';
  if (!anchored) return text.indexOf(last, at) >= 0;
  return text.length - last.length >= at && text.endsWith(last);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
