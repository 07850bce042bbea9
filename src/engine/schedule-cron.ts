import { Cron } from 'croner';

/**
 * Cron arithmetic for schedules, on top of croner (time zones, DST, `@daily` nicknames). Pure:
 * every function takes the instant it reasons about, so callers pass their injected clock.
 *
 * Patterns have exactly five fields (minute hour day-of-month month day-of-week): a seconds field
 * would let one schedule start a run every second, which no quality gate needs.
 */

/** Why a cron pattern or time zone was refused, phrased for an API client. */
export class ScheduleSpecError extends Error {
  readonly field: 'cron' | 'timezone';
  constructor(field: 'cron' | 'timezone', message: string) {
    super(message);
    this.name = 'ScheduleSpecError';
    this.field = field;
  }
}

const CRON_HELP = 'five fields: minute hour day-of-month month day-of-week, e.g. "0 6 * * 1-5"';

/** Build croner's matcher; it never starts a timer because no callback is given. */
function matcher(cron: string, timezone: string): Cron {
  return new Cron(cron, { timezone, mode: '5-part', paused: true });
}

/** The reason a cron pattern is unusable, or null when it is fine. */
export function cronProblem(cron: string): string | null {
  const pattern = cron.trim();
  if (pattern === '') return `cron is empty; use ${CRON_HELP}`;
  let c: Cron;
  try {
    c = matcher(pattern, 'UTC');
  } catch (e) {
    const why = e instanceof Error ? e.message.replace(/^CronPattern:\s*/, '') : String(e);
    return `invalid cron "${pattern}": ${why}; use ${CRON_HELP}`;
  }
  // "0 0 31 2 *" parses but never fires; a schedule that can never run is a mistake.
  if (c.nextRun(new Date(0)) === null) return `cron "${pattern}" never matches a date`;
  return null;
}

/** Named zones only (Europe/Berlin, UTC): offsets like +01:00 ignore daylight saving time. */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/** The reason a time zone is unusable, or null when it is a known IANA name. */
export function timezoneProblem(timezone: string): string | null {
  const bad = `unknown time zone "${timezone}"; use an IANA name such as Europe/Berlin or UTC`;
  if (!ZONE_NAME.test(timezone)) return bad;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    matcher('* * * * *', timezone).nextRun(new Date(0));
  } catch {
    return bad;
  }
  return null;
}

/** Throw a ScheduleSpecError when the pattern or the zone is unusable. */
export function assertScheduleSpec(cron: string, timezone: string): void {
  const cronWhy = cronProblem(cron);
  if (cronWhy) throw new ScheduleSpecError('cron', cronWhy);
  const tzWhy = timezoneProblem(timezone);
  if (tzWhy) throw new ScheduleSpecError('timezone', tzWhy);
}

/** The first `count` fire times strictly after `after`, oldest first. */
export function nextFireTimes(cron: string, timezone: string, after: Date, count: number): Date[] {
  return matcher(cron.trim(), timezone).nextRuns(count, after);
}

/** The first fire time strictly after `after`, or null when there is none. */
export function nextFireTime(cron: string, timezone: string, after: Date): Date | null {
  return matcher(cron.trim(), timezone).nextRun(after);
}

/**
 * The fire time a scheduler should claim at `now`: the LATEST occurrence in (since, now], or
 * null when none is due. Collapsing every missed occurrence into the latest one is the catch-up
 * policy: after downtime a schedule fires once, never a burst.
 */
export function dueFireTime(cron: string, timezone: string, since: Date, now: Date): Date | null {
  const c = matcher(cron.trim(), timezone);
  const first = c.nextRun(since);
  if (first === null || first.getTime() > now.getTime()) return null;
  // croner's previousRuns excludes an occurrence exactly at the reference; 1 ms later includes it.
  const latest = c.previousRuns(1, new Date(now.getTime() + 1))[0];
  return latest && latest.getTime() >= first.getTime() ? latest : first;
}
