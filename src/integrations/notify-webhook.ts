import type { CiSummary } from '../domain/ci-status.ts';
import type { NotificationEvent } from '../store/notification-channels.ts';
import type { NotificationMessage } from './notify-message.ts';

/**
 * The generic webhook body: the event, the project, the run as the seed-000 CI summary that
 * callbacks carry, and a link. Signed exactly like callbacks (X-Greenlight-Signature over
 * `timestamp.body` with the project's callback secret), so one receiver verifies both.
 */
export interface WebhookPayload {
  event: NotificationEvent;
  project: { id: string; slug: string; name: string };
  run: CiSummary;
  url: string;
  /** Tests that passed on a retry (flaky.detected; empty otherwise). */
  flaky: { testId: string; testName: string; attempt: number }[];
}

export function webhookPayload(m: NotificationMessage): WebhookPayload {
  return {
    event: m.event,
    project: m.project,
    run: m.summary,
    url: m.runUrl,
    flaky: m.flaky,
  };
}

/**
 * A webhook URL as the API shows it: incoming-webhook URLs are bearer secrets in their path
 * (Slack's /services/T…/B…/<token>, Teams' …/webhookb2/…), so only the origin and the last four
 * characters are shown, enough to tell two channels apart. Credentials and query are dropped.
 */
export function maskWebhookUrl(raw: string): string {
  try {
    const u = new URL(raw);
    const path = u.pathname.replace(/\/+$/, '');
    const tail = path.length > 12 ? path.slice(-4) : '';
    return `${u.protocol}//${u.host}/***${tail}`;
  } catch {
    return '***';
  }
}

/** True for a URL that came back from {@link maskWebhookUrl}: saving it would lose the secret. */
export const isMaskedUrl = (raw: string): boolean => /\/\*\*\*[^/]*$/.test(raw);
