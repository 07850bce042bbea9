import type { APIResponse } from 'playwright-core';
import type { RequestStep, TextMatch } from '../domain/steps.ts';
import { StepFailure } from './errors.ts';
import { parseJsonPath, readJsonPath } from '../domain/json-path.ts';
import { asVariable, jsonEquals } from './json-values.ts';
import type { StepContext } from './step-context.ts';
import { describeMatch, matchesText, matchRegExp, shown } from './text-match.ts';
import { defined } from '../domain/defined.ts';

type RequestSpec = RequestStep['request'];

/**
 * Send an HTTP request with the browser context's request client (it shares the page's cookies),
 * check the expectations, then capture variables. All mismatches are reported together.
 */
export async function runRequest(ctx: StepContext, spec: RequestSpec): Promise<void> {
  let url: URL;
  try {
    url = new URL(spec.url, ctx.baseUrl || undefined);
  } catch {
    throw new StepFailure(
      `request URL ${JSON.stringify(spec.url)} is not a URL and there is no baseUrl`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new StepFailure(`request URLs must be http or https, got ${url.protocol}`);
  }
  const headers: Record<string, string> = { ...spec.headers };
  let data: string | undefined;
  if (spec.json !== undefined) {
    data = JSON.stringify(spec.json);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
  } else if (spec.body !== undefined) {
    data = spec.body;
  }
  const res = await ctx.context.request.fetch(url.href, {
    method: spec.method,
    headers,
    ...defined({ data }),
    timeout: ctx.timeout,
    failOnStatusCode: false,
  });
  try {
    const body = await readBody(res);
    const problems = checkExpectations(res, body, spec.expect);
    if (problems.length > 0) throw new StepFailure(problems.join('; '));
    for (const [name, source] of Object.entries(spec.capture ?? {})) {
      ctx.vars[name] = capture(res, body, name, source);
    }
  } finally {
    await res.dispose().catch(() => undefined);
  }
}

interface Body {
  text: string;
  /** Parsed lazily: only expectations and captures that look inside the JSON need it. */
  json(): unknown;
}

async function readBody(res: APIResponse): Promise<Body> {
  const text = (await res.body()).toString('utf8');
  let parsed: { value: unknown } | null = null;
  return {
    text,
    json() {
      if (!parsed) {
        try {
          parsed = { value: JSON.parse(text) };
        } catch {
          throw new StepFailure(`response of ${res.url()} is not JSON: ${shown(text, 120)}`);
        }
      }
      return parsed.value;
    },
  };
}

function checkExpectations(res: APIResponse, body: Body, expect: RequestSpec['expect']): string[] {
  const problems: string[] = [];
  if (!expect) return problems;
  if (expect.status !== undefined) {
    const allowed = Array.isArray(expect.status) ? expect.status : [expect.status];
    if (!allowed.includes(res.status())) {
      problems.push(`expected status ${allowed.join(' or ')}, got ${res.status()}`);
    }
  }
  const headers = res.headers();
  for (const [name, m] of Object.entries(expect.headers ?? {})) {
    matchRegExp(m as TextMatch);
    const v = headers[name.toLowerCase()];
    if (v === undefined)
      problems.push(`expected header ${name} ${describeMatch(m)}, but it is missing`);
    else if (!matchesText(v, m))
      problems.push(`expected header ${name} ${describeMatch(m)}, got ${shown(v)}`);
  }
  for (const [path, expected] of Object.entries(expect.json ?? {})) {
    const actual = readJsonPath(body.json(), jsonPath(path));
    if (!jsonEquals(actual, expected)) {
      problems.push(
        `expected ${path} to equal ${JSON.stringify(expected)}, got ${actual === undefined ? 'nothing (path not found)' : clip(JSON.stringify(actual))}`,
      );
    }
  }
  if (expect.bodyContains !== undefined && !body.text.includes(expect.bodyContains)) {
    problems.push(
      `expected the body to contain ${shown(expect.bodyContains)}, got ${shown(body.text, 200)}`,
    );
  }
  return problems;
}

const clip = (s: string): string => (s.length > 200 ? `${s.slice(0, 200)}…` : s);

function jsonPath(path: string): ReturnType<typeof parseJsonPath> {
  try {
    return parseJsonPath(path);
  } catch (e) {
    throw new StepFailure((e as Error).message);
  }
}

/** A capture source: `$.path`, `header:name` or `status`. */
function capture(res: APIResponse, body: Body, name: string, source: string): string {
  const s = source.trim();
  if (s === 'status') return String(res.status());
  if (s.toLowerCase().startsWith('header:')) {
    const h = s.slice('header:'.length).trim().toLowerCase();
    const v = res.headers()[h];
    if (v === undefined) throw new StepFailure(`capture ${name}: the response has no header ${h}`);
    return v;
  }
  const v = readJsonPath(body.json(), jsonPath(s));
  if (v === undefined) throw new StepFailure(`capture ${name}: ${s} not found in the response`);
  return asVariable(v);
}
