import {
  forgeConnection,
  forgeRequest,
  nextLink,
  type ForgeClientOptions,
  type ForgeConnection,
  type ForgeResponse,
} from './forge-http.ts';

// The few GitLab REST (v4) calls PR feedback needs: a commit status and one sticky note on the
// merge request. Documented at docs.gitlab.com/api/commits (statuses) and /api/notes.

export type GitLabStatusState = 'pending' | 'running' | 'success' | 'failed' | 'canceled';

/** baseUrl: `https://gitlab.com/api/v4`, or a self-managed instance's `/api/v4`. */
export type GitLabClientOptions = ForgeClientOptions;

const PER_PAGE = 100;
const MAX_PAGES = 50;
/** GitLab's note limit is 1,000,000 characters; a summary never needs that much. */
const MAX_NOTE_CHARS = 100_000;

/** A GitLab project reference: a numeric id or a `group/…/project` path. */
export function parseGitLabProject(text: string): string | null {
  const t = text
    .trim()
    .replace(/^https?:\/\/[^/]+\//, '')
    .replace(/\.git$/, '')
    .replace(/\/+$/, '');
  if (/^\d{1,20}$/.test(t)) return t;
  return /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/.test(t) && !t.split('/').includes('..') ? t : null;
}

/** A small GitLab REST client bound to one token; every failure throws ForgeApiError. */
export class GitLabClient {
  readonly #c: ForgeConnection;

  constructor(o: GitLabClientOptions) {
    this.#c = forgeConnection(o);
  }

  /** POST /projects/:id/statuses/:sha. */
  async setCommitStatus(
    project: string,
    sha: string,
    s: { state: GitLabStatusState; name: string; targetUrl: string | null; description: string },
  ): Promise<void> {
    await this.#send(
      'POST',
      `${this.#c.base}${projectPath(project)}/statuses/${encodeURIComponent(sha)}`,
      {
        state: s.state,
        name: s.name,
        ...(s.targetUrl ? { target_url: s.targetUrl } : {}),
        description: s.description.slice(0, 255),
      },
    );
  }

  /**
   * Create or edit the one note of ours on the merge request: the first note whose body
   * contains `marker` is edited in place (PUT), else a new one is posted.
   */
  async upsertStickyNote(
    project: string,
    mrIid: number,
    marker: string,
    body: string,
  ): Promise<{ id: number; action: 'created' | 'updated' }> {
    const notes = `${this.#c.base}${projectPath(project)}/merge_requests/${mrIid}/notes`;
    let text = `${marker}\n${body}`;
    if (text.length > MAX_NOTE_CHARS) text = text.slice(0, MAX_NOTE_CHARS);
    const existing = await this.#findNote(notes, marker);
    if (existing !== null) {
      await this.#send('PUT', `${notes}/${existing}`, { body: text });
      return { id: existing, action: 'updated' };
    }
    const res = await this.#send('POST', notes, { body: text });
    return { id: idOf(res.json), action: 'created' };
  }

  /** Walk the MR's notes (x-next-page, or Link rel="next") for the marker. */
  async #findNote(notesUrl: string, marker: string): Promise<number | null> {
    let url: string | null = `${notesUrl}?per_page=${PER_PAGE}&page=1`;
    for (let page = 0; url !== null && page < MAX_PAGES; page++) {
      const res: ForgeResponse = await this.#send('GET', url);
      const items = Array.isArray(res.json) ? (res.json as unknown[]) : [];
      for (const n of items) {
        const note = n as { id?: unknown; body?: unknown; system?: unknown };
        if (note.system !== true && typeof note.body === 'string' && note.body.includes(marker)) {
          return idOf(note);
        }
      }
      const nextPage = res.headers.get('x-next-page');
      const link = nextLink(res.headers.get('link'));
      if (nextPage && /^\d+$/.test(nextPage)) {
        url = `${notesUrl}?per_page=${PER_PAGE}&page=${nextPage}`;
      } else {
        url = link;
      }
    }
    return null;
  }

  #send(method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown): Promise<ForgeResponse> {
    return forgeRequest({
      method,
      url,
      headers: { 'private-token': this.#c.token, accept: 'application/json' },
      body,
      fetch: this.#c.fetch,
      provider: 'GitLab',
    });
  }
}

const projectPath = (project: string): string => `/projects/${encodeURIComponent(project)}`;

function idOf(json: unknown): number {
  const id = (json as { id?: unknown } | null)?.id;
  if (typeof id !== 'number') throw new Error('GitLab answered without a note id');
  return id;
}
