import { describe, expect, it } from 'vitest';
import { verifiedBackupOverdue } from './backup-health.js';

const HOUR = 3_600_000;
const now = new Date('2026-03-10T12:00:00').getTime();
const hoursAgo = (hours: number) => new Date(now - hours * HOUR).toISOString();

describe('verifiedBackupOverdue', () => {
  it('warns once the last verified backup is older than twice a daily interval', () => {
    expect(verifiedBackupOverdue('0 3 * * *', hoursAgo(47), now)).toEqual({
      overdue: false,
      intervalMs: 24 * HOUR,
    });
    expect(verifiedBackupOverdue('0 3 * * *', hoursAgo(49), now)?.overdue).toBe(true);
  });

  it('uses the interval of the schedule, here six hours', () => {
    expect(verifiedBackupOverdue('0 */6 * * *', hoursAgo(13), now)?.overdue).toBe(true);
    expect(verifiedBackupOverdue('0 */6 * * *', hoursAgo(11), now)?.overdue).toBe(false);
  });

  it('says nothing without a schedule, and nothing is overdue before a first verified backup', () => {
    expect(verifiedBackupOverdue(null, hoursAgo(1000), now)).toBeNull();
    expect(verifiedBackupOverdue('0 3 * * *', undefined, now)?.overdue).toBe(false);
  });
});
