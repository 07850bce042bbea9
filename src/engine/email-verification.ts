import { randomUUID } from 'node:crypto';
import type { Config } from '../config.ts';
import { AppError } from '../domain/errors.ts';
import { sendEmail, type EmailPayload } from '../integrations/notify-email.ts';
import type { User } from '../store/accounts.ts';
import type { Store } from '../store/connect.ts';
import type { MailFailure } from './password-reset.ts';

/** How long a verification link works. */
export const VERIFY_TTL_MS = 24 * 60 * 60 * 1000;
const SEND_TIMEOUT_MS = 15_000;

type MailConfig = Pick<Config, 'smtpUrl' | 'smtpFrom' | 'publicUrl'>;

/** The answer to a sign-in by an account whose address is not confirmed yet. */
export const NOT_VERIFIED =
  'Confirm your e-mail address first: open the link we sent you, or ask for a new one ' +
  '(POST /api/v1/auth/resend-verification).';

/**
 * The mail with the verification token. Like the reset mail, the link is built from
 * GREENLIGHT_PUBLIC_URL only, never from the request's Host header.
 */
export function verificationMail(config: MailConfig, to: string, token: string): EmailPayload {
  const base = config.publicUrl?.replace(/\/+$/, '');
  const link = base ? `${base}/verify-email?token=${encodeURIComponent(token)}` : null;
  const text = [
    'Welcome to Greenlight. Confirm that this address is yours:',
    '',
    link ? `Confirm your e-mail: ${link}` : `Your verification token: ${token}`,
    link ? '' : 'Send it with POST /api/v1/auth/verify-email {"token": …}.',
    'The link works once, for 24 hours. If you did not create an account, ignore this mail.',
  ].join('\n');
  const shown = link
    ? `<a href="${link}">Confirm your e-mail</a>`
    : `Your verification token: <code>${token}</code>`;
  return {
    to: [to],
    subject: '[Greenlight] Confirm your e-mail address',
    text,
    html: `<!doctype html><html><body><p>Welcome to Greenlight. Confirm that this address is yours:</p><p>${shown}</p><p>It works once, for 24 hours. If you did not create an account, ignore this mail.</p></body></html>`,
  };
}

/** Mail a fresh link (earlier ones void) in the background; failures go to `onFailure`. */
export function sendVerification(
  store: Store,
  config: MailConfig,
  user: Pick<User, 'id' | 'email'>,
  onFailure: MailFailure,
): void {
  if (!config.smtpUrl) {
    throw new AppError(
      'unavailable',
      'E-mail verification needs e-mail: the server has no GREENLIGHT_SMTP_URL.',
    );
  }
  void (async () => {
    const token = await store.accountTokens.create(user.id, 'verify', VERIFY_TTL_MS);
    const result = await sendEmail(config, verificationMail(config, user.email, token), {
      timeoutMs: SEND_TIMEOUT_MS,
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS * 3),
      deliveryId: randomUUID(),
    });
    if (result.error) onFailure(result.error);
  })().catch((e: unknown) => onFailure(e instanceof Error ? e.message : String(e)));
}

/**
 * Resend the link to an address: mailed only when it has an account that is not verified yet.
 * The caller learns nothing either way (same answer, same time: the work is in the background).
 */
export async function resendVerification(
  store: Store,
  config: MailConfig,
  email: string,
  onFailure: MailFailure,
): Promise<void> {
  if (!config.smtpUrl) {
    throw new AppError(
      'unavailable',
      'E-mail verification needs e-mail: the server has no GREENLIGHT_SMTP_URL.',
    );
  }
  void (async () => {
    const user = await store.accounts.findByEmail(email);
    if (!user || user.emailVerifiedAt) return;
    sendVerification(store, config, user, onFailure);
  })().catch((e: unknown) => onFailure(e instanceof Error ? e.message : String(e)));
}

/** Confirm an address with a mailed token: it works once; the user may then sign in. */
export async function verifyEmail(store: Store, token: string): Promise<void> {
  const userId = await store.accountTokens.consume(token, 'verify');
  if (!userId) {
    throw new AppError(
      'bad_request',
      'This verification link is invalid, used or expired; ask for a new one.',
    );
  }
  await store.accounts.markEmailVerified(userId);
}
