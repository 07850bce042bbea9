import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitLab, type FakeGitLab } from '../fakes/gitlab-server.ts';
import { startFeedbackHarness, type FeedbackHarness } from './pr-feedback-harness.ts';

// GitLab MR feedback end to end against a fake GitLab whose endpoints are zod schemas written
// from GitLab's API documentation.

const TOKEN = 'glpat-FeedbackToken0123456789';
const SHA = 'c3d4e5f60718293a4b5c6d7e8f90123456789012';

describe('GitLab MR feedback', () => {
  let gl: FakeGitLab;
  let h: FeedbackHarness;
  let proj: { id: string; slug: string; token: string };

  beforeAll(async () => {
    gl = await startFakeGitLab({ tokens: [TOKEN], maxPerPage: 1 });
    h = await startFeedbackHarness('sqlite', { gitlabApiUrl: gl.url });
    proj = await h.project('web', ['home loads', 'fail search']);
  });
  afterAll(async () => {
    await h?.close();
    await gl?.close();
  });
  afterEach(() => {
    gl.faults.length = 0;
    expect(gl.violations).toEqual([]);
  });

  const trigger = (git: Record<string, unknown>, tests?: string[]) =>
    h.call(
      'POST',
      `/api/v1/projects/${proj.slug}/trigger`,
      {
        wait: true,
        ...(tests ? { tests } : {}),
        git: { provider: 'gitlab', projectId: 'acme/web', gitlabToken: TOKEN, ...git },
      },
      { authorization: `Bearer ${proj.token}` },
    );

  it('keeps one sticky MR note, edited by the second run, with commit statuses', async () => {
    const first = await trigger({ mrIid: 7, commitSha: SHA });
    expect(first.status).toBe(422);
    await h.settled();
    const notes = gl.notes.get('acme/web!7')!;
    expect(notes).toHaveLength(1);
    expect(notes[0]!.body.startsWith(`<!-- greenlight:${proj.slug} -->`)).toBe(true);
    expect(notes[0]!.body).toContain(first.body.runId);

    const tests = await h.call('GET', `/api/v1/projects/${proj.slug}/tests`, undefined, {
      authorization: `Bearer ${h.adminKey}`,
    });
    const home = tests.body.items.find((t: { name: string }) => t.name === 'home loads');
    const second = await trigger({ mrIid: 7, commitSha: SHA }, [home.id]);
    expect(second.status).toBe(200);
    await h.settled();
    const after = gl.notes.get('acme/web!7')!;
    expect(after).toHaveLength(1);
    expect(after[0]!.id).toBe(notes[0]!.id);
    expect(after[0]!.body).toContain(second.body.runId);
    expect(gl.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);

    // `running` appears when the run starts after it was registered; pending and final always.
    const states = gl.statuses.map((s) => s.state).filter((s) => s !== 'running');
    expect(states).toEqual(['pending', 'failed', 'pending', 'success']);
    expect(gl.statuses.every((s) => s.name === `greenlight/${proj.slug}` && s.sha === SHA)).toBe(
      true,
    );
    expect(gl.statuses.every((s) => s.project === 'acme/web')).toBe(true);
    // The MR counts as the run's PR in its stored git metadata.
    const stored = await h.store.runTriggers.get(second.body.runId);
    expect(stored?.git).toMatchObject({ repository: 'acme/web', prNumber: 7, commitSha: SHA });
  });

  it('notes a 403 and never fails the run; the token stays out of logs and the database', async () => {
    gl.faults.push({ method: 'POST', path: /\/notes$/, status: 403, message: '403 Forbidden' });
    const res = await trigger({ mrIid: 8, projectId: 42 });
    expect(res.body.status).toBe('failed');
    await h.settled();
    const notes = await h.store.runNotes.listByRun(proj.id, res.body.runId);
    expect(notes.map((n) => [n.level, n.source])).toEqual([['warn', 'gitlab']]);
    expect(notes[0]!.message).toMatch(/note on MR !8 not posted: GitLab answered HTTP 403/);
    expect(h.logs.join('')).not.toContain(TOKEN);
    expect(await h.dumpDatabase()).not.toContain(TOKEN);
  });

  it('refuses a gitlabToken without a project or an MR/commit (400 naming the field)', async () => {
    const res = await h.call(
      'POST',
      `/api/v1/projects/${proj.slug}/trigger`,
      { git: { provider: 'gitlab', gitlabToken: TOKEN, commitSha: SHA } },
      { authorization: `Bearer ${proj.token}` },
    );
    expect([res.status, res.body.code, res.body.details?.field]).toEqual([
      400,
      'validation_failed',
      'projectId',
    ]);
  });
});
