import { randomUUID } from 'node:crypto';
import type { Config } from '../config.ts';
import { AppError } from '../domain/errors.ts';
import { sendEmail, type EmailPayload } from '../integrations/notify-email.ts';
import type { AccountTokenPurpose } from '../store/account-tokens.ts';
import type { Store } from '../store/connect.ts';

// What password reset and e-mail verification share: a single-use token mailed in the
// background, so an answer takes the same time whether the account exists or not.

export type MailConfig = Pick<Config, 'smtpUrl' | 'smtpFrom' | 'publicUrl'>;

/** What failed while mailing, for the server log; never the token. */
export type MailFailure = (error: string) => void;

const SEND_TIMEOUT_MS = 15_000;

/** Refuse at once when the server cannot send mail: `what` names the feature that needs it. */
export function requireMail(config: MailConfig, what: string): void {
  if (!config.smtpUrl) {
    throw new AppError(
      'unavailable',
      `${what} needs e-mail: the server has no GREENLIGHT_SMTP_URL.`,
    );
  }
}

/**
 * In the background: find the user `find` picks (none: nothing happens), give them a fresh
 * token of `purpose` (earlier ones void) and mail it with `mail`. Failures go to `onFailure`.
 */
export function mailTokenInBackground(
  store: Store,
  config: MailConfig,
  t: {
    purpose: AccountTokenPurpose;
    ttlMs: number;
    find: () => Promise<{ id: string; email: string } | null | undefined>;
    mail: (to: string, token: string) => EmailPayload;
  },
  onFailure: MailFailure,
): void {
  void (async () => {
    const user = await t.find();
    if (!user) return;
    const token = await store.accountTokens.create(user.id, t.purpose, t.ttlMs);
    const result = await sendEmail(config, t.mail(user.email, token), {
      timeoutMs: SEND_TIMEOUT_MS,
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS * 3),
      deliveryId: randomUUID(),
    });
    if (result.error) onFailure(result.error);
  })().catch((e: unknown) => onFailure(e instanceof Error ? e.message : String(e)));
}
