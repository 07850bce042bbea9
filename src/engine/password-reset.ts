import { AppError } from '../domain/errors.ts';
import type { EmailPayload } from '../integrations/notify-email.ts';
import type { Store } from '../store/connect.ts';
import {
  mailTokenInBackground,
  requireMail,
  type MailConfig,
  type MailFailure,
} from './account-mail.ts';

/** How long a reset link works. */
const RESET_TTL_MS = 60 * 60 * 1000;

/**
 * The mail with the reset token. The link is built from GREENLIGHT_PUBLIC_URL only, never from
 * the request's Host header: a forged Host would otherwise send the victim's token elsewhere.
 */
function resetMail(config: MailConfig, to: string, token: string): EmailPayload {
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
  requireMail(config, 'Password reset');
  mailTokenInBackground(
    store,
    config,
    {
      purpose: 'reset',
      ttlMs: RESET_TTL_MS,
      find: () => store.accounts.findByEmail(email),
      mail: (to, token) => resetMail(config, to, token),
    },
    onFailure,
  );
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
