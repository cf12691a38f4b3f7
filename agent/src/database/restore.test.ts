import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { JobRestoreSpec } from '@berth/protocol';
import { FakeEngine } from '../testing/fake-engine.js';
import {
  FakeFiles,
  FakePostgres,
  databaseContext,
  databaseSpec,
  runningPostgres,
} from '../testing/fake-database.js';
import { runRestoreJob } from './database-jobs.js';

const OLD_DUMP = Buffer.from('PGDMP the backup to restore');

async function setup(overrides: Partial<JobRestoreSpec> = {}) {
  const engine = new FakeEngine();
  const pg = new FakePostgres();
  pg.dump = Buffer.from('PGDMP the data as it is now');
  engine.execHandler = pg.handle;
  engine.sessionHandler = pg.session;
  const files = new FakeFiles();
  files.stored.set('bk1', OLD_DUMP);
  const serviceContainer = await runningPostgres(engine);
  const restore: JobRestoreSpec = {
    backupId: 'bk1',
    number: 1,
    engine: 'postgres',
    sizeBytes: OLD_DUMP.length,
    sha256: createHash('sha256').update(OLD_DUMP).digest('hex'),
    counts: { 'public.notes': 3 },
    safetyBackup: { backupId: 'bk9', number: 9, verify: false },
    ...overrides,
  };
  const job = databaseContext(engine, databaseSpec({ kind: 'restore', restore }));
  const run = () => runRestoreJob(job.ctx, { files, send: job.send });
  return { engine, pg, files, serviceContainer, run, ...job };
}

describe('restore jobs', () => {
  it('takes the safety backup, then restores into the service as one transaction', async () => {
    const t = await setup();
    const outcome = await t.run();
    expect(outcome.status).toBe('succeeded');
    expect(outcome.result.backups).toHaveLength(1);
    expect(outcome.result.backups?.[0]).toMatchObject({ backupId: 'bk9', status: 'succeeded' });
    expect(t.files.stored.get('bk9')).toEqual(t.pg.dump);
    const [restore] = t.pg.restored;
    expect(restore?.containerId).toBe(t.serviceContainer);
    expect(restore?.stdin).toEqual(OLD_DUMP);
    expect(restore?.cmd).toEqual(
      expect.arrayContaining(['--clean', '--if-exists', '--single-transaction']),
    );
  });

  it('puts the safety backup back when the restored data fails its check, and says so', async () => {
    const t = await setup({ counts: { 'public.notes': 7 } });
    const outcome = await t.run();
    expect(outcome.status).toBe('failed');
    const error = outcome.status === 'failed' ? outcome.error : '';
    expect(error).toContain('public.notes: 7 in the dump, 3 restored');
    expect(error).toContain('the data from before the restore was put back from backup #9');
    expect(t.pg.restored.map((r) => r.stdin.toString())).toEqual([
      OLD_DUMP.toString(),
      t.pg.dump.toString(),
    ]);
    expect(outcome.result.backups?.[0]?.backupId).toBe('bk9');
  });

  it('restores nothing when the safety backup fails', async () => {
    const t = await setup();
    t.pg.dumpExit = 1;
    const outcome = await t.run();
    expect(outcome.status === 'failed' && outcome.error).toContain(
      'the safety backup failed, so nothing was restored',
    );
    expect(t.pg.restored).toHaveLength(0);
  });

  it('refuses a backup of another engine before touching anything', async () => {
    const t = await setup({ engine: 'mariadb' });
    await expect(t.run()).rejects.toThrow('a mariadb backup and this service runs postgres');
    expect(t.engine.execCalls).toHaveLength(0);
  });

  it('refuses when the disk holds less than twice the backup', async () => {
    const t = await setup({ sizeBytes: Number.MAX_SAFE_INTEGER / 4 });
    t.engine.dataRootPath = '/';
    await expect(t.run()).rejects.toThrow(/not enough free disk: .* free on \//);
  });

  it('goes on when the free disk cannot be read, and says so', async () => {
    const t = await setup();
    t.engine.dataRootPath = '/no/such/docker/root';
    expect((await t.run()).status).toBe('succeeded');
    expect(t.lines.some((l) => l.startsWith('Could not read the free disk'))).toBe(true);
  });

  it('without a safety backup, a failed restore is only reported', async () => {
    const t = await setup({ safetyBackup: undefined });
    t.pg.restoreExit = 1;
    const outcome = await t.run();
    expect(outcome.status === 'failed' && outcome.error).toContain(
      'pg_restore exited with status 1',
    );
    expect(outcome.result.backups).toEqual([]);
    expect(t.pg.restored).toHaveLength(1);
  });

  it('rejects a download that is not the stored backup', async () => {
    const t = await setup({ sha256: 'f'.repeat(64) });
    const outcome = await t.run();
    expect(outcome.status === 'failed' && outcome.error).toContain(
      'the downloaded backup is not the one stored',
    );
  });

  it('leaves tables made after the backup alone, and says so', async () => {
    const t = await setup();
    t.pg.counts.set(t.serviceContainer, 'public.notes\t3\npublic.later\t5\n');
    expect((await t.run()).status).toBe('succeeded');
    expect(t.lines).toContain('Tables the backup does not hold are left as they are: public.later');
  });
});
