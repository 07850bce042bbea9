import { slugify } from '../../domain/project.ts';
import type { Locator } from '../../domain/locator.ts';
import type { Step } from '../../domain/steps.ts';
import {
  parseTestDocument,
  testJsonSchema,
  type TestDocument,
} from '../../domain/test-definition.ts';
import { GENERATED_SUITE } from '../generate-shared.ts';
import type { FormSnapshot, SiteMap } from '../site-map.ts';
import { describePages, parseAnswer, problemOf, stripServerFields } from './llm-generate.ts';
import type { ChatMessage, LlmProvider } from './provider.ts';

const DEFAULT_MAX_JOURNEYS = 5;
const MAX_KEY = 200;

const SYSTEM_PROMPT = `You write end-to-end browser tests for Greenlight as JSON test documents.
Each test document validates against this JSON Schema:
SCHEMA
Answer with ONE JSON object {"tests": [<test document>, …]} and nothing else.
Rules:
- Each test is a user journey across several pages: start with a goto, move on the way a user
  would (menu links, buttons, forms), and prove each page was reached with expect steps.
- "name": a short sentence saying what the journey proves; every name is different.
- Each step has exactly one action key (goto, click, fill, select, check, press, wait, expect, request, …).
- URLs in goto, request and expect.url are paths relative to the site, such as "/login".
- Prefer locators a user would use: {"role": "button", "name": "Save"}, {"label": "Email"}, {"text": "…"}.
- Use only pages, links, labels and buttons you see in the snapshots; do not invent them.
- Never submit a form marked [destructive: never submit].`;

/** Where a journey came from in the answer, for messages to the model and logs. */
interface Candidate {
  raw: unknown;
  label: string;
}

/** Something with pino's warn signature (a pino logger, a Fastify request's log). */
export interface WarnLogger {
  warn(obj: object, msg: string): void;
}

export interface DraftJourneysOptions {
  /** Journeys to ask for and keep at most (default 5). */
  max?: number;
  signal?: AbortSignal;
  /** Told why each dropped journey was dropped. */
  log?: WarnLogger;
}

/**
 * Ask the model for up to `max` multi-page journeys through a crawled site. Each answer is
 * validated; the invalid ones go back once with their errors, and what is still invalid after
 * that is dropped (logged), as is any journey that would submit a form the crawl flagged
 * destructive. Errors of the first request propagate (the caller asked for journeys); a failed
 * fix round keeps the journeys that were already valid.
 */
export async function draftJourneys(
  provider: LlmProvider,
  site: SiteMap,
  opts: DraftJourneysOptions = {},
): Promise<TestDocument[]> {
  const max = Math.max(1, Math.floor(opts.max ?? DEFAULT_MAX_JOURNEYS));
  const destructive = site.pages.flatMap((p) => p.forms.filter((f) => f.destructive));
  const call = (messages: ChatMessage[]): Promise<string> =>
    provider.complete(messages, { json: true, ...(opts.signal ? { signal: opts.signal } : {}) });
  const drop = (label: string, reason: string): void =>
    opts.log?.warn({ provider: provider.label, journey: label, reason }, 'LLM journey dropped');

  const messages: ChatMessage[] = [
    { role: 'system', content: SYSTEM_PROMPT.replace('SCHEMA', JSON.stringify(testJsonSchema())) },
    {
      role: 'user',
      content:
        `The site (${site.origin}) as crawled:\n\n${describePages(site)}\n\n` +
        `Write up to ${max} multi-page user journeys through this site.`,
    },
  ];
  const kept: TestDocument[] = [];
  const accept = (doc: TestDocument, label: string): void => {
    const why = destructiveStep(doc.steps, destructive, site.origin);
    if (why) drop(label, why);
    else kept.push(doc);
  };

  const first = await call(messages);
  const { invalid, problem } = sortAnswer(first, accept);
  if (invalid.length === 0 && problem === undefined) return finish(kept, max);

  const listed = invalid.map((c) => `- ${c.label}: ${c.problem}`).join('\n');
  messages.push(
    { role: 'assistant', content: first },
    {
      role: 'user',
      content:
        problem !== undefined
          ? `That answer could not be read: ${problem}\nAnswer again with {"tests": [...]}.`
          : `These tests are not valid Greenlight tests:\n${listed}\n` +
            `Answer with {"tests": [...]} holding only the corrected versions of these ${invalid.length} tests.`,
    },
  );
  let second: string;
  try {
    second = await call(messages);
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    for (const c of invalid) drop(c.label, `fix request failed: ${problemOf(e)}`);
    return finish(kept, max);
  }
  const retry = sortAnswer(second, accept);
  for (const c of retry.invalid) drop(c.label, c.problem);
  if (retry.problem !== undefined) {
    for (const c of invalid) drop(c.label, `fix answer unreadable: ${retry.problem}`);
  }
  return finish(kept, max);
}

/**
 * Split one answer into valid documents (handed to `accept`) and invalid ones with their
 * problem; `problem` alone when the answer as a whole is not `{tests: [...]}`.
 */
function sortAnswer(
  answer: string,
  accept: (doc: TestDocument, label: string) => void,
): { invalid: (Candidate & { problem: string })[]; problem?: string } {
  let items: unknown[];
  try {
    const parsed = parseAnswer(answer);
    // A bare array is accepted too: some models drop the wrapper despite the instruction.
    const tests = Array.isArray(parsed) ? parsed : (parsed as { tests?: unknown } | null)?.tests;
    if (!Array.isArray(tests)) return { invalid: [], problem: 'no "tests" array in the answer' };
    items = tests;
  } catch (e) {
    return { invalid: [], problem: problemOf(e) };
  }
  const invalid: (Candidate & { problem: string })[] = [];
  items.forEach((raw, i) => {
    const name = (raw as { name?: unknown } | null)?.name;
    const label = typeof name === 'string' ? `test "${name}"` : `test #${i + 1}`;
    try {
      accept(parseTestDocument(stripServerFields(raw)), label);
    } catch (e) {
      invalid.push({ raw, label, problem: problemOf(e) });
    }
  });
  return { invalid };
}

/** Keys, tags and status the server owns; at most `max`, unique keys. */
function finish(docs: readonly TestDocument[], max: number): TestDocument[] {
  const used = new Set<string>();
  return docs.slice(0, max).map((doc) => {
    const base = `llm:journey:${slugify(doc.name)}`.slice(0, MAX_KEY - 4);
    let key = base;
    for (let n = 2; used.has(key); n++) key = `${base}-${n}`;
    used.add(key);
    return {
      ...doc,
      key,
      suite: GENERATED_SUITE,
      tags: ['generated', 'journey'],
      status: 'draft',
    };
  });
}

/** Texts a locator could match a submit button by (Playwright matches substrings unless exact). */
function locatorTexts(loc: Locator): string[] {
  return [loc.name, loc.text, loc.title, loc.hasText, loc.label, loc.testId]
    .filter((t): t is string => typeof t === 'string' && t.trim() !== '')
    .map((t) => t.trim().toLowerCase());
}

function pathOf(url: string, origin: string): string {
  try {
    return new URL(url, origin).pathname;
  } catch {
    return url;
  }
}

/**
 * Why a journey would submit a destructive form, or null: a click on its submit text, a
 * selector naming its action, or a non-GET request to its action.
 */
function destructiveStep(
  steps: readonly Step[],
  forms: readonly FormSnapshot[],
  origin: string,
): string | null {
  if (forms.length === 0) return null;
  for (const [i, step] of steps.entries()) {
    const loc: Locator | undefined =
      'click' in step ? step.click : 'dblclick' in step ? step.dblclick : undefined;
    for (const form of forms) {
      const submit = form.submitText?.trim().toLowerCase();
      const action = pathOf(form.action, origin);
      const why = `step ${i + 1} submits the destructive form "${form.submitText ?? action}"`;
      if (loc) {
        const texts = locatorTexts(loc);
        if (submit && texts.some((t) => (loc.exact ? t === submit : submit.includes(t)))) {
          return why;
        }
        const selector = loc.css ?? loc.xpath;
        if (selector && action.length > 1 && selector.includes(action)) return why;
      }
      if ('request' in step && step.request.method !== 'GET') {
        if (pathOf(step.request.url, origin) === action) return why;
      }
    }
  }
  return null;
}
