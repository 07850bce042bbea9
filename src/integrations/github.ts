import {
  forgeConnection,
  forgeRequest,
  sameOrigin,
  type ForgeClientOptions,
  type ForgeConnection,
  type ForgeResponse,
} from './forge-http.ts';

// The few GitHub REST calls PR feedback needs (API version 2022-11-28): commit statuses, one
// sticky issue comment on the pull request, and a check run.

/** `owner/name` of a repository. */
export interface RepoRef {
  owner: string;
  repo: string;
}

export type GitHubStatusState = 'pending' | 'success' | 'failure' | 'error';

/** baseUrl: `https://api.github.com`, or `https://host/api/v3` for GitHub Enterprise Server. */
export type GitHubClientOptions = ForgeClientOptions;

const PER_PAGE = 100;
const MAX_PAGES = 50;
/** GitHub refuses comment bodies over 65536 characters. */
export const MAX_COMMENT_CHARS = 65_536;

const namePart = /^[A-Za-z0-9_.-]{1,100}$/;

/**
 * `owner/name` from what pipelines send: `owner/name`, `https://github.com/owner/name(.git)` or
 * `git@github.com:owner/name.git`; null when it is none of these.
 */
export function parseRepository(text: string): RepoRef | null {
  const trimmed = text
    .trim()
    .replace(/^git@[^:]+:/, '')
    .replace(/^https?:\/\/[^/]+\//, '')
    .replace(/\.git$/, '')
    .replace(/\/+$/, '');
  const parts = trimmed.split('/');
  if (parts.length !== 2) return null;
  const [owner, repo] = parts as [string, string];
  if (!namePart.test(owner) || !namePart.test(repo) || repo === '.' || repo === '..') return null;
  return { owner, repo };
}

/** A small GitHub REST client bound to one token; every failure throws ForgeApiError. */
export class GitHubClient {
  readonly #c: ForgeConnection;

  constructor(o: GitHubClientOptions) {
    this.#c = forgeConnection(o);
  }

  /** POST /repos/{owner}/{repo}/statuses/{sha}. */
  async createCommitStatus(
    r: RepoRef,
    sha: string,
    s: { state: GitHubStatusState; targetUrl: string | null; description: string; context: string },
  ): Promise<void> {
    await this.#call('POST', `${repoPath(r)}/statuses/${encodeURIComponent(sha)}`, {
      state: s.state,
      target_url: s.targetUrl,
      // GitHub cuts descriptions at 140 characters; longer ones are refused on some versions.
      description: s.description.slice(0, 140),
      context: s.context,
    });
  }

  /**
   * Create or edit the one comment of ours on the pull request: the first comment whose body
   * contains `marker` is edited in place, else a new one is posted. Returns its id.
   */
  async upsertStickyComment(
    r: RepoRef,
    prNumber: number,
    marker: string,
    body: string,
  ): Promise<{ id: number; action: 'created' | 'updated' }> {
    const text = withMarker(marker, body);
    const existing = await this.#findComment(r, prNumber, marker);
    if (existing !== null) {
      await this.#call('PATCH', `${repoPath(r)}/issues/comments/${existing}`, { body: text });
      return { id: existing, action: 'updated' };
    }
    const res = await this.#call('POST', `${repoPath(r)}/issues/${prNumber}/comments`, {
      body: text,
    });
    return { id: idOf(res.json), action: 'created' };
  }

  /** POST /repos/{owner}/{repo}/check-runs, completed with the run's conclusion. */
  async createCheckRun(
    r: RepoRef,
    c: {
      name: string;
      headSha: string;
      conclusion: 'success' | 'failure' | 'cancelled' | 'neutral';
      detailsUrl: string | null;
      title: string;
      summary: string;
      completedAt: string;
    },
  ): Promise<void> {
    await this.#call('POST', `${repoPath(r)}/check-runs`, {
      name: c.name,
      head_sha: c.headSha,
      status: 'completed',
      conclusion: c.conclusion,
      completed_at: c.completedAt,
      ...(c.detailsUrl ? { details_url: c.detailsUrl } : {}),
      output: { title: c.title.slice(0, 255), summary: c.summary.slice(0, MAX_COMMENT_CHARS) },
    });
  }

  /** Walk the PR's comments page by page (Link rel="next", same origin only) for our marker. */
  async #findComment(r: RepoRef, prNumber: number, marker: string): Promise<number | null> {
    let url: string | null =
      `${this.#c.base}${repoPath(r)}/issues/${prNumber}/comments?per_page=${PER_PAGE}&page=1`;
    for (let page = 0; url !== null && page < MAX_PAGES; page++) {
      const res: ForgeResponse = await this.#send('GET', url);
      const items = Array.isArray(res.json) ? (res.json as unknown[]) : [];
      for (const c of items) {
        const comment = c as { id?: unknown; body?: unknown };
        if (typeof comment.body === 'string' && comment.body.includes(marker)) {
          return idOf(comment);
        }
      }
      const next = nextLink(res.headers.get('link'));
      url = next && sameOrigin(next, this.#c.base) ? next : null;
    }
    return null;
  }

  #call(method: 'POST' | 'PATCH', path: string, body: unknown): Promise<ForgeResponse> {
    return this.#send(method, `${this.#c.base}${path}`, body);
  }

  #send(method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown): Promise<ForgeResponse> {
    return forgeRequest({
      method,
      url,
      headers: {
        authorization: `Bearer ${this.#c.token}`,
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
      },
      body,
      fetch: this.#c.fetch,
      timeoutMs: this.#c.timeoutMs,
      provider: 'GitHub',
    });
  }
}

const repoPath = (r: RepoRef): string =>
  `/repos/${encodeURIComponent(r.owner)}/${encodeURIComponent(r.repo)}`;

/** The marker first (hidden in rendered Markdown), then the body, within GitHub's limit. */
export function withMarker(marker: string, body: string): string {
  const text = `${marker}\n${body}`;
  if (text.length <= MAX_COMMENT_CHARS) return text;
  const note = '\n\n…(summary cut to fit the comment size limit)';
  return text.slice(0, MAX_COMMENT_CHARS - note.length) + note;
}

function idOf(json: unknown): number {
  const id = (json as { id?: unknown } | null)?.id;
  if (typeof id !== 'number') throw new Error('GitHub answered without a comment id');
  return id;
}

/** The `rel="next"` URL of an RFC 8288 Link header. */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m) return m[1]!;
  }
  return null;
}
