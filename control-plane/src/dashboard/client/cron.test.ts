import { describe, expect, it } from 'vitest';
import { cronIntervalMs, nextRuns, parseCron } from './cron.js';

const HOUR = 3_600_000;
const at = (text: string) => new Date(text).getTime();

describe('cronIntervalMs', () => {
  it('is a day for a daily schedule', () => {
    expect(cronIntervalMs('0 3 * * *', at('2026-03-10T12:00:00'))).toBe(24 * HOUR);
  });

  it('follows steps and lists', () => {
    expect(cronIntervalMs('*/15 * * * *', at('2026-03-10T12:01:00'))).toBe(15 * 60_000);
    expect(cronIntervalMs('0 */6 * * *', at('2026-03-10T12:30:00'))).toBe(6 * HOUR);
    expect(cronIntervalMs('0 1,13 * * *', at('2026-03-10T02:00:00'))).toBe(12 * HOUR);
  });

  it('is a week for a weekly schedule, by number or name', () => {
    expect(cronIntervalMs('30 2 * * 0', at('2026-03-10T00:00:00'))).toBe(7 * 24 * HOUR);
    expect(cronIntervalMs('30 2 * * SUN', at('2026-03-10T00:00:00'))).toBe(7 * 24 * HOUR);
    expect(cronIntervalMs('30 2 * * 7', at('2026-03-10T00:00:00'))).toBe(7 * 24 * HOUR);
  });

  it('ignores a leading seconds field', () => {
    expect(cronIntervalMs('0 0 3 * * *', at('2026-03-10T12:00:00'))).toBe(24 * HOUR);
  });

  it('is null for what it cannot read', () => {
    expect(cronIntervalMs('not a cron')).toBeNull();
    expect(cronIntervalMs('61 * * * *')).toBeNull();
    expect(cronIntervalMs('0 0 31 2 *')).toBeNull();
  });
});

describe('nextRuns', () => {
  it('starts after the given time, on minute boundaries', () => {
    const from = at('2026-03-10T02:59:30');
    expect(nextRuns('0 3 * * *', from, 2)).toEqual([
      at('2026-03-11T03:00:00') - 24 * HOUR,
      at('2026-03-11T03:00:00'),
    ]);
  });

  it('matches either day field when both are restricted, as cron does', () => {
    const schedule = parseCron('0 0 1 * MON');
    expect(schedule.matches(new Date('2026-03-01T00:00:00'))).toBe(true); // a Sunday, the 1st
    expect(schedule.matches(new Date('2026-03-02T00:00:00'))).toBe(true); // a Monday
    expect(schedule.matches(new Date('2026-03-03T00:00:00'))).toBe(false);
  });
});
