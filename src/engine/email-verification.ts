import { AppError } from '../domain/errors.ts';
import type { EmailPayload } from '../integrations/notify-email.ts';
import type { User } from '../store/accounts.ts';
import type { Store } from '../store/connect.ts';
import {
  mailTokenInBackground,
  requireMail,
  type MailConfig,
  type MailFailure,
} from './account-mail.ts';

/** How long a verification link works. */
const VERIFY_TTL_MS = 24 * 60 * 60 * 1000;

/** The answer to a sign-in by an account whose address is not confirmed yet. */
export const NOT_VERIFIED =
  'Confirm your e-mail address first: open the link we sent you, or ask for a new one ' +
  '(POST /api/v1/auth/resend-verification).';

/**
 * The mail with the verification token. Like the reset mail, the link is built from
 * GREENLIGHT_PUBLIC_URL only, never from the request's Host header.
 */
function verificationMail(config: MailConfig, to: string, token: string): EmailPayload {
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
  requireMail(config, 'E-mail verification');
  mailVerification(store, config, async () => user, onFailure);
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
  requireMail(config, 'E-mail verification');
  const find = async () => {
    const user = await store.accounts.findByEmail(email);
    return user && !user.emailVerifiedAt ? user : null;
  };
  mailVerification(store, config, find, onFailure);
}

function mailVerification(
  store: Store,
  config: MailConfig,
  find: () => Promise<Pick<User, 'id' | 'email'> | null | undefined>,
  onFailure: MailFailure,
): void {
  mailTokenInBackground(
    store,
    config,
    {
      purpose: 'verify',
      ttlMs: VERIFY_TTL_MS,
      find,
      mail: (to, token) => verificationMail(config, to, token),
    },
    onFailure,
  );
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
