import { AppError } from '../../domain/errors.ts';
import {
  parseTestDocument,
  testJsonSchema,
  TestValidationError,
  type TestDocument,
} from '../../domain/test-definition.ts';
import { mainHeading, relativePath, testablePages } from '../generate-shared.ts';
import type { PageSnapshot, SiteMap } from '../site-map.ts';
import type { ChatMessage, LlmProvider } from './provider.ts';

/** Corrections sent back after an invalid answer before giving up. */
export const MAX_RETRIES = 2;
/** Characters of page snapshots in one prompt: enough for a dozen pages, small for a model. */
const SNAPSHOT_BUDGET = 12_000;

const SYSTEM_PROMPT = `You write end-to-end browser tests for Greenlight as JSON test documents.
Answer with ONE JSON object that validates against this JSON Schema, and nothing else:
SCHEMA
Rules:
- "name": a short sentence saying what the test proves.
- Each step has exactly one action key (goto, click, fill, select, check, press, wait, expect, request, …).
- URLs in goto, request and expect.url are paths relative to the site, such as "/login".
- Prefer locators a user would use: {"role": "button", "name": "Save"}, {"label": "Email"}, {"text": "…"}.
  Use css or xpath only when nothing else identifies the element.
- End with expect steps that prove the outcome the sentence describes.
- Use only pages, labels and buttons you see in the snapshots; do not invent them.`;

/** Compact text view of pages for a prompt: what a user sees and can act on. */
export function describePages(site: SiteMap, budget = SNAPSHOT_BUDGET): string {
  const parts: string[] = [];
  let used = 0;
  for (const page of testablePages(site)) {
    const text = describePage(page, relativePath(page.url, site.origin) ?? page.path);
    if (used + text.length > budget) break;
    parts.push(text);
    used += text.length;
  }
  return parts.join('\n\n');
}

function describePage(page: PageSnapshot, path: string): string {
  const lines = [`Page ${path} — title "${page.title}"`];
  const h = mainHeading(page);
  if (h) lines.push(`  main heading: "${h}"`);
  const nav = page.navLinks.map((l) => `"${l.text}" → ${l.href}`).slice(0, 12);
  if (nav.length) lines.push(`  menu links: ${nav.join(', ')}`);
  const buttons = [...new Set(page.buttons.map((b) => `${b.role} "${b.text}"`))].slice(0, 15);
  if (buttons.length) lines.push(`  buttons: ${buttons.join(', ')}`);
  for (const f of page.forms.slice(0, 5)) {
    const fields = f.fields
      .map((x) => `${x.label ?? x.name ?? '?'} (${x.type}${x.required ? ', required' : ''})`)
      .join(', ');
    // Marked so a model writing journeys knows which submit buttons it must never press.
    const warn = f.destructive ? ' [destructive: never submit]' : '';
    lines.push(`  form ${f.method} → submit "${f.submitText ?? ''}"${warn}: ${fields}`);
  }
  const inputs = page.inputs
    .filter((i) => !page.forms.some((f) => f.fields.some((x) => x.name === i.name)))
    .map((i) => `${i.label ?? i.placeholder ?? i.name ?? '?'} (${i.type})`)
    .slice(0, 10);
  if (inputs.length) lines.push(`  other inputs: ${inputs.join(', ')}`);
  return lines.join('\n');
}

/** The JSON inside an answer, tolerating a Markdown fence some models add despite JSON mode. */
export function parseAnswer(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  return JSON.parse((fenced?.[1] ?? text).trim()) as unknown;
}

/** Why an answer is not a valid test, worded for the model to fix it. */
export function problemOf(e: unknown): string {
  if (e instanceof TestValidationError) return e.message;
  if (e instanceof SyntaxError) return `the answer is not valid JSON (${e.message})`;
  return e instanceof Error ? e.message : String(e);
}

/**
 * Turn a sentence ("a user can add a todo and mark it done") into a draft test. The answer must
 * pass parseTestDocument; an invalid one is sent back with the validation error, up to
 * MAX_RETRIES times, then AppError('unprocessable') says what was still wrong.
 */
export async function draftTestFromSentence(
  provider: LlmProvider,
  sentence: string,
  site?: SiteMap,
  opts: { signal?: AbortSignal } = {},
): Promise<TestDocument> {
  const schema = JSON.stringify(testJsonSchema());
  const context = site
    ? `The site (${site.origin}) as crawled:\n\n${describePages(site)}`
    : 'No crawl of the site is available: use the paths and labels the sentence implies.';
  const messages: ChatMessage[] = [
    { role: 'system', content: SYSTEM_PROMPT.replace('SCHEMA', schema) },
    { role: 'user', content: `${context}\n\nWrite a test for: ${sentence}` },
  ];
  let problem = '';
  for (let attempt = 0; attempt <= MAX_RETRIES; attempt++) {
    const answer = await provider.complete(messages, {
      json: true,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    try {
      const raw = parseAnswer(answer);
      const doc = parseTestDocument(stripServerFields(raw));
      return { ...doc, status: 'draft', tags: [...new Set([...doc.tags, 'llm'])] };
    } catch (e) {
      problem = problemOf(e);
      messages.push(
        { role: 'assistant', content: answer },
        {
          role: 'user',
          content: `That is not a valid Greenlight test:\n${problem}\nAnswer again with the whole corrected JSON object.`,
        },
      );
    }
  }
  throw new AppError(
    'unprocessable',
    `the LLM (${provider.label}) did not write a valid test in ${MAX_RETRIES + 1} attempts; last problem: ${problem}`,
    { attempts: MAX_RETRIES + 1, problem },
  );
}

/** A draft never arrives approved or keyed by the model: review and keys belong to people. */
export function stripServerFields(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const { status: _status, key: _key, ...rest } = raw as Record<string, unknown>;
  return rest;
}

/**
 * Better names for generated tests, asked of the model in one request. Best effort: any failure
 * (no answer, bad JSON, a missing name) keeps the heuristic name, so naming never blocks a draft.
 */
export async function nameTests(
  provider: LlmProvider | null,
  docs: readonly TestDocument[],
  opts: { signal?: AbortSignal } = {},
): Promise<TestDocument[]> {
  if (!provider || docs.length === 0) return [...docs];
  const items = docs.map((d, i) => ({ id: String(i), name: d.name, steps: d.steps }));
  const messages: ChatMessage[] = [
    {
      role: 'system',
      content:
        'You name end-to-end tests. Answer with one JSON object {"names": {"<id>": "<name>"}}: ' +
        'for each test a short sentence (at most 80 characters) saying what it proves.',
    },
    { role: 'user', content: JSON.stringify(items).slice(0, 40_000) },
  ];
  try {
    const answer = parseAnswer(
      await provider.complete(messages, {
        json: true,
        ...(opts.signal ? { signal: opts.signal } : {}),
      }),
    ) as { names?: Record<string, unknown> };
    return docs.map((d, i) => {
      const name = answer.names?.[String(i)];
      return typeof name === 'string' && name.trim() !== '' && name.length <= 300
        ? { ...d, name: name.trim() }
        : d;
    });
  } catch {
    return [...docs];
  }
}
