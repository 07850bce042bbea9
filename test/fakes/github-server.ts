import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import {
  faultFor,
  startFakeServer,
  type Fault,
  type FakeRequest,
  type FakeResponse,
  type FakeServer,
} from './fake-http.ts';

// A fake GitHub REST API on 127.0.0.1 that checks every request against GitHub's official
// OpenAPI description: the path and method must be one of the operations Greenlight uses, path
// and query parameters must match their schemas, and the JSON body must validate (ajv) against
// the operation's requestBody schema — plus no property the schema does not list. The schemas
// come from github-openapi-subset.json, cut from @octokit/openapi's api.github.com.json by
// scripts/extract-github-spec.ts (the whole package is 385 MB: too heavy for every install).
// It keeps statuses, comments and check runs in memory so a second run edits the sticky comment
// in place.

/* eslint-disable @typescript-eslint/no-explicit-any -- the OpenAPI document is untyped JSON */
type Json = any;

const SPEC_ID = 'https://fake.github.invalid/openapi.json';

interface Operation {
  id: string;
  method: string;
  template: string;
  regex: RegExp;
  names: string[];
  literals: number;
  op: Json;
}

interface Spec {
  doc: Json;
  ops: Operation[];
  ajv: Ajv;
  bodyValidators: Map<string, ValidateFunction | null>;
}

let cached: Spec | null = null;

function loadSpec(): Spec {
  if (cached) return cached;
  const file = new URL('./github-openapi-subset.json', import.meta.url);
  const doc: Json = JSON.parse(readFileSync(file, 'utf8'));
  const ops: Operation[] = [];
  for (const [template, item] of Object.entries<Json>(doc.paths)) {
    for (const method of ['get', 'post', 'patch', 'put', 'delete']) {
      const op = item[method];
      if (!op) continue;
      const names: string[] = [];
      const pattern = template.replace(/\{([^}]+)\}/g, (_, n: string) => {
        names.push(n);
        const multi = (op.parameters ?? []).some(
          (p: Json) => p.name === n && p['x-multi-segment'] === true,
        );
        return multi ? '(.+)' : '([^/]+)';
      });
      ops.push({
        id: op.operationId,
        method: method.toUpperCase(),
        template,
        regex: new RegExp(`^${pattern}$`),
        names,
        literals: template.split('/').filter((s) => s && !s.startsWith('{')).length,
        op,
      });
    }
  }
  ops.sort((a, b) => b.literals - a.literals);
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  ajv.addFormat('uri', (s: string) => URL.canParse(s));
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  ajv.addSchema({ $id: SPEC_ID, components: { schemas: doc.components.schemas } });
  cached = { doc, ops, ajv, bodyValidators: new Map() };
  return cached;
}

const resolveParam = (doc: Json, p: Json): Json =>
  p.$ref ? doc.components.parameters[p.$ref.split('/').pop()] : p;

function bodySchemaOf(
  spec: Spec,
  op: Operation,
): { validate: ValidateFunction | null; schema: Json } {
  const raw = op.op.requestBody?.content?.['application/json']?.schema;
  if (!spec.bodyValidators.has(op.id)) {
    const schema = raw
      ? JSON.parse(JSON.stringify(raw).replaceAll('"#/components/', `"${SPEC_ID}#/components/`))
      : null;
    spec.bodyValidators.set(op.id, schema ? spec.ajv.compile(schema) : null);
  }
  return { validate: spec.bodyValidators.get(op.id) ?? null, schema: raw };
}

/** Check a request against the documented operation; returns the operation and path params. */
function checkRequest(
  spec: Spec,
  req: FakeRequest,
  violate: (why: string) => void,
): { op: Operation; params: Record<string, string> } | null {
  const candidates = spec.ops.filter((o) => o.regex.test(req.path));
  const op = candidates.find((o) => o.method === req.method);
  if (!op) {
    violate(
      candidates.length
        ? 'method not documented for this path'
        : 'path not among the GitHub operations Greenlight uses (github-openapi-subset.json)',
    );
    return null;
  }
  const m = op.regex.exec(req.path)!;
  const params: Record<string, string> = {};
  op.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
  const declared = (op.op.parameters ?? []).map((p: Json) => resolveParam(spec.doc, p));
  for (const p of declared) {
    const value =
      p.in === 'path' ? params[p.name] : p.in === 'query' ? req.query.get(p.name) : undefined;
    if (value === undefined || value === null) continue;
    const typed = p.schema?.type === 'integer' ? Number(value) : value;
    if (p.schema && !spec.ajv.validate(p.schema, typed)) {
      violate(`${p.in} parameter ${p.name}=${value}: ${spec.ajv.errorsText()}`);
    }
  }
  for (const key of req.query.keys()) {
    if (!declared.some((p: Json) => p.in === 'query' && p.name === key)) {
      violate(`undocumented query parameter ${key}`);
    }
  }
  const { validate, schema } = bodySchemaOf(spec, op);
  if (validate) {
    if (req.body === undefined) {
      if (op.op.requestBody?.required) violate('missing required JSON body');
    } else {
      if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
        violate('JSON body without content-type application/json');
      }
      if (!validate(req.body)) violate(`body: ${spec.ajv.errorsText(validate.errors)}`);
      const known = Object.keys(schema.properties ?? {});
      const extra = Object.keys(req.body as object).filter((k) => !known.includes(k));
      if (known.length && extra.length) violate(`body properties not in the schema: ${extra}`);
    }
  } else if (req.body !== undefined) {
    violate('a body where the operation takes none');
  }
  return { op, params };
}

export interface FakeComment {
  id: number;
  body: string;
  user: { login: string };
  created_at: string;
  updated_at: string;
}

export interface FakeStatus {
  repo: string;
  sha: string;
  state: string;
  context: string;
  target_url: string | null;
  description: string | null;
}

export interface FakeGitHub extends FakeServer {
  /** Comments per `owner/repo#number`, in creation order. */
  comments: Map<string, FakeComment[]>;
  statuses: FakeStatus[];
  checkRuns: Json[];
  /** Answer matching requests with an error (tests add and remove these). */
  faults: Fault[];
  /** Add a comment by someone else (to push ours to a later page). */
  addForeignComment(repo: string, issue: number, body: string): void;
}

export interface FakeGitHubOptions {
  /** Tokens accepted; any other answers 401 Bad credentials. */
  tokens: string[];
  /** Largest page size served (GitHub's is 100; smaller makes pagination testable). */
  maxPerPage?: number;
}

const implemented = new Set([
  'repos/create-commit-status',
  'issues/list-comments',
  'issues/create-comment',
  'issues/update-comment',
  'checks/create',
]);

export async function startFakeGitHub(o: FakeGitHubOptions): Promise<FakeGitHub> {
  const spec = loadSpec();
  const comments = new Map<string, FakeComment[]>();
  const statuses: FakeStatus[] = [];
  const checkRuns: Json[] = [];
  const faults: Fault[] = [];
  let nextId = 1000;
  let base = '';
  const now = (): string => new Date().toISOString();

  const handle = (req: FakeRequest, violate: (why: string) => void): FakeResponse => {
    const auth = String(req.headers.authorization ?? '');
    if (!/^Bearer \S+$/.test(auth)) violate('Authorization is not "Bearer <token>"');
    if (req.headers.accept !== 'application/vnd.github+json')
      violate('Accept is not application/vnd.github+json');
    if (req.headers['x-github-api-version'] !== '2022-11-28')
      violate('X-GitHub-Api-Version is not 2022-11-28');
    if (!req.headers['user-agent']) violate('no User-Agent (GitHub refuses such requests)');
    const checked = checkRequest(spec, req, violate);
    if (!checked) return { status: 404, body: { message: 'Not Found' } };
    const { op, params } = checked;
    if (!implemented.has(op.id)) {
      violate(`operation ${op.id} is documented but not expected from Greenlight`);
      return { status: 404, body: { message: 'Not Found' } };
    }
    if (!o.tokens.includes(auth.slice('Bearer '.length))) {
      return { status: 401, body: { message: 'Bad credentials' } };
    }
    const fault = faultFor(faults, req);
    if (fault) return { status: fault.status, body: { message: fault.message } };
    const repo = `${params.owner}/${params.repo}`;
    const body = (req.body ?? {}) as Json;
    const key = `${repo}#${params.issue_number}`;
    switch (op.id) {
      case 'repos/create-commit-status': {
        const s: FakeStatus = {
          repo,
          sha: params.sha!,
          state: body.state,
          context: body.context ?? 'default',
          target_url: body.target_url ?? null,
          description: body.description ?? null,
        };
        statuses.push(s);
        return { status: 201, body: { id: nextId++, ...s, created_at: now() } };
      }
      case 'issues/list-comments': {
        const all = comments.get(key) ?? [];
        const perPage = Math.min(Number(req.query.get('per_page') ?? 30), o.maxPerPage ?? 100);
        const page = Number(req.query.get('page') ?? 1);
        const items = all.slice((page - 1) * perPage, page * perPage);
        const headers: Record<string, string> = {};
        if (page * perPage < all.length) {
          headers.link = `<${base}${req.path}?per_page=${perPage}&page=${page + 1}>; rel="next"`;
        }
        return { status: 200, body: items, headers };
      }
      case 'issues/create-comment': {
        const c: FakeComment = {
          id: nextId++,
          body: body.body,
          user: { login: 'greenlight[bot]' },
          created_at: now(),
          updated_at: now(),
        };
        comments.set(key, [...(comments.get(key) ?? []), c]);
        return { status: 201, body: c };
      }
      case 'issues/update-comment': {
        const id = Number(params.comment_id);
        for (const [k, list] of comments) {
          const c = list.find((x) => x.id === id);
          if (c && k.startsWith(`${repo}#`)) {
            c.body = body.body;
            c.updated_at = now();
            return { status: 200, body: c };
          }
        }
        return { status: 404, body: { message: 'Not Found' } };
      }
      case 'checks/create': {
        const run = { id: nextId++, ...body, repo };
        checkRuns.push(run);
        return { status: 201, body: run };
      }
    }
    return { status: 404, body: { message: 'Not Found' } };
  };

  const server = await startFakeServer(handle);
  base = server.url;
  return {
    ...server,
    comments,
    statuses,
    checkRuns,
    faults,
    addForeignComment(repo, issue, text) {
      const key = `${repo}#${issue}`;
      const c: FakeComment = {
        id: nextId++,
        body: text,
        user: { login: 'someone' },
        created_at: now(),
        updated_at: now(),
      };
      comments.set(key, [...(comments.get(key) ?? []), c]);
    },
  };
}
