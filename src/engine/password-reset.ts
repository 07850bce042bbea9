import { randomUUID } from 'node:crypto';
import type { Config } from '../config.ts';
import { AppError } from '../domain/errors.ts';
import { sendEmail, type EmailPayload } from '../integrations/notify-email.ts';
import type { Store } from '../store/connect.ts';

/** How long a reset link works. */
export const RESET_TTL_MS = 60 * 60 * 1000;
const SEND_TIMEOUT_MS = 15_000;

type MailConfig = Pick<Config, 'smtpUrl' | 'smtpFrom' | 'publicUrl'>;

/** What failed while mailing, for the server log; never the token. */
export type MailFailure = (error: string) => void;

/**
 * The mail with the reset token. The link is built from GREENLIGHT_PUBLIC_URL only, never from
 * the request's Host header: a forged Host would otherwise send the victim's token elsewhere.
 */
export function resetMail(config: MailConfig, to: string, token: string): EmailPayload {
  const base = config.publicUrl?.replace(/\/+$/, '');
  const link = base ? `${base}/reset-password?token=${encodeURIComponent(token)}` : null;
  const text = [
    'Someone asked to reset the password of your Greenlight account.',
    '',
    link ? `Choose a new password: ${link}` : `Your reset token: ${token}`,
    link ? '' : 'Send it with POST /api/v1/auth/reset-password {"token": …, "newPassword": …}.',
    'The link works once, for one hour. If you did not ask, ignore this mail.',
  ].join('\n');
  const shown = link
    ? `<a href="${link}">Choose a new password</a>`
    : `Your reset token: <code>${token}</code>`;
  return {
    to: [to],
    subject: '[Greenlight] Reset your password',
    text,
    html: `<!doctype html><html><body><p>Someone asked to reset the password of your Greenlight account.</p><p>${shown}</p><p>It works once, for one hour. If you did not ask, ignore this mail.</p></body></html>`,
  };
}

/**
 * Start a reset: when the address has an account, a fresh token (earlier ones void) is mailed.
 * The caller learns nothing either way: the mail is sent in the background, so the answer takes
 * the same time whether the account exists or not. Refused only when e-mail is not configured.
 */
export async function requestPasswordReset(
  store: Store,
  config: MailConfig,
  email: string,
  onFailure: MailFailure,
): Promise<void> {
  if (!config.smtpUrl) {
    throw new AppError(
      'unavailable',
      'Password reset needs e-mail: the server has no GREENLIGHT_SMTP_URL.',
    );
  }
  void (async () => {
    const user = await store.accounts.findByEmail(email);
    if (!user) return;
    const token = await store.accountTokens.create(user.id, 'reset', RESET_TTL_MS);
    const result = await sendEmail(config, resetMail(config, user.email, token), {
      timeoutMs: SEND_TIMEOUT_MS,
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS * 3),
      deliveryId: randomUUID(),
    });
    if (result.error) onFailure(result.error);
  })().catch((e: unknown) => onFailure(e instanceof Error ? e.message : String(e)));
}

/**
 * Finish a reset with the new password's hash: the token works once; the change ends every
 * session and voids the user's other tokens.
 */
export async function resetPassword(
  store: Store,
  token: string,
  passwordHash: string,
): Promise<void> {
  const userId = await store.accountTokens.consume(token, 'reset');
  if (!userId) {
    throw new AppError('bad_request', 'This reset link is invalid, used or expired; ask again.');
  }
  await store.accounts.setPasswordHash(userId, passwordHash);
  await store.sessions.deleteForUser(userId);
  await store.accountTokens.voidForUser(userId);
}
