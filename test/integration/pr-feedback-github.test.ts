import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github-server.ts';
import { startFeedbackHarness, type FeedbackHarness } from './pr-feedback-harness.ts';

// GitHub PR feedback end to end: real server, real SQLite/PostgreSQL, a fake GitHub that checks
// every request against GitHub's OpenAPI description.

const TOKEN = 'ghs_FeedbackToken0123456789abcdefXYZ';
const SHA1 = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const SHA2 = 'b2c3d4e5f60718293a4b5c6d7e8f901234567890';

const bearer = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` });

describe.each(['sqlite', 'postgres'] as const)('GitHub PR feedback (%s)', (dialect) => {
  let gh: FakeGitHub;
  let h: FeedbackHarness;
  let proj: { id: string; slug: string; token: string };

  beforeAll(async () => {
    // One comment per page, so finding ours walks the Link header.
    gh = await startFakeGitHub({ tokens: [TOKEN], maxPerPage: 1 });
    h = await startFeedbackHarness(dialect, { githubApiUrl: gh.url });
    proj = await h.project('shop', ['checkout works', 'fail cart']);
  });
  afterAll(async () => {
    await h?.close();
    await gh?.close();
  });
  afterEach(() => {
    gh.faults.length = 0;
    expect(gh.violations).toEqual([]);
  });

  const trigger = (git: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    h.call(
      'POST',
      `/api/v1/projects/${proj.slug}/trigger`,
      { wait: true, git: { repository: 'acme/shop', githubToken: TOKEN, ...git }, ...extra },
      bearer(proj.token),
    );
  const notesOf = async (runId: string): Promise<{ level: string; message: string }[]> => {
    const res = await h.call(
      'GET',
      `/api/v1/projects/${proj.slug}/runs/${runId}/notes`,
      undefined,
      bearer(proj.token),
    );
    expect(res.status).toBe(200);
    return res.body.items;
  };

  it('keeps one sticky comment per PR, edited by the second run, and statuses in order', async () => {
    gh.addForeignComment('acme/shop', 12, 'LGTM');
    gh.addForeignComment('acme/shop', 12, 'please add tests');

    const first = await trigger({ prNumber: 12, commitSha: SHA1 });
    expect(first.status).toBe(422); // `fail cart` fails
    await h.settled();
    const afterFirst = gh.comments.get('acme/shop#12')!;
    expect(afterFirst).toHaveLength(3);
    const ours = afterFirst[2]!;
    expect(ours.body.startsWith(`<!-- greenlight:${proj.slug} -->`)).toBe(true);
    expect(ours.body).toContain(first.body.runId);
    expect(ours.body).toContain('fail cart');

    const runs = await h.call('GET', `/api/v1/projects/${proj.slug}/tests`, undefined, {
      authorization: `Bearer ${h.adminKey}`,
    });
    const passing = runs.body.items.find((t: { name: string }) => t.name === 'checkout works');
    const second = await h.call(
      'POST',
      `/api/v1/projects/${proj.slug}/trigger`,
      {
        wait: true,
        tests: [passing.id],
        git: { repository: 'acme/shop', prNumber: 12, commitSha: SHA2, githubToken: TOKEN },
      },
      bearer(proj.token),
    );
    expect(second.status).toBe(200);
    await h.settled();

    const comments = gh.comments.get('acme/shop#12')!;
    expect(comments).toHaveLength(3);
    expect(comments[2]!.id).toBe(ours.id);
    expect(comments[2]!.body).toContain(second.body.runId);
    expect(comments[2]!.body).not.toContain(first.body.runId);
    const edits = gh.requests.filter((r) => r.method === 'PATCH');
    expect(edits).toHaveLength(1);
    expect(edits[0]!.path).toBe(`/repos/acme/shop/issues/comments/${ours.id}`);

    const ctx = `greenlight/${proj.slug}`;
    expect(gh.statuses.map((s) => [s.sha, s.state, s.context])).toEqual([
      [SHA1, 'pending', ctx],
      [SHA1, 'failure', ctx],
      [SHA2, 'pending', ctx],
      [SHA2, 'success', ctx],
    ]);
    expect(gh.statuses[3]!.target_url).toContain(`/runs/${second.body.runId}`);
    const notes = await notesOf(second.body.runId);
    expect(notes.map((n) => n.message).join('\n')).toMatch(/updated comment/);
    expect(h.feedback.heldTokens).toBe(0);
  });

  it("posts under the project's status context, so branch protection keeps its required name", async () => {
    const admin = { authorization: `Bearer ${h.adminKey}` };
    const set = await h.call(
      'PATCH',
      `/api/v1/projects/${proj.slug}`,
      { statusContext: 'ci/e2e' },
      admin,
    );
    expect([set.status, set.body.statusContext]).toEqual([200, 'ci/e2e']);
    const before = gh.statuses.length;
    const res = await trigger({ commitSha: SHA1 });
    expect(res.status).toBe(422);
    await h.settled();
    expect(gh.statuses.slice(before).map((s) => [s.state, s.context])).toEqual([
      ['pending', 'ci/e2e'],
      ['failure', 'ci/e2e'],
    ]);
    // null goes back to the default, greenlight/<slug>.
    const reset = await h.call(
      'PATCH',
      `/api/v1/projects/${proj.slug}`,
      { statusContext: null },
      admin,
    );
    expect(reset.body.statusContext).toBe(`greenlight/${proj.slug}`);
    const bad = await h.call(
      'PATCH',
      `/api/v1/projects/${proj.slug}`,
      { statusContext: '' },
      admin,
    );
    expect([bad.status, bad.body.code]).toEqual([400, 'validation_failed']);
  });

  it('notes a 403 on statuses on the run, which still ends normally and gets its comment', async () => {
    gh.faults.push({
      method: 'POST',
      path: /\/statuses\//,
      status: 403,
      message: 'Resource not accessible by integration',
    });
    const res = await trigger({ prNumber: 13, commitSha: SHA1 });
    expect(res.status).toBe(422);
    expect(res.body.status).toBe('failed'); // the run's own verdict, untouched
    await h.settled();
    const notes = await notesOf(res.body.runId);
    const warned = notes.filter((n) => n.level === 'warn').map((n) => n.message);
    expect(warned).toHaveLength(2); // pending and final status
    expect(warned[0]).toMatch(/commit status "pending" not posted: GitHub answered HTTP 403/);
    expect(warned[0]).toContain('Resource not accessible by integration');
    expect(gh.comments.get('acme/shop#13')).toHaveLength(1);
  });

  it('creates a check run when asked, and ignores a 403 for it', async () => {
    const ok = await trigger({ commitSha: SHA2, checks: true });
    expect(ok.status).toBe(422);
    await h.settled();
    expect(gh.checkRuns.at(-1)).toMatchObject({
      head_sha: SHA2,
      status: 'completed',
      conclusion: 'failure',
      name: `greenlight/${proj.slug}`,
    });

    gh.faults.push({ method: 'POST', path: /check-runs$/, status: 403, message: 'no checks' });
    const refused = await trigger({ commitSha: SHA2, checks: true });
    await h.settled();
    const notes = await notesOf(refused.body.runId);
    expect(notes.find((n) => /check run not posted.*\(ignored\)/.test(n.message))).toMatchObject({
      level: 'info',
    });
  });

  it('takes AegisRunner fields (githubRepo, githubPrNumber, githubCommitSha, githubToken)', async () => {
    const res = await h.call(
      'POST',
      '/api/v1/ci/trigger',
      {
        wait: true,
        githubRepo: 'acme/shop',
        githubPrNumber: 21,
        githubCommitSha: SHA1,
        githubToken: TOKEN,
      },
      bearer(proj.token),
    );
    expect(res.status).toBe(422);
    await h.settled();
    expect(gh.comments.get('acme/shop#21')).toHaveLength(1);
    expect(gh.statuses.filter((s) => s.state === 'failure').length).toBeGreaterThan(0);

    const bad = await h.call(
      'POST',
      '/api/v1/ci/trigger',
      { githubToken: TOKEN, githubPrNumber: 21 },
      bearer(proj.token),
    );
    expect([bad.status, bad.body.code, bad.body.details?.field]).toEqual([
      400,
      'validation_failed',
      'githubRepo',
    ]);
    expect(JSON.stringify(bad.body)).not.toContain(TOKEN);
  });

  it('never writes the token to a log line or the database', async () => {
    await h.settled();
    expect(h.logs.length).toBeGreaterThan(10);
    expect(h.logs.join('')).not.toContain(TOKEN);
    const dump = await h.dumpDatabase();
    expect(dump).toContain('acme/shop'); // the git metadata is kept …
    expect(dump).not.toContain(TOKEN); // … the token is not
  });
});

describe('GitHub PR feedback when GitHub cannot be reached', () => {
  it('notes the network error and the run ends normally', async () => {
    // A port nothing listens on: connection refused.
    const h = await startFeedbackHarness('sqlite', { githubApiUrl: 'http://127.0.0.1:9' });
    try {
      const p = await h.project('offline', ['checkout works']);
      const res = await h.call(
        'POST',
        `/api/v1/projects/${p.slug}/trigger`,
        {
          wait: true,
          git: { repository: 'acme/shop', prNumber: 3, commitSha: SHA1, githubToken: TOKEN },
        },
        bearer(p.token),
      );
      expect([res.status, res.body.status]).toEqual([200, 'completed']);
      await h.settled();
      const notes = await h.store.runNotes.listByRun(p.id, res.body.runId);
      expect(notes.length).toBe(3);
      expect(notes.every((n) => n.level === 'warn' && /could not be reached/.test(n.message))).toBe(
        true,
      );
      expect(h.logs.join('')).not.toContain(TOKEN);
    } finally {
      await h.close();
    }
  });

  it('refuses a GitHub API on a private address unless the operator allows it', async () => {
    const gh = await startFakeGitHub({ tokens: [TOKEN] });
    const h = await startFeedbackHarness('sqlite', { githubApiUrl: gh.url, allowPrivateUrls: [] });
    try {
      const p = await h.project('guarded', ['checkout works']);
      const res = await h.call(
        'POST',
        `/api/v1/projects/${p.slug}/trigger`,
        { wait: true, git: { repository: 'acme/shop', commitSha: SHA1, githubToken: TOKEN } },
        bearer(p.token),
      );
      expect(res.body.status).toBe('completed');
      await h.settled();
      const notes = await h.store.runNotes.listByRun(p.id, res.body.runId);
      expect(notes.length).toBeGreaterThan(0);
      expect(notes.every((n) => /forge API URL host .* loopback address/.test(n.message))).toBe(
        true,
      );
      expect(gh.statuses).toEqual([]);
    } finally {
      await h.close();
      await gh.close();
    }
  });
});
