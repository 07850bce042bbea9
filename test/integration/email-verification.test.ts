import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startFakeSmtp, type FakeSmtp, type ReceivedMail } from '../fakes/smtp.ts';
import { startHarness, type Harness } from './api-harness.ts';
import { createMember, TEST_PASSWORD } from './auth-helpers.ts';

// Optional e-mail verification through a real SMTP server on 127.0.0.1: sign-up mails a
// single-use link, an unconfirmed account cannot sign in, and the link can be asked for again.
let h: Harness;
let smtp: FakeSmtp;
const PUBLIC = 'https://greenlight.example.test';
const PASSWORD = 'a long enough passphrase';

const post = (path: string, body: unknown) =>
  fetch(`${h.url}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** The next mail to `to` after `after` mails, waiting a bounded time (sent in the background). */
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
  const t = /verify-email\?token=([A-Za-z0-9_-]+)/.exec(m.text)?.[1];
  if (!t) throw new Error(`no token in ${m.text}`);
  return t;
};

let n = 0;
const freshEmail = (): string => `signup-${++n}-${Date.now()}@example.test`;

beforeAll(async () => {
  smtp = await startFakeSmtp();
  h = await startHarness({
    config: {
      smtpUrl: smtp.url,
      publicUrl: PUBLIC,
      openRegistration: true,
      requireEmailVerification: true,
    },
  });
});
afterAll(async () => {
  await h?.close();
  await smtp?.close();
});

describe('e-mail verification', () => {
  it('sign-up mails a link and opens no session; sign-in is 403 email_not_verified until confirmed', async () => {
    const email = freshEmail();
    const mark = smtp.mails.length;
    const res = await post('/auth/register', { email, password: PASSWORD });
    expect(res.status).toBe(201);
    expect(res.headers.getSetCookie()).toEqual([]);
    const body = (await res.json()) as { verificationRequired: boolean; user: { email: string } };
    expect(body).toMatchObject({
      verificationRequired: true,
      user: { email, emailVerified: false },
    });

    const mail = await mailTo(email, mark);
    expect(mail.subject).toMatch(/confirm your e-mail/i);
    expect(mail.text).toContain(`${PUBLIC}/verify-email?token=`);
    const token = tokenOf(mail);
    const rows = await h.store.db.selectFrom('account_tokens').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(token);

    const refused = await post('/auth/login', { email, password: PASSWORD });
    expect(refused.status).toBe(403);
    const err = (await refused.json()) as { code: string; error: string };
    expect(err.code).toBe('email_not_verified');
    expect(err.error).toMatch(/resend-verification/);
    // A wrong password still answers 401: the 403 is only for the account's own password.
    expect((await post('/auth/login', { email, password: 'wrong password!' })).status).toBe(401);

    const ok = await post('/auth/verify-email', { token });
    expect(ok.status).toBe(200);
    const signedIn = await post('/auth/login', { email, password: PASSWORD });
    expect(signedIn.status).toBe(200);
    expect(
      ((await signedIn.json()) as { user: { emailVerified: boolean } }).user.emailVerified,
    ).toBe(true);
    // Single use.
    const again = await post('/auth/verify-email', { token });
    expect(again.status).toBe(400);
    expect(((await again.json()) as { code: string }).code).toBe('bad_request');
  });

  it('resend mails a new link (the old one stops working), and answers the same for unknown or verified addresses', async () => {
    const email = freshEmail();
    let mark = smtp.mails.length;
    await post('/auth/register', { email, password: PASSWORD });
    const first = tokenOf(await mailTo(email, mark));

    mark = smtp.mails.length;
    const resent = await post('/auth/resend-verification', { email: email.toUpperCase() });
    expect(resent.status).toBe(200);
    const second = tokenOf(await mailTo(email, mark));
    expect(second).not.toBe(first);
    expect((await post('/auth/verify-email', { token: first })).status).toBe(400);
    expect((await post('/auth/verify-email', { token: second })).status).toBe(200);

    // Unknown and already-verified addresses: the same answer, and no mail.
    const verified = await createMember(h.store, { role: 'viewer' });
    mark = smtp.mails.length;
    const a = await post('/auth/resend-verification', { email: 'nobody@example.test' });
    const b = await post('/auth/resend-verification', { email: verified.email });
    const c = await post('/auth/resend-verification', { email });
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
    const [ja, jb, jc] = await Promise.all([a.json(), b.json(), c.json()]);
    expect(ja).toEqual(jb);
    expect(jb).toEqual(jc);
    // A marker mail proves the background sends for the three requests above have had their turn.
    const marker = freshEmail();
    await post('/auth/register', { email: marker, password: PASSWORD });
    await mailTo(marker, mark);
    const sentTo = smtp.mails.slice(mark).flatMap((m) => m.to);
    expect(sentTo).not.toContain('nobody@example.test');
    expect(sentTo).not.toContain(verified.email);
    expect(sentTo).not.toContain(email);
  });

  it('an expired link fails; accounts made by an operator need no link', async () => {
    const email = freshEmail();
    const mark = smtp.mails.length;
    await post('/auth/register', { email, password: PASSWORD });
    const token = tokenOf(await mailTo(email, mark));
    await h.store.db
      .updateTable('account_tokens')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('purpose', '=', 'verify')
      .execute();
    expect((await post('/auth/verify-email', { token })).status).toBe(400);
    expect((await post('/auth/login', { email, password: PASSWORD })).status).toBe(403);

    const member = await createMember(h.store, { role: 'editor' });
    expect(
      (await post('/auth/login', { email: member.email, password: TEST_PASSWORD })).status,
    ).toBe(200);
  });

  it('refuses junk tokens with 400 in the error shape', async () => {
    const res = await post('/auth/verify-email', { token: 'x'.repeat(43) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/invalid, used or expired/);
    expect((await post('/auth/verify-email', {})).status).toBe(400);
  });
});

describe('resend is rate-limited', () => {
  it('answers 429 with Retry-After after a few requests for one address', async () => {
    const limited = await startHarness({
      config: {
        smtpUrl: smtp.url,
        publicUrl: PUBLIC,
        requireEmailVerification: true,
        rateLimit: 'on',
      },
    });
    try {
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 5; i++) {
        last = await fetch(`${limited.url}/api/v1/auth/resend-verification`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'someone@example.test' }),
        });
        statuses.push(last.status);
      }
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(statuses.slice(3)).toEqual([429, 429]);
      expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await last?.json()) as { code: string }).code).toBe('rate_limited');
    } finally {
      await limited.close();
    }
  });
});

describe('without verification', () => {
  it('sign-up opens a session as before, and the setting needs SMTP', async () => {
    const open = await startHarness({ config: { openRegistration: true } });
    try {
      const res = await fetch(`${open.url}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: freshEmail(), password: PASSWORD }),
      });
      expect(res.status).toBe(201);
      expect(res.headers.getSetCookie().some((c) => c.startsWith('access_token='))).toBe(true);
    } finally {
      await open.close();
    }
    expect(() => loadConfig({ GREENLIGHT_REQUIRE_EMAIL_VERIFICATION: '1' })).toThrow(
      /GREENLIGHT_SMTP_URL/,
    );
  });
});
