import { describe, expect, it } from 'vitest';
import type { BackupRecord } from '../store/records.js';
import { backupsToRemove } from './backup-upkeep.js';

function backup(number: number, status: BackupRecord['status'], verified = true): BackupRecord {
  return {
    id: `bak_${number}`,
    serviceId: 'svc',
    number,
    status,
    trigger: 'schedule',
    engine: 'postgres',
    format: 'pg_dump-custom',
    createdAt: '2026-01-01T00:00:00.000Z',
    jobId: `job_${number}`,
    serverId: 'srv',
    verify: true,
    ...(verified && status === 'succeeded' ? { verifiedAt: '2026-01-01T00:00:01.000Z' } : {}),
  };
}

const numbers = (list: BackupRecord[]) => list.map((b) => b.number);

describe('backup retention', () => {
  it('removes succeeded backups beyond keep, oldest ones, leaving failed records alone', () => {
    const list = [5, 4, 3, 2, 1].map((n) => backup(n, n === 3 ? 'failed' : 'succeeded'));
    expect(numbers(backupsToRemove(list, 2))).toEqual([2, 1]);
  });

  it('waits until the newest backup is verified', () => {
    const list = [backup(4, 'succeeded', false), ...[3, 2, 1].map((n) => backup(n, 'succeeded'))];
    expect(backupsToRemove(list, 1)).toEqual([]);
  });

  it('never removes the last verified backup', () => {
    // Only #1 was ever verified (verification was off for the newer ones).
    const newer = [4, 3, 2].map((n) => ({ ...backup(n, 'succeeded', false), verify: false }));
    const list = [...newer, backup(1, 'succeeded')];
    expect(numbers(backupsToRemove(list, 1))).toEqual([3, 2]);
  });

  it('counts only succeeded backups: a running or failed one neither pushes older ones out nor goes', () => {
    const list = [backup(3, 'running'), backup(2, 'succeeded'), backup(1, 'succeeded')];
    expect(numbers(backupsToRemove(list, 1))).toEqual([1]);
    expect(numbers(backupsToRemove([backup(2, 'failed'), backup(1, 'succeeded')], 1))).toEqual([]);
  });
});
