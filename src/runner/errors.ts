/**
 * A failure of the test itself (an expectation not met, an element that never showed up, bad
 * test data); its message is shown to the user as is.
 */
export class StepFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepFailure';
  }
}

/** The test was stopped from outside its steps: cancelled, over its budget, or no page in time. */
export class TestInterrupted extends Error {
  readonly reason: 'cancelled' | 'timeout' | 'setup';
  constructor(reason: 'cancelled' | 'timeout' | 'setup') {
    super(reason);
    this.name = 'TestInterrupted';
    this.reason = reason;
  }
}

const closedPattern =
  /Target page, context or browser has been closed|Browser has been closed|browser has disconnected|Target crashed|Page crashed|Browser closed|Connection closed/i;

/** Whether an error says the page, context or browser is gone (infrastructure, not the test). */
export function isBrowserGoneError(e: unknown): boolean {
  return e instanceof Error && closedPattern.test(e.message);
}

/** Whether an error is Playwright giving up waiting (as opposed to an immediate failure). */
export function isTimeoutError(e: unknown): boolean {
  return (
    e instanceof Error && (e.name === 'TimeoutError' || /Timeout \d+ms exceeded/.test(e.message))
  );
}

// Call-log lines that only repeat what the retry loop does and say nothing about the cause.
const noise =
  /^(retrying|waiting \d+ms|attempting|scrolling|performing|done|navigated to|"?\w+"? event fired|waiting for element to be)/i;

const ansiColour = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/**
 * Turn a Playwright error into one line: `timed out after 3000 ms (waiting for
 * getByRole('button', { name: 'Go' }); element is not enabled)`. The call log is long and noisy;
 * the first wait and the last reason are what a reader needs.
 */
export function summarizeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  // Playwright colours its call log; results are plain text.
  const lines = e.message.replace(ansiColour, '').split('\n');
  const logStart = lines.findIndex((l) => /^\s*Call log:/.test(l));
  const body = logStart < 0 ? lines : lines.slice(0, logStart);
  const first = body
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ')
    .replace(/^[\w.]+: /, '')
    .replace(/^Error: /, '')
    .replace(/^Timeout (\d+)ms exceeded\.?/, 'timed out after $1 ms');
  if (logStart < 0) return first;
  const log = lines
    .slice(logStart + 1)
    .map((l) => l.replace(/^\s*(-\s*)?(\d+\s*×\s*)?/, '').trim())
    .filter((l) => l.length > 0 && !noise.test(l));
  if (!/timed out/.test(first)) return first;
  const waiting = log.find((l) => l.startsWith('waiting for'));
  // "element is not enabled" and the like say why an action could not happen.
  const last = log.findLast((l) => /^element\b/.test(l)) ?? log.at(-1);
  const details = [waiting, last !== waiting ? last : undefined].filter(Boolean);
  return details.length > 0 ? `${first} (${details.join('; ')})` : first;
}
