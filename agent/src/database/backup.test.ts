import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LABELS } from '../docker/engine.js';
import { FakeEngine } from '../testing/fake-engine.js';
import {
  FakeFiles,
  FakePostgres,
  PG_ENV,
  databaseContext,
  databaseSpec,
  runningPostgres,
} from '../testing/fake-database.js';
import { runBackupJob } from './database-jobs.js';

async function setup(options: { verify?: boolean } = {}) {
  const engine = new FakeEngine();
  const pg = new FakePostgres();
  engine.execHandler = pg.handle;
  engine.sessionHandler = pg.session;
  const files = new FakeFiles();
  const serviceContainer = await runningPostgres(engine);
  const spec = databaseSpec({
    backup: { backupId: 'bk1', number: 4, verify: options.verify ?? true },
  });
  const job = databaseContext(engine, spec);
  const run = () => runBackupJob(job.ctx, { files, send: job.send });
  return { engine, pg, files, serviceContainer, run, ...job };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('backup jobs', () => {
  it('streams the dump to the control plane, hashes it, and verifies it in a throwaway container', async () => {
    const t = await setup();
    const outcome = await t.run();
    expect(outcome.status).toBe('succeeded');
    const [backup] = outcome.result.backups ?? [];
    expect(backup).toMatchObject({
      backupId: 'bk1',
      status: 'succeeded',
      sha256: sha(t.pg.dump),
      sizeBytes: t.pg.dump.length,
      engineVersion: '15.20',
      counts: { 'public.notes': 3 },
    });
    expect(backup?.verifiedAt).toBeDefined();
    expect(t.files.stored.get('bk1')).toEqual(t.pg.dump);
    // Counted and dumped in one snapshot, whose transaction ended after the dump.
    expect(t.pg.dumpSnapshots).toEqual(['00000003-0000001B-1']);
    expect(t.pg.openSessions).toBe(0);
    // The restore went into another container, from the same image, which is gone now.
    const [restore] = t.pg.restored;
    expect(restore?.containerId).not.toBe(t.serviceContainer);
    expect(restore?.stdin).toEqual(t.pg.dump);
    expect(restore?.cmd).not.toContain('--clean');
    expect([...t.engine.containers.keys()]).toEqual([t.serviceContainer]);
    const phases = t.messages.flatMap((m) => (m.type === 'backup.progress' ? [m.phase] : []));
    expect(phases).toEqual(expect.arrayContaining(['dumping', 'uploading', 'verifying']));
  });

  it('passes the password only in the env of each command', async () => {
    const t = await setup();
    await t.run();
    expect(t.engine.execCalls.length).toBeGreaterThan(3);
    for (const call of t.engine.execCalls) {
      expect(call.cmd.join(' ')).not.toContain(PG_ENV.POSTGRES_PASSWORD);
      expect(call.env.PGPASSWORD).toBe(PG_ENV.POSTGRES_PASSWORD);
    }
    expect(t.lines.join('\n')).not.toContain(PG_ENV.POSTGRES_PASSWORD);
    expect(JSON.stringify(t.messages)).not.toContain(PG_ENV.POSTGRES_PASSWORD);
  });

  it('fails when the database is not running, saying how to fix it', async () => {
    const t = await setup();
    await t.engine.stopContainer(t.serviceContainer);
    await expect(t.run()).rejects.toThrow('the database is not running; deploy or start it first');
  });

  it('fails on the dump exit status, and the upload never ends as a whole file', async () => {
    const t = await setup();
    t.pg.dumpExit = 1;
    const outcome = await t.run();
    expect(outcome.status).toBe('failed');
    const error = outcome.status === 'failed' ? outcome.error : '';
    expect(error).toContain('pg_dump exited with status 1: pg_dump: error: lost');
    expect(t.files.stored.size).toBe(0);
    expect(t.files.bodyErrors).toHaveLength(1);
    expect(outcome.result.backups?.[0]?.status).toBe('failed');
  });

  it('dumps again when the upload breaks off, up to three attempts', async () => {
    const t = await setup({ verify: false });
    t.files.failUploads = 2;
    const outcome = await t.run();
    expect(outcome.status).toBe('succeeded');
    expect(t.files.uploads).toBe(3);
    expect(t.engine.execCalls.filter((c) => c.cmd[0] === 'pg_dump')).toHaveLength(3);
    expect(new Set(t.pg.dumpSnapshots)).toEqual(new Set(['00000003-0000001B-1']));
    expect(t.lines.filter((l) => l.startsWith('The upload failed'))).toHaveLength(2);
    expect(outcome.result.backups?.[0]).toMatchObject({
      verifySkipped: true,
      sha256: sha(t.pg.dump),
    });
  });

  it('gives up after the third broken upload', async () => {
    const t = await setup({ verify: false });
    t.files.failUploads = 3;
    const outcome = await t.run();
    expect(outcome.status).toBe('failed');
    expect(t.files.uploads).toBe(3);
    expect(outcome.status === 'failed' && outcome.error).toContain('socket hang up');
  });

  it('fails the backup when the restored copy holds other counts, naming the tables', async () => {
    const t = await setup();
    t.engine.createThrowawayContainer = async (spec) => {
      const id = await FakeEngine.prototype.createThrowawayContainer.call(t.engine, spec);
      t.pg.counts.set(id, 'public.notes\t2\npublic.extra\t1\n');
      return id;
    };
    const outcome = await t.run();
    expect(outcome.status).toBe('failed');
    const error = outcome.status === 'failed' ? outcome.error : '';
    expect(error).toContain('public.notes: 3 in the dump, 2 restored');
    expect(error).toContain('public.extra: not in the dump, 1 restored');
    expect([...t.engine.containers.keys()]).toEqual([t.serviceContainer]);
  });

  it('removes the throwaway container when its restore fails', async () => {
    const t = await setup();
    t.pg.restoreExit = 1;
    const outcome = await t.run();
    expect(outcome.status === 'failed' && outcome.error).toContain(
      'pg_restore exited with status 1',
    );
    expect([...t.engine.containers.keys()]).toEqual([t.serviceContainer]);
  });

  it('labels the throwaway container and gives it the credentials, not the service volume', async () => {
    const t = await setup();
    const specs: { labels: Record<string, string>; env: Record<string, string> }[] = [];
    t.engine.createThrowawayContainer = (spec) => {
      specs.push(spec);
      return FakeEngine.prototype.createThrowawayContainer.call(t.engine, spec);
    };
    await t.run();
    expect(specs[0]?.labels).toEqual({ [LABELS.throwaway]: 'bk1', [LABELS.service]: 'svc1' });
    expect(specs[0]?.env).toEqual(PG_ENV);
  });

  it('removes a throwaway container an interrupted verification left behind', async () => {
    const t = await setup({ verify: false });
    const imageId = [...t.engine.images.keys()][0] ?? '';
    const leftover = await t.engine.createThrowawayContainer({
      name: 'berth-verify-old',
      image: imageId,
      env: {},
      labels: { [LABELS.throwaway]: 'bk0', [LABELS.service]: 'svc1' },
    });
    await t.engine.startContainer(leftover);
    expect((await t.run()).status).toBe('succeeded');
    expect(t.engine.containers.has(leftover)).toBe(false);
    expect(t.engine.containers.has(t.serviceContainer)).toBe(true);
  });
});
