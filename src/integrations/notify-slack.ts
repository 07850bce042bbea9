import { countsLine, headlineOf, type NotificationMessage } from './notify-message.ts';

// Slack incoming webhooks take a message payload: `text` (the notification and fallback text) and
// Block Kit `blocks` (https://api.slack.com/reference/block-kit/blocks). Limits used below are
// Slack's: header text ≤ 150 characters, section text ≤ 3000, button text ≤ 75, action_id ≤ 255.

interface PlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}
interface Mrkdwn {
  type: 'mrkdwn';
  text: string;
}
export type SlackBlock =
  | { type: 'header'; text: PlainText }
  | { type: 'section'; text: Mrkdwn }
  | { type: 'context'; elements: Mrkdwn[] }
  | {
      type: 'actions';
      elements: {
        type: 'button';
        text: PlainText;
        url: string;
        action_id: string;
        style?: 'primary' | 'danger';
      }[];
    };

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/** Slack's mrkdwn treats &, < and > as control characters; everything else is literal. */
const escapeMrkdwn = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const cut = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

const icon: Record<NotificationMessage['event'], string> = {
  'run.failed': '🔴',
  'run.recovered': '🟢',
  'flaky.detected': '🟡',
  'run.finished': '🏁',
};

/** The Block Kit message of a notification. */
export function slackMessage(m: NotificationMessage): SlackMessage {
  const headline = `${m.project.name}: ${headlineOf(m)}`;
  const lines = [`*${escapeMrkdwn(countsLine(m))}*`];
  if (m.failures.length > 0) {
    lines.push('', '*Failed tests*');
    for (const f of m.failures) {
      const reason = f.reason ? ` — ${escapeMrkdwn(f.reason)}` : '';
      lines.push(`• ${escapeMrkdwn(f.name)}${reason}`);
    }
    const more = m.failureCount - m.failures.length;
    if (more > 0) lines.push(`…and ${more} more`);
  } else if (m.run.error && m.run.status !== 'passed') {
    lines.push('', escapeMrkdwn(m.run.error));
  }
  if (m.flaky.length > 0) {
    lines.push('', '*Passed on a retry*');
    for (const f of m.flaky) lines.push(`• ${escapeMrkdwn(f.testName)} (attempt ${f.attempt})`);
  }
  return {
    text: `${icon[m.event]} ${headline}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: cut(headline, 150), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: cut(lines.join('\n'), 3000) } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: escapeMrkdwn(
              `Greenlight · ${m.project.slug} · run ${m.run.id} · ${m.run.trigger.source}`,
            ),
          },
        ],
      },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Open run' },
            url: m.runUrl,
            action_id: 'greenlight_open_run',
            ...(m.event === 'run.failed' ? { style: 'danger' as const } : {}),
          },
        ],
      },
    ],
  };
}
