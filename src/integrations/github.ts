import {
  forgeConnection,
  causeOf,
  refused,
  unreachable,
  type ForgeClientOptions,
} from './forge-http.ts';
import type { GitHubOctokit } from './github-octokit.ts';

// The few GitHub REST calls PR feedback needs (API version 2022-11-28): commit statuses, one
// sticky issue comment on the pull request, and a check run. Octokit brings the route types,
// pagination, retries of 5xx answers and GitHub's rate-limit rules (one write per second per
// token, waiting out a limit that resets soon).

/** `owner/name` of a repository. */
export interface RepoRef {
  owner: string;
  repo: string;
}

export type GitHubStatusState = 'pending' | 'success' | 'failure' | 'error';

/** baseUrl: `https://api.github.com`, or `https://host/api/v3` for GitHub Enterprise Server. */
export interface GitHubClientOptions extends ForgeClientOptions {
  /** Unit of the waits between retries (default 1 s: retries after 1, 4 and 9 units). */
  retryUnitMs?: number;
}

const PER_PAGE = 100;
const MAX_PAGES = 50;
/** A rate limit that resets later than this is reported, not waited for. */
const MAX_RATE_WAIT_S = 60;
/** GitHub refuses comment bodies over 65536 characters. */
const MAX_COMMENT_CHARS = 65_536;

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

/** A GitHub REST client bound to one token; every failure throws ForgeApiError. */
export class GitHubClient {
  readonly #options: GitHubClientOptions;
  #client: Promise<GitHubOctokit> | undefined;

  constructor(o: GitHubClientOptions) {
    this.#options = o;
  }

  /** Octokit and its plugins load with the first call: most servers never post to GitHub. */
  get #o(): Promise<GitHubOctokit> {
    this.#client ??= import('./github-octokit.ts').then((m) =>
      m.createGitHubOctokit(forgeConnection(this.#options), {
        retryUnitMs: this.#options.retryUnitMs ?? 1_000,
        maxRateWaitS: MAX_RATE_WAIT_S,
      }),
    );
    return this.#client;
  }

  /** POST /repos/{owner}/{repo}/statuses/{sha}. */
  async createCommitStatus(
    r: RepoRef,
    sha: string,
    s: { state: GitHubStatusState; targetUrl: string | null; description: string; context: string },
  ): Promise<void> {
    await call(async () =>
      (await this.#o).request('POST /repos/{owner}/{repo}/statuses/{sha}', {
        ...r,
        sha,
        state: s.state,
        target_url: s.targetUrl,
        // GitHub cuts descriptions at 140 characters; longer ones are refused on some versions.
        description: s.description.slice(0, 140),
        context: s.context,
      }),
    );
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
    const existing = await call(() => this.#findComment(r, prNumber, marker));
    if (existing !== null) {
      await call(async () =>
        (await this.#o).request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
          ...r,
          comment_id: existing,
          body: text,
        }),
      );
      return { id: existing, action: 'updated' };
    }
    const res = await call(async () =>
      (await this.#o).request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
        ...r,
        issue_number: prNumber,
        body: text,
      }),
    );
    return { id: Number(res.data.id), action: 'created' };
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
    await call(async () =>
      (await this.#o).request('POST /repos/{owner}/{repo}/check-runs', {
        ...r,
        name: c.name,
        head_sha: c.headSha,
        status: 'completed',
        conclusion: c.conclusion,
        completed_at: c.completedAt,
        ...(c.detailsUrl ? { details_url: c.detailsUrl } : {}),
        output: { title: c.title.slice(0, 255), summary: c.summary.slice(0, MAX_COMMENT_CHARS) },
      }),
    );
  }

  /** Walk the PR's comments page by page (Link rel="next") for our marker. */
  async #findComment(r: RepoRef, prNumber: number, marker: string): Promise<number | null> {
    const pages = (await this.#o).paginate.iterator(
      'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
      { ...r, issue_number: prNumber, per_page: PER_PAGE },
    );
    let read = 0;
    for await (const page of pages) {
      const ours = page.data.find((c) => c.body?.includes(marker) === true);
      if (ours) return Number(ours.id);
      if (++read >= MAX_PAGES) break;
    }
    return null;
  }
}

/** One API call, its failure turned into ForgeApiError with the method and path it concerned. */
async function call<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (e) {
    const { RequestError } = await import('@octokit/request-error');
    if (!(e instanceof RequestError)) throw unreachable('GitHub', 'a request', causeOf(e));
    const where = `${e.request.method} ${new URL(e.request.url).pathname}`;
    if (e.response === undefined) throw unreachable('GitHub', where, e.message);
    throw refused('GitHub', where, e.status, e.response.data);
  }
}

/** The marker first (hidden in rendered Markdown), then the body, within GitHub's limit. */
function withMarker(marker: string, body: string): string {
  const text = `${marker}\n${body}`;
  if (text.length <= MAX_COMMENT_CHARS) return text;
  const note = '\n\n…(summary cut to fit the comment size limit)';
  return text.slice(0, MAX_COMMENT_CHARS - note.length) + note;
}
