import pkg from '../../package.json' with { type: 'json' };
import type { Config } from '../config.ts';
import { AppError } from '../domain/errors.ts';
import { countsLine, headlineOf, titleOf, type NotificationMessage } from './notify-message.ts';
import type { AttemptResult } from './outbox.ts';

/** What the outbox stores for an e-mail: the message exactly as it will be sent. */
export interface EmailPayload {
  to: string[];
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string): string =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** Subject "[Greenlight] Shop: run failed (2 of 19 tests failed)", a text body and a simple HTML one. */
export function emailMessage(m: NotificationMessage, to: string[]): EmailPayload {
  const more = m.failureCount - m.failures.length;
  const text: string[] = [`${m.project.name}: ${headlineOf(m)}`, '', countsLine(m), ''];
  if (m.failures.length > 0) {
    text.push('Failed tests:');
    for (const f of m.failures) text.push(`- ${f.name}${f.reason ? ` — ${f.reason}` : ''}`);
    if (more > 0) text.push(`…and ${more} more`);
    text.push('');
  } else if (m.run.error && m.run.status !== 'passed') {
    text.push(m.run.error, '');
  }
  if (m.flaky.length > 0) {
    text.push('Passed on a retry:');
    for (const f of m.flaky) text.push(`- ${f.testName} (attempt ${f.attempt})`);
    text.push('');
  }
  text.push(`Run: ${m.runUrl}`, `Run id: ${m.run.id} (${m.run.trigger.source})`);

  const li = (items: string[]): string => `<ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>`;
  const html: string[] = [
    `<h2>${escapeHtml(`${m.project.name}: ${headlineOf(m)}`)}</h2>`,
    `<p>${escapeHtml(countsLine(m))}</p>`,
  ];
  if (m.failures.length > 0) {
    const items = m.failures.map(
      (f) =>
        `<strong>${escapeHtml(f.name)}</strong>${f.reason ? ` — ${escapeHtml(f.reason)}` : ''}`,
    );
    if (more > 0) items.push(`…and ${more} more`);
    html.push('<h3>Failed tests</h3>', li(items));
  } else if (m.run.error && m.run.status !== 'passed') {
    html.push(`<p>${escapeHtml(m.run.error)}</p>`);
  }
  if (m.flaky.length > 0) {
    const items = m.flaky.map((f) => `${escapeHtml(f.testName)} (attempt ${f.attempt})`);
    html.push('<h3>Passed on a retry</h3>', li(items));
  }
  html.push(
    `<p><a href="${escapeHtml(m.runUrl)}">Open run</a></p>`,
    `<p style="color:#666;font-size:12px">Greenlight · ${escapeHtml(m.project.slug)} · run ${escapeHtml(m.run.id)}</p>`,
  );
  return {
    to,
    subject: titleOf(m),
    text: text.join('\n'),
    html: `<!doctype html><html><body>${html.join('\n')}</body></html>`,
  };
}

/** SMTP errors carry the server's reply code; network errors a `code` such as ECONNREFUSED. */
interface SmtpError extends Error {
  responseCode?: number;
  code?: string;
}

/**
 * Send one e-mail through GREENLIGHT_SMTP_URL. A 5xx reply (bad recipient, refused sender,
 * failed login) will not change by asking again: given up. 4xx replies and network trouble are
 * retried. Without an SMTP server configured the delivery is refused.
 */
export async function sendEmail(
  config: Pick<Config, 'smtpUrl' | 'smtpFrom'>,
  mail: EmailPayload,
  opts: { timeoutMs: number; signal: AbortSignal; deliveryId: string },
): Promise<AttemptResult> {
  if (!config.smtpUrl) {
    throw new AppError('validation_failed', 'e-mail is not configured: set GREENLIGHT_SMTP_URL');
  }
  // nodemailer is loaded by the first e-mail: about 20 MB an idle server without mail never needs.
  const { default: nodemailer } = await import('nodemailer');
  const transport = nodemailer.createTransport({
    url: config.smtpUrl,
    connectionTimeout: opts.timeoutMs,
    greetingTimeout: opts.timeoutMs,
    socketTimeout: opts.timeoutMs,
  });
  const onAbort = (): void => transport.close();
  opts.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const info = await transport.sendMail({
      from: config.smtpFrom,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      headers: {
        'X-Greenlight-Delivery': opts.deliveryId,
        'Auto-Submitted': 'auto-generated',
      },
      xMailer: `Greenlight/${pkg.version}`,
    });
    const code = Number(/^(\d{3})/.exec(info.response)?.[1] ?? 250);
    if (info.rejected.length > 0) {
      return {
        statusCode: code,
        verdict: 'delivered',
        error: `refused recipients: ${info.rejected.map(String).join(', ')}`,
      };
    }
    return { statusCode: code, verdict: 'delivered', error: null };
  } catch (err) {
    const e = err as SmtpError;
    if (typeof e.responseCode === 'number') {
      return {
        statusCode: e.responseCode,
        verdict: e.responseCode >= 500 ? 'give_up' : 'retry',
        error: `SMTP server answered ${e.responseCode}: ${oneLineOf(e.message)}`,
      };
    }
    throw err;
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
    transport.close();
  }
}

const oneLineOf = (s: string): string => s.split('\n')[0]?.slice(0, 300) ?? '';
