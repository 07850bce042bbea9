import type { SiteMap } from '../crawl/site-map.ts';
import { describeLocator, type Locator } from '../domain/locator.ts';
import type { Step } from '../domain/steps.ts';
import type { Test } from '../domain/test.ts';
import type { Store } from '../store/connect.ts';

// A stale flag asks a human to look again; it never stops a test from running. So the checks
// below only flag what the crawl can actually vouch for, and say exactly why.

/** Roles whose accessible name is a form control's label (or its placeholder, as a fallback). */
const CONTROL_ROLES = new Set([
  'textbox',
  'searchbox',
  'combobox',
  'listbox',
  'checkbox',
  'radio',
  'spinbutton',
  'slider',
  'switch',
]);

/** What the crawled pages show a locator could match. */
interface Vocabulary {
  texts: string[];
  labels: string[];
  placeholders: string[];
  testIds: Set<string>;
  /** Accessible names by role, for the roles the snapshots describe. */
  names: Map<string, string[]>;
}

const norm = (s: string): string => s.replace(/\s+/g, ' ').trim();

function vocabularyOf(site: SiteMap): Vocabulary {
  const v: Vocabulary = {
    texts: [],
    labels: [],
    placeholders: [],
    testIds: new Set(),
    names: new Map(),
  };
  const name = (role: string, text: string | undefined): void => {
    if (!text) return;
    const list = v.names.get(role) ?? [];
    list.push(norm(text));
    v.names.set(role, list);
  };
  const text = (t: string | undefined): void => {
    if (t) v.texts.push(norm(t));
  };
  for (const page of site.pages) {
    if (!isLive(page.status)) continue;
    for (const h of page.headings) {
      text(h.text);
      name('heading', h.text);
    }
    for (const l of [...page.links, ...page.navLinks]) {
      text(l.text);
      name('link', l.text);
    }
    for (const b of page.buttons) {
      text(b.text);
      name(b.role, b.text);
      if (b.testId) v.testIds.add(b.testId);
    }
    for (const f of page.forms) {
      text(f.submitText);
      name('button', f.submitText);
      for (const field of f.fields) {
        text(field.label);
        if (field.label) v.labels.push(norm(field.label));
        for (const o of field.options ?? []) {
          text(o);
          name('option', o);
        }
      }
    }
    for (const i of page.inputs) {
      if (i.label) v.labels.push(norm(i.label));
      if (i.placeholder) v.placeholders.push(norm(i.placeholder));
      text(i.label);
    }
  }
  return v;
}

const isLive = (status: number): boolean => status >= 200 && status < 400;

/** Playwright's matching: exact is whole-string and case-sensitive, else a case-free substring. */
function matches(candidates: string[], wanted: string, exact: boolean): boolean {
  const w = norm(wanted);
  if (exact) return candidates.includes(w);
  const lower = w.toLowerCase();
  return candidates.some((c) => c.toLowerCase().includes(lower));
}

/** True when the crawl saw something the locator would find; null when it cannot tell. */
function locatorSeen(loc: Locator, v: Vocabulary): boolean | null {
  const exact = loc.exact === true;
  const values = [loc.role, loc.name, loc.label, loc.placeholder, loc.text, loc.testId];
  if (values.some((x) => x?.includes('{{'))) return null; // depends on variables
  if (loc.testId !== undefined) return v.testIds.has(loc.testId);
  if (loc.label !== undefined) return matches(v.labels, loc.label, exact);
  if (loc.placeholder !== undefined) return matches(v.placeholders, loc.placeholder, exact);
  if (loc.text !== undefined) return matches(v.texts, loc.text, exact);
  if (loc.role !== undefined && loc.name !== undefined) {
    if (CONTROL_ROLES.has(loc.role)) {
      return matches([...v.labels, ...v.placeholders], loc.name, exact);
    }
    const names = v.names.get(loc.role);
    // Roles the snapshots do not describe (dialog, row, alert…) cannot be judged.
    if (!names && !['heading', 'button', 'link', 'option'].includes(loc.role)) return null;
    return matches(names ?? [], loc.name, exact);
  }
  return null; // css, xpath, alt, title, or a role without a name
}

/**
 * Locators a step expects to find on a page. `hidden`/`detached` waits and assertions expect
 * the element to be gone, and `count` may expect zero, so they are not checked.
 */
function locatorsOf(step: Step): Locator[] {
  const s = step as unknown as Record<string, unknown>;
  const out: unknown[] = [];
  const acts = [
    'click',
    'dblclick',
    'fill',
    'select',
    'check',
    'uncheck',
    'hover',
    'upload',
    'dispatch',
  ];
  for (const k of acts) {
    if (s[k] !== undefined) out.push(s[k]);
  }
  if ('press' in s) out.push(s.on);
  if ('set' in s) out.push(s.from);
  const wait = s.wait as Record<string, unknown> | undefined;
  if (wait) out.push(wait.visible, wait.attached);
  const exp = s.expect as Record<string, { locator?: unknown } | undefined> | undefined;
  if (exp) {
    out.push(exp.visible, exp.enabled, exp.disabled, exp.checked, exp.focused);
    for (const k of ['text', 'value', 'attribute']) out.push(exp[k]?.locator);
  }
  return out.filter((l): l is Locator => typeof l === 'object' && l !== null);
}

/** `/a/b/` and `/a/b` are one page; the query string stays part of the key. */
function pageKey(url: URL): string {
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
  return path + url.search;
}

/** Why each test looks stale against this crawl (tests not listed look fine). */
function findStaleTests(tests: Test[], site: SiteMap): Map<string, string> {
  const out = new Map<string, string>();
  const live = new Set<string>();
  const livePaths = new Set<string>();
  const dead = new Map<string, number>();
  const unverified = new Set<string>();
  const keyOf = (u: string): string | null => {
    try {
      const url = new URL(u, site.startUrl);
      return url.origin === site.origin ? pageKey(url) : null;
    } catch {
      return null;
    }
  };
  for (const p of site.pages) {
    for (const u of [p.url, p.requestedUrl]) {
      const k = u !== undefined ? keyOf(u) : null;
      if (k === null) continue;
      if (isLive(p.status)) {
        live.add(k);
        livePaths.add(k.split('?')[0] ?? k);
      } else {
        dead.set(k, p.status);
      }
    }
  }
  for (const b of site.brokenLinks) {
    const k = keyOf(b.url);
    if (k !== null && !live.has(k)) dead.set(k, b.status);
  }
  // Pages the crawl saw but did not visit (limits, robots, duplicate templates) are not gone.
  for (const s of site.skipped ?? []) {
    const k = s.reason === 'error' ? null : keyOf(s.url);
    if (k !== null) unverified.add(k);
  }
  // A crawl that reached no page at all says nothing about the tests: the site may be down.
  if (live.size === 0) return out;
  const vocab = vocabularyOf(site);

  for (const test of tests) {
    const reasons: string[] = [];
    test.steps.forEach((step, i) => {
      const n = i + 1;
      if ('goto' in step && !step.goto.includes('{{')) {
        const k = keyOf(step.goto);
        if (k !== null && !live.has(k) && !unverified.has(k)) {
          const status = dead.get(k);
          if (status !== undefined) {
            reasons.push(
              status === 0
                ? `step ${n}: page ${k} failed to load in the crawl`
                : `step ${n}: page ${k} answered ${status} in the crawl`,
            );
          } else if (!livePaths.has(k.split('?')[0] ?? k)) {
            reasons.push(`step ${n}: page ${k} was not found by the crawl`);
          }
        }
      }
      for (const loc of locatorsOf(step)) {
        if (locatorSeen(loc, vocab) === false) {
          reasons.push(`step ${n}: ${describeLocator(loc)} matches nothing in the crawled pages`);
        }
      }
    });
    if (reasons.length > 0) {
      const shown = reasons.slice(0, 5).join('; ');
      out.set(test.id, reasons.length > 5 ? `${shown}; and ${reasons.length - 5} more` : shown);
    }
  }
  return out;
}

/** True when the test was approved after its last flag for exactly this reason. */
async function acknowledged(
  store: Store,
  projectId: string,
  testId: string,
  reason: string,
): Promise<boolean> {
  const versions = await store.testHistory.list(projectId, testId);
  const lastFlag = versions.find((v) => v.action === 'flagged_stale');
  if (!lastFlag || lastFlag.note !== reason) return false;
  return versions.some((v) => v.version > lastFlag.version && v.action === 'approved');
}

/**
 * After a crawl: flag the project's draft and approved tests whose pages are gone or whose
 * locators match nothing the crawl saw, with the reason and a `flagged_stale` version each.
 * Flags are cleared by approving or editing the test, never by this function. A reviewer who
 * approved a test after it was flagged for a reason has answered it: the same reason does not
 * flag that test again (a crawl cannot tell a false alarm from a real one; the human can).
 */
export async function flagStaleTests(
  store: Store,
  projectId: string,
  siteMap: SiteMap,
  opts: { actor?: string } = {},
): Promise<{
  checked: number;
  /** Tests this crawl finds stale, already flagged ones included, acknowledged ones not. */
  flagged: { testId: string; reason: string }[];
  /** How many got a new flag (and a `flagged_stale` version). */
  newlyFlagged: number;
}> {
  const tests: Test[] = [];
  for (let offset = 0; ; offset += 200) {
    const page = await store.tests.list(projectId, { limit: 200, offset });
    tests.push(...page.items.filter((t) => t.status !== 'rejected'));
    if (page.items.length < 200) break;
  }
  const found = findStaleTests(tests, siteMap);
  const flags: { id: string; reason: string }[] = [];
  for (const [id, reason] of found) {
    if (!(await acknowledged(store, projectId, id, reason))) flags.push({ id, reason });
  }
  const newlyFlagged = await store.tests.flagStale(projectId, flags, opts.actor ?? 'crawl');
  return {
    checked: tests.length,
    flagged: flags.map((f) => ({ testId: f.id, reason: f.reason })),
    newlyFlagged,
  };
}
