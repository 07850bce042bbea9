import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { AppError } from '../../src/domain/errors.ts';
import { checkChannelTarget } from '../../src/integrations/notifications.ts';
import { eventForChannel, eventsOfRun } from '../../src/integrations/notify-message.ts';
import { maskWebhookUrl } from '../../src/integrations/notify-webhook.ts';
import { errorBody, startHarness, type Harness } from './api-harness.ts';
import { createMember } from './auth-helpers.ts';

let h: Harness;
const P = '/api/v1/projects/alerts/notifications';
const SLACK = 'http://127.0.0.1:9/services/T0AAAA/B0BBBB/XXXXsecretTOKENabcd';

beforeAll(async () => {
  h = await startHarness({
    config: { allowPrivateUrls: ['loopback'], smtpUrl: 'smtp://u:p@127.0.0.1:2525' },
  });
  const p = await h.call('POST', '/api/v1/projects', {
    name: 'Alerts',
    slug: 'alerts',
    baseUrl: 'http://a.test',
  });
  expect(p.status).toBe(201);
});

afterAll(async () => {
  await h?.close();
});

describe('notification channels API', () => {
  it('creates, lists, reads, changes and deletes a channel; webhook URLs come back masked', async () => {
    const created = await h.call('POST', P, {
      name: 'team channel',
      type: 'slack',
      events: ['run.failed', 'run.recovered'],
      config: { webhookUrl: SLACK },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'team channel',
      type: 'slack',
      events: ['run.failed', 'run.recovered'],
      enabled: true,
      config: { webhookUrl: 'http://127.0.0.1:9/***abcd' },
    });
    const id = created.body.id as string;

    const list = await h.call('GET', P);
    expect(list.status).toBe(200);
    expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([id]);
    expect(JSON.stringify(list.body)).not.toContain('secretTOKEN');
    const one = await h.call('GET', `${P}/${id}`);
    expect(one.body.config.webhookUrl).toBe('http://127.0.0.1:9/***abcd');

    // Sending the masked URL back would lose the secret: refused.
    const masked = await h.call('PATCH', `${P}/${id}`, { config: one.body.config });
    errorBody(masked, 400, 'validation_failed');
    const patched = await h.call('PATCH', `${P}/${id}`, {
      events: ['run.finished'],
      enabled: false,
      config: { webhookUrl: 'http://127.0.0.1:9/services/T1/B1/othersecretwxyz' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      events: ['run.finished'],
      enabled: false,
      config: { webhookUrl: 'http://127.0.0.1:9/***wxyz' },
    });
    const stored = await h.store.notificationChannels.byId(id);
    expect(stored?.type === 'slack' && stored.config.webhookUrl).toContain('othersecretwxyz');

    // A config of another type does not fit.
    const wrong = await h.call('PATCH', `${P}/${id}`, { config: { to: ['a@b.test'] } });
    errorBody(wrong, 400, 'validation_failed');

    expect((await h.call('DELETE', `${P}/${id}`)).status).toBe(204);
    errorBody(await h.call('GET', `${P}/${id}`), 404, 'not_found');
    errorBody(await h.call('DELETE', `${P}/${id}`), 404, 'not_found');
  });

  it('validates each type: config shape, events, e-mail addresses, private targets', async () => {
    const base = { name: 'x', events: ['run.failed'] };
    errorBody(
      await h.call('POST', P, { ...base, type: 'slack', config: { url: SLACK } }),
      400,
      'validation_failed',
    );
    errorBody(
      await h.call('POST', P, { ...base, type: 'email', config: { to: ['not an address'] } }),
      400,
      'validation_failed',
    );
    errorBody(
      await h.call('POST', P, {
        ...base,
        events: ['run.exploded'],
        type: 'webhook',
        config: { url: SLACK },
      }),
      400,
      'validation_failed',
    );
    errorBody(
      await h.call('POST', P, { ...base, events: [], type: 'webhook', config: { url: SLACK } }),
      400,
      'validation_failed',
    );
    // Loopback is allowed here; a private-network or metadata address is not.
    const ssrf = errorBody(
      await h.call('POST', P, {
        ...base,
        type: 'teams',
        config: { webhookUrl: 'http://169.254.169.254/latest/meta-data' },
      }),
      400,
      'validation_failed',
    );
    expect(ssrf.error).toMatch(/^webhook URL host/);
    const email = await h.call('POST', P, {
      ...base,
      type: 'email',
      config: { to: ['qa@shop.test'] },
    });
    expect(email.status).toBe(201);
    expect(email.body.config).toEqual({ to: ['qa@shop.test'] });
  });

  it('lets a viewer read channels but not create, change or delete them', async () => {
    const viewer = await createMember(h.store, { role: 'viewer' });
    const auth = { authorization: `Bearer ${viewer.apiKey}` };
    const made = await h.call('POST', P, {
      name: 'hook',
      type: 'webhook',
      events: ['run.finished'],
      config: { url: 'http://127.0.0.1:9/hook' },
    });
    expect(made.status).toBe(201);
    const body = { name: 'mine', type: 'webhook', events: ['run.failed'], config: { url: SLACK } };
    errorBody(await h.call('POST', P, body, auth), 403, 'forbidden');
    errorBody(await h.call('PATCH', `${P}/${made.body.id}`, { name: 'y' }, auth), 403, 'forbidden');
    errorBody(await h.call('DELETE', `${P}/${made.body.id}`, undefined, auth), 403, 'forbidden');
    expect((await h.call('GET', P, undefined, auth)).status).toBe(200);
    const editor = await createMember(h.store, { role: 'editor' });
    const ok = await h.call('POST', P, body, { authorization: `Bearer ${editor.apiKey}` });
    expect(ok.status).toBe(201);
  });

  it('answers 404 for a project that does not exist', async () => {
    errorBody(await h.call('GET', '/api/v1/projects/nope/notifications'), 404, 'not_found');
  });
});

describe('notification rules', () => {
  it('works out the events of a run and the one a channel hears', () => {
    const flaky = [{ testId: 't', testName: 'checkout', attempt: 2 }];
    expect(eventsOfRun({ status: 'failed' }, null, [])).toEqual(['run.failed', 'run.finished']);
    expect(eventsOfRun({ status: 'error' }, 'passed', [])).toEqual(['run.failed', 'run.finished']);
    expect(eventsOfRun({ status: 'passed' }, 'error', [])).toEqual([
      'run.recovered',
      'run.finished',
    ]);
    expect(eventsOfRun({ status: 'passed' }, 'passed', flaky)).toEqual([
      'flaky.detected',
      'run.finished',
    ]);
    expect(eventsOfRun({ status: 'passed' }, null, [])).toEqual(['run.finished']);
    expect(eventsOfRun({ status: 'cancelled' }, 'failed', [])).toEqual(['run.finished']);
    const applies = eventsOfRun({ status: 'passed' }, 'failed', flaky);
    expect(eventForChannel(applies, ['run.finished', 'run.recovered'])).toBe('run.recovered');
    expect(eventForChannel(applies, ['flaky.detected'])).toBe('flaky.detected');
    expect(eventForChannel(applies, ['run.failed'])).toBeNull();
  });

  it('masks webhook URLs down to origin and last four characters', () => {
    expect(maskWebhookUrl('https://hooks.slack.com/services/T00/B00/abcdefghWXYZ?x=1')).toBe(
      'https://hooks.slack.com/***WXYZ',
    );
    expect(maskWebhookUrl('https://user:pw@example.com/hook')).toBe('https://example.com/***');
    expect(maskWebhookUrl('not a url')).toBe('***');
  });

  it('refuses e-mail channels when no SMTP server is configured', async () => {
    const config = loadConfig({}, { allowPrivateUrls: [] });
    const err = await checkChannelTarget(
      { type: 'email', config: { to: ['a@b.test'] } },
      { ...config, smtpUrl: null },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toMatch(/GREENLIGHT_SMTP_URL/);
  });
});
