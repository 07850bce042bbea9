/** What a JUnit test case needs from a result. */
export interface JunitCase {
  testName: string;
  status: string;
  durationMs: number;
  error: string | null;
  suite?: string | null;
}

// XML 1.0 forbids most control characters even when escaped; drop them.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const invalidXml = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function xmlEscape(text: string): string {
  return text
    .replace(invalidXml, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const seconds = (ms: number): string => (Math.max(0, ms) / 1000).toFixed(3);

/**
 * A minimal JUnit XML report (the subset CI servers read: testsuites › testsuite › testcase
 * with time, failure, error and skipped), one suite for the whole run.
 */
export function junitXml(runName: string, cases: JunitCase[], timestamp?: string): string {
  const failures = cases.filter((c) => c.status === 'failed').length;
  const errors = cases.filter((c) => c.status === 'error').length;
  const skipped = cases.filter((c) => c.status === 'skipped').length;
  const time = seconds(cases.reduce((s, c) => s + c.durationMs, 0));
  const counts = `tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time}"`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="greenlight" ${counts}>`,
    `  <testsuite name="${xmlEscape(runName)}" ${counts}${timestamp ? ` timestamp="${xmlEscape(timestamp)}"` : ''}>`,
  ];
  for (const c of cases) {
    const attrs = `name="${xmlEscape(c.testName)}" classname="${xmlEscape(c.suite ?? 'greenlight')}" time="${seconds(c.durationMs)}"`;
    const message = c.error ?? c.status;
    const firstLine = message.split('\n')[0] ?? message;
    if (c.status === 'failed' || c.status === 'error') {
      const tag = c.status === 'failed' ? 'failure' : 'error';
      lines.push(
        `    <testcase ${attrs}>`,
        `      <${tag} message="${xmlEscape(firstLine)}">${xmlEscape(message)}</${tag}>`,
        '    </testcase>',
      );
    } else if (c.status === 'skipped') {
      lines.push(`    <testcase ${attrs}>`, '      <skipped/>', '    </testcase>');
    } else {
      lines.push(`    <testcase ${attrs}/>`);
    }
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
