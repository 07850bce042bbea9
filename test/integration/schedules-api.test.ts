import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorBody, startHarness, type Harness } from './api-harness.ts';
import { createMember } from './auth-helpers.ts';

/** The schedules resource over real HTTP: validation, next fire times, roles. */

let h: Harness;
let projectId: string;
const base = () => `/api/v1/projects/${projectId}/schedules`;

beforeAll(async () => {
  h = await startHarness({ config: { allowPrivateUrls: ['loopback'] } });
  const res = await h.call('POST', '/api/v1/projects', {
    name: 'Scheduled',
    slug: 'scheduled',
    baseUrl: 'http://127.0.0.1:9',
  });
  expect(res.status).toBe(201);
  projectId = res.body.id;
  const env = await h.call('PUT', `/api/v1/projects/${projectId}/environments/staging`, {
    baseUrl: 'http://127.0.0.1:9/staging',
  });
  expect(env.status).toBe(201);
});

afterAll(async () => {
  await h?.close();
});

describe('schedules API', () => {
  it('creates a schedule and answers its next fire times', async () => {
    const res = await h.call('POST', base(), {
      name: 'weekday mornings',
      cron: '0 6 * * 1-5',
      timezone: 'Europe/Berlin',
      selection: { tags: ['smoke', 'smoke'] },
      environment: 'staging',
      parallelWorkers: 2,
    });
    expect(res.status).toBe(201);
    const s = res.body;
    expect(s).toMatchObject({
      name: 'weekday mornings',
      cron: '0 6 * * 1-5',
      timezone: 'Europe/Berlin',
      enabled: true,
      selection: { tags: ['smoke'] },
      environment: 'staging',
      baseUrl: null,
      parallelWorkers: 2,
      lastFiredAt: null,
      lastError: null,
    });
    expect(s.nextRuns).toHaveLength(5);
    expect(s.nextRunAt).toBe(s.nextRuns[0]);
    const times = (s.nextRuns as string[]).map((t) => new Date(t));
    for (let i = 0; i < times.length; i++) {
      const t = times[i]!;
      expect(t.getTime()).toBeGreaterThan(Date.now() - 60_000);
      if (i > 0) expect(t.getTime()).toBeGreaterThan(times[i - 1]!.getTime());
      // 06:00 in Berlin on a weekday, whatever the season.
      const local = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/Berlin',
        weekday: 'short',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(t);
      expect(local).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 06:00$/);
    }

    const list = await h.call('GET', base());
    expect(list.status).toBe(200);
    expect(list.body.items.map((x: { id: string }) => x.id)).toContain(s.id);
    const one = await h.call('GET', `${base()}/${s.id}`);
    expect(one.body.nextRuns).toHaveLength(5);
  });

  it('refuses an invalid cron or time zone with 400 and a clear message', async () => {
    const badCron = errorBody(
      await h.call('POST', base(), { name: 'bad cron', cron: '61 * * * *' }),
      400,
      'validation_failed',
    );
    expect(badCron.error).toMatch(/body\.cron: invalid cron "61 \* \* \* \*"/);
    expect(badCron.error).toMatch(/minute/);

    const sixFields = errorBody(
      await h.call('POST', base(), { name: 'seconds', cron: '*/5 * * * * *' }),
      400,
      'validation_failed',
    );
    expect(sixFields.error).toMatch(/body\.cron: .*five fields/);

    const badZone = errorBody(
      await h.call('POST', base(), { name: 'bad tz', cron: '0 6 * * *', timezone: 'Mars/Base' }),
      400,
      'validation_failed',
    );
    expect(badZone.error).toMatch(/body\.timezone: unknown time zone "Mars\/Base"/);

    const missingEnv = errorBody(
      await h.call('POST', base(), { name: 'no env', cron: '0 6 * * *', environment: 'prod' }),
      400,
      'validation_failed',
    );
    expect(missingEnv.error).toMatch(/environment "prod" not found/);

    const created = await h.call('POST', base(), { name: 'to patch', cron: '0 6 * * *' });
    expect(created.status).toBe(201);
    errorBody(
      await h.call('PATCH', `${base()}/${created.body.id}`, { timezone: 'Not/AZone' }),
      400,
      'validation_failed',
    );
  });

  it('patches, disables and deletes; names are unique per project', async () => {
    const created = await h.call('POST', base(), { name: 'hourly', cron: '0 * * * *' });
    expect(created.status).toBe(201);
    expect(created.body.timezone).toBe('UTC');
    errorBody(await h.call('POST', base(), { name: 'hourly', cron: '5 * * * *' }), 409, 'conflict');

    const url = `${base()}/${created.body.id}`;
    const patched = await h.call('PATCH', url, { cron: '30 2 * * *', enabled: false });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ cron: '30 2 * * *', enabled: false });
    expect(patched.body.nextRunAt).toBeNull();
    expect(patched.body.nextRuns).toEqual([]);

    const enabled = await h.call('PATCH', url, { enabled: true });
    expect(enabled.body.nextRunAt).toMatch(/T02:30:00\.000Z$/);

    expect((await h.call('DELETE', url)).status).toBe(204);
    errorBody(await h.call('GET', url), 404, 'not_found');
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = await h.call('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    const path = doc.body.paths['/api/v1/projects/{id}/schedules'];
    expect(Object.keys(path)).toEqual(expect.arrayContaining(['get', 'post']));
    expect(doc.body.paths['/api/v1/projects/{id}/schedules/{scheduleId}'].patch).toBeDefined();
  });

  it('lets a viewer read but not write', async () => {
    const viewer = await createMember(h.store, { role: 'viewer' });
    const auth = { authorization: `Bearer ${viewer.apiKey}` };
    const list = await h.call('GET', base(), undefined, auth);
    expect(list.status).toBe(200);
    expect(list.body.items.length).toBeGreaterThan(0);
    errorBody(
      await h.call('POST', base(), { name: 'viewer made', cron: '0 6 * * *' }, auth),
      403,
      'forbidden',
    );
    const id = list.body.items[0].id as string;
    errorBody(await h.call('PATCH', `${base()}/${id}`, { enabled: false }, auth), 403, 'forbidden');
    errorBody(await h.call('DELETE', `${base()}/${id}`, undefined, auth), 403, 'forbidden');
  });
});
