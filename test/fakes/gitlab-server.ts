import { z } from 'zod';
import {
  faultFor,
  startFakeServer,
  type Fault,
  type FakeRequest,
  type FakeResponse,
  type FakeServer,
} from './fake-http.ts';

// A fake GitLab REST API (v4) on 127.0.0.1. GitLab publishes no machine-readable description of
// these endpoints that an npm package ships, so each one is a hand-written zod schema taken from
// the documentation (docs.gitlab.com/api/commits/#set-the-pipeline-status-of-a-commit and
// /api/notes/#merge-requests): strict objects, so an undocumented field is a violation too.

const projectId = z.union([z.string().regex(/^\d+$/), z.string().regex(/^[\w.-]+(\/[\w.-]+)+$/)]);
const positive = z.string().regex(/^[1-9]\d*$/);
const pageQuery = z.strictObject({
  per_page: positive.optional(),
  page: positive.optional(),
  sort: z.enum(['asc', 'desc']).optional(),
  order_by: z.enum(['created_at', 'updated_at']).optional(),
});

const statusBody = z.strictObject({
  state: z.enum(['pending', 'running', 'success', 'failed', 'canceled', 'skipped']),
  ref: z.string().optional(),
  name: z.string().optional(),
  context: z.string().optional(),
  target_url: z.url().optional(),
  description: z.string().optional(),
  coverage: z.number().optional(),
  pipeline_id: z.number().int().optional(),
});
const createNoteBody = z.strictObject({
  body: z.string().min(1).max(1_000_000),
  internal: z.boolean().optional(),
  created_at: z.string().optional(),
  merge_request_diff_head_sha: z.string().optional(),
});
const updateNoteBody = z.strictObject({ body: z.string().min(1).max(1_000_000) });

interface Endpoint {
  id: string;
  method: string;
  path: RegExp;
  query?: z.ZodType;
  body?: z.ZodType;
}

const seg = '([^/]+)';
const endpoints: Endpoint[] = [
  {
    id: 'set-commit-status',
    method: 'POST',
    path: new RegExp(`^/projects/${seg}/statuses/${seg}$`),
    body: statusBody,
  },
  {
    id: 'list-mr-notes',
    method: 'GET',
    path: new RegExp(`^/projects/${seg}/merge_requests/${seg}/notes$`),
    query: pageQuery,
  },
  {
    id: 'create-mr-note',
    method: 'POST',
    path: new RegExp(`^/projects/${seg}/merge_requests/${seg}/notes$`),
    body: createNoteBody,
  },
  {
    id: 'update-mr-note',
    method: 'PUT',
    path: new RegExp(`^/projects/${seg}/merge_requests/${seg}/notes/${seg}$`),
    body: updateNoteBody,
  },
];

export interface FakeNote {
  id: number;
  body: string;
  system: boolean;
  author: { username: string };
  created_at: string;
  updated_at: string;
}

export interface FakeGitLabStatus {
  project: string;
  sha: string;
  state: string;
  name: string | null;
  target_url: string | null;
  description: string | null;
}

export interface FakeGitLab extends FakeServer {
  /** Notes per `project!iid`. */
  notes: Map<string, FakeNote[]>;
  statuses: FakeGitLabStatus[];
  faults: Fault[];
}

export async function startFakeGitLab(o: {
  tokens: string[];
  maxPerPage?: number;
}): Promise<FakeGitLab> {
  const notes = new Map<string, FakeNote[]>();
  const statuses: FakeGitLabStatus[] = [];
  const faults: Fault[] = [];
  let nextId = 500;
  const now = (): string => new Date().toISOString();

  const handle = (req: FakeRequest, violate: (why: string) => void): FakeResponse => {
    const token = req.headers['private-token'];
    if (typeof token !== 'string' || token === '') violate('no PRIVATE-TOKEN header');
    if (req.headers.authorization) violate('a token in Authorization as well as PRIVATE-TOKEN');
    // The path is matched raw: a project path must arrive URL-encoded (group%2Fproject).
    const path = req.path.replace(/^\/api\/v4/, '');
    const candidates = endpoints.filter((e) => e.path.test(path));
    const ep = candidates.find((e) => e.method === req.method);
    if (!ep) {
      violate(candidates.length ? 'method not documented for this path' : 'path not expected');
      return { status: 404, body: { message: '404 Not Found' } };
    }
    const parts = ep.path.exec(path)!.slice(1).map(decodeURIComponent);
    const project = parts[0]!;
    if (!projectId.safeParse(project).success)
      violate(`project id ${project} is not an id or path`);
    const query = Object.fromEntries(req.query);
    const q = (ep.query ?? z.strictObject({})).safeParse(query);
    if (!q.success) violate(`query: ${z.prettifyError(q.error)}`);
    if (ep.body) {
      if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
        violate('body without content-type application/json');
      }
      const b = ep.body.safeParse(req.body);
      if (!b.success) violate(`body: ${z.prettifyError(b.error)}`);
    } else if (req.body !== undefined) {
      violate('a body where the endpoint takes none');
    }
    if (typeof token !== 'string' || !o.tokens.includes(token)) {
      return { status: 401, body: { message: '401 Unauthorized' } };
    }
    const fault = faultFor(faults, req);
    if (fault) return { status: fault.status, body: { message: fault.message } };
    const body = (req.body ?? {}) as Record<string, unknown>;
    const key = `${project}!${parts[1]}`;
    switch (ep.id) {
      case 'set-commit-status': {
        const s: FakeGitLabStatus = {
          project,
          sha: parts[1]!,
          state: String(body.state),
          name: (body.name as string | undefined) ?? null,
          target_url: (body.target_url as string | undefined) ?? null,
          description: (body.description as string | undefined) ?? null,
        };
        statuses.push(s);
        return { status: 201, body: { id: nextId++, status: s.state, ...s } };
      }
      case 'list-mr-notes': {
        const all = notes.get(key) ?? [];
        const perPage = Math.min(Number(req.query.get('per_page') ?? 20), o.maxPerPage ?? 100);
        const page = Number(req.query.get('page') ?? 1);
        const more = page * perPage < all.length;
        return {
          status: 200,
          body: all.slice((page - 1) * perPage, page * perPage),
          headers: { 'x-page': String(page), 'x-next-page': more ? String(page + 1) : '' },
        };
      }
      case 'create-mr-note': {
        const n: FakeNote = {
          id: nextId++,
          body: String(body.body),
          system: false,
          author: { username: 'greenlight-bot' },
          created_at: now(),
          updated_at: now(),
        };
        notes.set(key, [...(notes.get(key) ?? []), n]);
        return { status: 201, body: n };
      }
      case 'update-mr-note': {
        const n = (notes.get(key) ?? []).find((x) => x.id === Number(parts[2]));
        if (!n) return { status: 404, body: { message: '404 Note Not Found' } };
        n.body = String(body.body);
        n.updated_at = now();
        return { status: 200, body: n };
      }
    }
    return { status: 404, body: { message: '404 Not Found' } };
  };

  const server = await startFakeServer(handle);
  return { ...server, url: `${server.url}/api/v4`, notes, statuses, faults };
}
