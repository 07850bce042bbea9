import { describe, expect, it } from 'vitest';
import {
  assertScheduleSpec,
  cronProblem,
  dueFireTime,
  nextFireTimes,
  ScheduleSpecError,
  timezoneProblem,
} from '../../src/engine/schedule-cron.ts';

const at = (iso: string): Date => new Date(iso);

describe('cron patterns and time zones', () => {
  it('accepts five-field patterns and nicknames', () => {
    expect(cronProblem('0 6 * * 1-5')).toBeNull();
    expect(cronProblem('*/15 * * * *')).toBeNull();
    expect(cronProblem('@daily')).toBeNull();
  });

  it('refuses bad patterns with a reason', () => {
    expect(cronProblem('61 * * * *')).toMatch(/invalid cron "61 \* \* \* \*".*minute/);
    expect(cronProblem('not a cron')).toMatch(/invalid cron/);
    expect(cronProblem('0 6 * * 1-5 *')).toMatch(/5 parts/);
    expect(cronProblem('')).toMatch(/empty/);
    expect(cronProblem('0 0 31 2 *')).toMatch(/never matches/);
  });

  it('accepts IANA zones and refuses the rest', () => {
    expect(timezoneProblem('Europe/Berlin')).toBeNull();
    expect(timezoneProblem('UTC')).toBeNull();
    expect(timezoneProblem('America/Argentina/Buenos_Aires')).toBeNull();
    expect(timezoneProblem('Mars/Olympus_Mons')).toMatch(/unknown time zone/);
    expect(timezoneProblem('+01:00')).toMatch(/IANA/);
    expect(() => assertScheduleSpec('0 6 * * *', 'Nowhere/Land')).toThrow(ScheduleSpecError);
  });
});

describe('fire times', () => {
  it('reads the pattern in its zone across daylight saving time', () => {
    expect(nextFireTimes('0 9 * * *', 'Europe/Berlin', at('2025-01-15T00:00:00Z'), 1)).toEqual([
      at('2025-01-15T08:00:00Z'),
    ]);
    expect(nextFireTimes('0 9 * * *', 'Europe/Berlin', at('2025-07-15T00:00:00Z'), 1)).toEqual([
      at('2025-07-15T07:00:00Z'),
    ]);
  });

  it('lists the next runs strictly after the instant, weekdays only for 1-5', () => {
    // 2025-01-17 is a Friday: the next three are Fri, Mon, Tue.
    const runs = nextFireTimes('0 6 * * 1-5', 'UTC', at('2025-01-17T05:00:00Z'), 3);
    expect(runs.map((d) => d.toISOString())).toEqual([
      '2025-01-17T06:00:00.000Z',
      '2025-01-20T06:00:00.000Z',
      '2025-01-21T06:00:00.000Z',
    ]);
    expect(nextFireTimes('0 6 * * *', 'UTC', at('2025-01-17T06:00:00Z'), 1)).toEqual([
      at('2025-01-18T06:00:00Z'),
    ]);
  });

  it('is due exactly at the fire time, not before', () => {
    const since = at('2025-01-15T00:00:00Z');
    expect(dueFireTime('0 6 * * *', 'UTC', since, at('2025-01-15T05:59:59.999Z'))).toBeNull();
    expect(dueFireTime('0 6 * * *', 'UTC', since, at('2025-01-15T06:00:00Z'))).toEqual(
      at('2025-01-15T06:00:00Z'),
    );
  });

  it('collapses missed occurrences into the latest one', () => {
    const since = at('2025-01-10T07:00:00Z');
    expect(dueFireTime('0 6 * * *', 'UTC', since, at('2025-01-15T09:30:00Z'))).toEqual(
      at('2025-01-15T06:00:00Z'),
    );
    // Once claimed, nothing is due until the next occurrence.
    expect(
      dueFireTime('0 6 * * *', 'UTC', at('2025-01-15T06:00:00Z'), at('2025-01-15T09:30:00Z')),
    ).toBeNull();
  });
});
