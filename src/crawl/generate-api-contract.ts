import { generatedKey } from './generate-dedupe.ts';
import {
  clip,
  GENERATED_SUITE,
  relativePath,
  testablePages,
  type RawTest,
} from './generate-shared.ts';
import type { ApiCallSnapshot, JsonShape, SiteMap } from './site-map.ts';

/** Top-level keys a contract test checks at most. */
const MAX_KEYS = 20;

/**
 * API contract tests from the XHR/fetch calls pages made: same status, same content type, and
 * the top-level JSON structure. Only GET calls are replayed: repeating a POST or a DELETE the
 * page made would change data, and its body was not recorded.
 *
 * The step language compares JSON values for equality but has no type assertion, so structure
 * is checked with captures, which fail when their path is missing: `$.items.length` exists only
 * when `items` is an array; `$.total` only when the key is present. Array contents are not
 * checked, since a list that was full during the crawl may be empty in the next run.
 */
export function apiContractTests(site: SiteMap): RawTest[] {
  const out: RawTest[] = [];
  const seen = new Set<string>();
  for (const page of testablePages(site)) {
    for (const call of page.apiCalls) {
      if (call.method.toUpperCase() !== 'GET') continue;
      if (call.status < 200 || call.status >= 300) continue;
      const path = relativePath(call.url, site.origin);
      if (path === null || seen.has(path)) continue;
      seen.add(path);
      out.push(contractTest(call, path, page.url));
    }
  }
  return out;
}

function contractTest(call: ApiCallSnapshot, path: string, pageUrl: string): RawTest {
  const mediaType = (call.contentType.split(';')[0] ?? '').trim().toLowerCase();
  const expect: Record<string, unknown> = { status: call.status };
  if (mediaType !== '') expect.headers = { 'content-type': { contains: mediaType } };
  const capture =
    isJson(mediaType) && call.jsonShape !== undefined ? shapeCaptures(call.jsonShape) : {};
  const request: Record<string, unknown> = { method: 'GET', url: path, expect };
  if (Object.keys(capture).length > 0) request.capture = capture;
  const checked = Object.keys(capture).length;
  return {
    key: generatedKey('api', `GET ${path}`),
    name: `API: GET ${clip(path, 100)} answers ${call.status}${mediaType ? ` ${mediaType}` : ''}`,
    description:
      `Generated from a call made by ${pageUrl}.` +
      (checked > 0
        ? ` Checks ${checked} top-level part(s) of the JSON body by capturing them.`
        : ''),
    suite: GENERATED_SUITE,
    tags: ['generated', 'api'],
    status: 'draft',
    steps: [{ request, name: `GET ${clip(path, 100)} keeps its contract` }],
  };
}

function isJson(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

/**
 * Captures that fail unless the body has the recorded structure: variable name → JSON path.
 * Names are prefixed so they do not shadow a project's own variables.
 */
export function shapeCaptures(shape: JsonShape): Record<string, string> {
  if (Array.isArray(shape)) return { SHAPE_ROOT_LIST: '$.length' };
  if (typeof shape !== 'object' || shape === null) return {};
  const out: Record<string, string> = {};
  const used = new Set<string>();
  for (const [key, value] of Object.entries(shape).slice(0, MAX_KEYS)) {
    // The JSON path subset takes `.name` for identifiers and quoted keys for the rest.
    const segment = /^[A-Za-z_$][\w$-]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
    const isList = Array.isArray(value) || value === 'array';
    const path = `$${segment}${isList ? '.length' : ''}`;
    let name = `SHAPE_${key.replace(/[^A-Za-z0-9_]/g, '_').toUpperCase()}`.slice(0, 60);
    while (used.has(name)) name += '_';
    used.add(name);
    out[name] = path;
  }
  return out;
}
