import { createHash } from 'node:crypto';
import { Octokit } from '@octokit/core';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { FORGE_USER_AGENT, type forgeConnection } from './forge-http.ts';

// Octokit with its plugins, built in a module of its own so `github.ts` can load it on first use.

const GitHubOctokit = Octokit.plugin(paginateRest, retry, throttling);
export type GitHubOctokit = InstanceType<typeof GitHubOctokit>;

export function createGitHubOctokit(
  c: ReturnType<typeof forgeConnection>,
  o: { retryUnitMs: number; maxRateWaitS: number },
): GitHubOctokit {
  // Wait out a rate limit once, when it resets within a minute; else the call fails and is noted.
  const waitOnce = (after: number, _opts: unknown, _o: unknown, retries: number): boolean =>
    retries === 0 && after <= o.maxRateWaitS;
  const octokit = new GitHubOctokit({
    baseUrl: c.base,
    userAgent: FORGE_USER_AGENT,
    request: { fetch: c.fetch },
    retry: { retryAfterBaseValue: o.retryUnitMs },
    throttle: {
      // Pacing is per token (GitHub counts writes per user); the key is a hash, not the token.
      id: createHash('sha256').update(c.token).digest('hex').slice(0, 16),
      retryAfterBaseValue: o.retryUnitMs,
      onRateLimit: waitOnce,
      onSecondaryRateLimit: waitOnce,
    },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
  // GitHub's documented headers on every request, pages and retries included.
  octokit.hook.before('request', (req) => {
    req.headers.authorization = `Bearer ${c.token}`;
    req.headers.accept = 'application/vnd.github+json';
    req.headers['x-github-api-version'] = '2022-11-28';
  });
  return octokit;
}
