import { countsLine, headlineOf, type NotificationMessage } from './notify-message.ts';

// Microsoft Teams incoming webhooks (and Workflows "post to a channel when a webhook request is
// received") take a message whose one attachment is an Adaptive Card: `{ type: 'message',
// attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null,
// content: { type: 'AdaptiveCard', version, body, actions } }] }` (learn.microsoft.com, "Send
// Adaptive Cards using an Incoming Webhook"). Version 1.4 is what Teams renders everywhere.

export type TeamsElement =
  | {
      type: 'TextBlock';
      text: string;
      wrap: boolean;
      size?: 'Small' | 'Default' | 'Medium' | 'Large';
      weight?: 'Lighter' | 'Default' | 'Bolder';
      color?: 'Default' | 'Good' | 'Warning' | 'Attention' | 'Accent';
      isSubtle?: boolean;
    }
  | { type: 'FactSet'; facts: { title: string; value: string }[] };

export interface TeamsMessage {
  type: 'message';
  attachments: {
    contentType: 'application/vnd.microsoft.card.adaptive';
    contentUrl: null;
    content: {
      $schema: string;
      type: 'AdaptiveCard';
      version: '1.4';
      body: TeamsElement[];
      actions: { type: 'Action.OpenUrl'; title: string; url: string }[];
      msteams: { width: 'Full' };
    };
  }[];
}

const color: Record<NotificationMessage['event'], 'Attention' | 'Good' | 'Warning' | 'Accent'> = {
  'run.failed': 'Attention',
  'run.recovered': 'Good',
  'flaky.detected': 'Warning',
  'run.finished': 'Accent',
};

/**
 * TextBlock text is a small Markdown subset in Teams (emphasis, links, lists); names and errors
 * are shown literally by escaping what would start emphasis, code or a link. Lines we build never
 * start with user text, so list and heading markers need no escape.
 */
const escapeTeams = (s: string): string => s.replace(/([\\`*_[\]])/g, '\\$1');

/** The Adaptive Card message of a notification. */
export function teamsMessage(m: NotificationMessage): TeamsMessage {
  const body: TeamsElement[] = [
    {
      type: 'TextBlock',
      text: escapeTeams(`${m.project.name}: ${headlineOf(m)}`),
      size: 'Large',
      weight: 'Bolder',
      color: color[m.event],
      wrap: true,
    },
    { type: 'TextBlock', text: escapeTeams(countsLine(m)), wrap: true },
    {
      type: 'FactSet',
      facts: [
        { title: 'Project', value: m.project.slug },
        { title: 'Run', value: m.run.id },
        { title: 'Status', value: m.run.status },
        { title: 'Trigger', value: m.run.trigger.source },
      ],
    },
  ];
  if (m.failures.length > 0) {
    const more = m.failureCount - m.failures.length;
    const list = m.failures
      .map((f) => `- ${escapeTeams(f.name)}${f.reason ? ` — ${escapeTeams(f.reason)}` : ''}`)
      .join('\n');
    body.push(
      { type: 'TextBlock', text: 'Failed tests', weight: 'Bolder', wrap: true },
      { type: 'TextBlock', text: list + (more > 0 ? `\n\n…and ${more} more` : ''), wrap: true },
    );
  } else if (m.run.error && m.run.status !== 'passed') {
    body.push({ type: 'TextBlock', text: escapeTeams(m.run.error), wrap: true, isSubtle: true });
  }
  if (m.flaky.length > 0) {
    body.push(
      { type: 'TextBlock', text: 'Passed on a retry', weight: 'Bolder', wrap: true },
      {
        type: 'TextBlock',
        text: m.flaky.map((f) => `- ${escapeTeams(f.testName)} (attempt ${f.attempt})`).join('\n'),
        wrap: true,
      },
    );
  }
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body,
          actions: [{ type: 'Action.OpenUrl', title: 'Open run', url: m.runUrl }],
          msteams: { width: 'Full' },
        },
      },
    ],
  };
}
