import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSmtp, type FakeSmtp, type ReceivedMail } from '../fakes/smtp.ts';
import { errorBody, startHarness, type Harness } from './api-harness.ts';
import { createMember, TEST_PASSWORD } from './auth-helpers.ts';

// Forgot / reset password (seed 001) through a real SMTP server on 127.0.0.1.
let h: Harness;
let smtp: FakeSmtp;
const PUBLIC = 'https://greenlight.example.test';
const NEW_PASSWORD = 'a brand new passphrase';

const post = (path: string, body: unknown) =>
  fetch(`${h.url}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function login(email: string, password: string): Promise<number> {
  return (await post('/auth/login', { email, password })).status;
}

/** The next mail to `to`, waiting a bounded time (it is sent in the background). */
async function mailTo(to: string, after = 0): Promise<ReceivedMail> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = smtp.mails.slice(after).find((m) => m.to.includes(to));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no mail to ${to}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const tokenOf = (m: ReceivedMail): string => {
  const t = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(m.text)?.[1];
  if (!t) throw new Error(`no token in ${m.text}`);
  return t;
};

beforeAll(async () => {
  smtp = await startFakeSmtp();
  h = await startHarness({ config: { smtpUrl: smtp.url, publicUrl: PUBLIC } });
});
afterAll(async () => {
  await h?.close();
  await smtp?.close();
});

describe('password reset by e-mail', () => {
  it('mails a link, sets the new password once, and ends old sessions', async () => {
    const user = await createMember(h.store, { role: 'editor' });
    const before = await post('/auth/login', { email: user.email, password: TEST_PASSWORD });
    const cookie = before.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const mark = smtp.mails.length;
    const res = await post('/auth/forgot-password', { email: user.email.toUpperCase() });
    expect(res.status).toBe(200);
    const mail = await mailTo(user.email, mark);
    expect(mail.subject).toMatch(/reset your password/i);
    expect(mail.text).toContain(`${PUBLIC}/reset-password?token=`);
    const token = tokenOf(mail);
    // Only a hash is stored.
    const rows = await h.store.db.selectFrom('account_tokens').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(token);

    const done = await post('/auth/reset-password', { token, newPassword: NEW_PASSWORD });
    expect(done.status).toBe(200);
    expect(await login(user.email, TEST_PASSWORD)).toBe(401);
    expect(await login(user.email, NEW_PASSWORD)).toBe(200);
    const me = await fetch(`${h.url}/api/v1/auth/me`, { headers: { cookie } });
    expect(me.status).toBe(401);

    const again = await post('/auth/reset-password', { token, newPassword: 'yet another one!' });
    expect(again.status).toBe(400);
    expect(await login(user.email, NEW_PASSWORD)).toBe(200);
  });

  it('answers the same for an unknown address and mails nobody', async () => {
    const mark = smtp.mails.length;
    const known = await createMember(h.store, { role: 'viewer' });
    const a = await post('/auth/forgot-password', { email: 'nobody@example.test' });
    const b = await post('/auth/forgot-password', { email: known.email });
    expect(a.status).toBe(200);
    expect(await a.json()).toEqual(await b.json());
    await mailTo(known.email, mark);
    expect(smtp.mails.slice(mark).some((m) => m.to.includes('nobody@example.test'))).toBe(false);
  });

  it('a newer request voids the older link; expired links fail', async () => {
    const user = await createMember(h.store, { role: 'viewer' });
    let mark = smtp.mails.length;
    await post('/auth/forgot-password', { email: user.email });
    const first = tokenOf(await mailTo(user.email, mark));
    mark = smtp.mails.length;
    await post('/auth/forgot-password', { email: user.email });
    const second = tokenOf(await mailTo(user.email, mark));
    expect(second).not.toBe(first);
    expect(
      (await post('/auth/reset-password', { token: first, newPassword: NEW_PASSWORD })).status,
    ).toBe(400);

    await h.store.db
      .updateTable('account_tokens')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .execute();
    const late = await post('/auth/reset-password', { token: second, newPassword: NEW_PASSWORD });
    expect(late.status).toBe(400);
    expect(await login(user.email, TEST_PASSWORD)).toBe(200);
  });

  it('refuses a short password and a junk token with 400', async () => {
    const short = await post('/auth/reset-password', {
      token: 'x'.repeat(43),
      newPassword: 'short',
    });
    expect(short.status).toBe(400);
    const junk = await post('/auth/reset-password', {
      token: 'x'.repeat(43),
      newPassword: NEW_PASSWORD,
    });
    expect(junk.status).toBe(400);
    expect(((await junk.json()) as { error: string }).error).toMatch(/invalid, used or expired/);
  });
});

describe('without SMTP', () => {
  it('forgot-password answers 503 saying e-mail is not configured', async () => {
    const bare = await startHarness();
    try {
      const res = await bare.call(
        'POST',
        '/api/v1/auth/forgot-password',
        { email: 'a@b.test' },
        {
          cookie: '',
        },
      );
      expect(errorBody(res, 503, 'unavailable').error).toMatch(/GREENLIGHT_SMTP_URL/);
    } finally {
      await bare.close();
    }
  });
});
