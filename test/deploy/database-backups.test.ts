// Backups of database services, end to end: real engines (PostgreSQL, MariaDB, Redis from
// Debian's packages), the real control plane and agent, the dump streamed to the control plane,
// verified in a throwaway container, restored into the service.
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backup } from '@berth/protocol';
import { api } from '../support/api.js';
import { runningContainerOf } from '../support/berth-docker.js';
import {
  DATA,
  getBackup,
  listBackups,
  query,
  readItems,
  waitForBackup,
} from '../support/databases.js';
import {
  createService,
  deployAndWait,
  postAction,
  startStage,
  stopStage,
  waitForJob,
  type Service,
  type Stage,
} from '../support/deploy-helpers.js';
import { dockerOrSkip } from '../support/docker.js';
import {
  engineImagesOrSkip,
  ensureEngineImages,
  type Engine,
  type EngineImages,
} from '../support/engine-images.js';
import { removeDatabaseArtifacts } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

const ready = dockerOrSkip() && engineImagesOrSkip();
const ENGINES: Engine[] = ['postgres', 'mariadb', 'redis'];
const LONG = 600_000;

describe.skipIf(!ready)('database backups', () => {
  let stage: Stage;
  let images: EngineImages;
  const services = new Map<Engine, Service>();

  beforeAll(async () => {
    images = await ensureEngineImages();
    stage = await startStage('db-backups');
  }, LONG);
  afterAll(async () => {
    await stopStage(stage);
    await removeDatabaseArtifacts(stage?.serviceIds ?? [], stage?.environmentId);
  });

  async function database(engine: Engine, name = `${engine}-db`): Promise<Service> {
    const service = await createService(stage, {
      name,
      source: { type: 'database', engine, image: images[engine] },
    });
    await deployAndWait(stage, service.id, { timeoutMs: 240_000 });
    return service;
  }

  async function backUp(serviceId: string): Promise<Backup> {
    const res = await postAction<{ backup: Backup; message: string }>(
      stage,
      `/services/${serviceId}/backups`,
    );
    expect(res.status).toBe(202);
    expect(res.body.message).toBe('Added to queue');
    return waitForBackup(stage, res.body.backup.id);
  }

  /** The backup's file in the control plane's data dir, and its sha256. */
  async function storedFile(backup: Backup): Promise<{ sha256: string; size: number }> {
    const dir = join(stage.cp.dataDir, 'backups', backup.serviceId);
    const names = (await readdir(dir)).filter((name) => name.startsWith(`${backup.id}.`));
    expect(names).toHaveLength(1);
    const bytes = await readFile(join(dir, names[0]!));
    return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
  }

  describe.each(ENGINES)('%s', (engine) => {
    it(
      'backs up and verifies the data, and a restore brings it back after a change',
      async () => {
        const service = await database(engine);
        services.set(engine, service);
        for (const statement of DATA[engine].seed) await query(engine, service, statement);
        expect(await readItems(engine, service)).toBe(DATA[engine].seeded);

        const backup = await backUp(service.id);
        expect(backup.status, backup.error).toBe('succeeded');
        expect(backup.verifiedAt).toBeDefined();
        expect(backup.engineVersion).toBeTruthy();
        const stored = await storedFile(backup);
        expect(stored.sha256).toBe(backup.sha256);
        expect(stored.size).toBe(backup.sizeBytes);
        const download = await fetch(`${stage.cp.url}/api/v1/backups/${backup.id}/download`, {
          headers: { authorization: `Bearer ${stage.cp.token}` },
        });
        const downloaded = Buffer.from(await download.arrayBuffer());
        expect(createHash('sha256').update(downloaded).digest('hex')).toBe(backup.sha256);

        for (const statement of DATA[engine].change) await query(engine, service, statement);
        expect(await readItems(engine, service)).toBe(DATA[engine].changed);

        const restore = await postAction<{ job: { id: string } }>(
          stage,
          `/backups/${backup.id}/restore`,
        );
        expect(restore.status).toBe(202);
        const job = await waitForJob(stage, restore.body.job.id, 300_000);
        expect(job.status, job.error).toBe('succeeded');
        expect(await readItems(engine, service)).toBe(DATA[engine].seeded);

        // The data replaced by the restore was backed up first.
        const safety = (await listBackups(stage, service.id)).find(
          (b) => b.safetyFor === restore.body.job.id,
        );
        expect(safety?.status).toBe('succeeded');
      },
      LONG,
    );
  });

  it(
    'a dump that fails (a wrong password, a stopped database) ends failed with the reason and leaves no file',
    async () => {
      const service = await database('postgres', 'broken-db');
      const rightPassword = service.env.POSTGRES_PASSWORD!;
      const wrong = await api(stage.cp, 'PATCH', `/api/v1/services/${service.id}`, {
        env: { ...service.env, POSTGRES_PASSWORD: 'not-the-password' },
      });
      expect(wrong.status).toBe(200);
      const failed = await backUp(service.id);
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(/password|authentication/i);
      expect(failed.error).not.toContain(rightPassword);
      const dir = join(stage.cp.dataDir, 'backups', service.id);
      expect(await readdir(dir).catch(() => [])).toEqual([]);

      await api(stage.cp, 'PATCH', `/api/v1/services/${service.id}`, { env: service.env });
      const stopped = await postAction<{ job: { id: string } }>(
        stage,
        `/services/${service.id}/stop`,
      );
      expect((await waitForJob(stage, stopped.body.job.id)).status).toBe('succeeded');
      const notRunning = await backUp(service.id);
      expect(notRunning.status).toBe('failed');
      expect(notRunning.error).toMatch(/not running/i);
      expect(await readdir(dir).catch(() => [])).toEqual([]);
    },
    LONG,
  );

  it(
    'scheduled backups run from their cron expression, and retention keeps `keep` of them',
    async () => {
      const service = services.get('redis') ?? (await database('redis', 'cron-db'));
      const before = (await listBackups(stage, service.id)).length;
      const every = await api(stage.cp, 'PATCH', `/api/v1/services/${service.id}`, {
        backup: { schedule: '*/4 * * * * *', keep: 2, verify: true },
      });
      expect(every.status).toBe(200);
      await waitFor(
        'three scheduled backups to succeed',
        async () => {
          const list = await listBackups(stage, service.id);
          const scheduled = list.filter((b) => b.trigger === 'schedule');
          // Retention removes the oldest, so count the numbers handed out, not the rows.
          const newest = Math.max(0, ...scheduled.map((b) => b.number));
          return newest >= before + 3 && scheduled[0]?.status === 'succeeded' ? list : null;
        },
        { timeoutMs: 180_000, intervalMs: 500 },
      );
      await api(stage.cp, 'PATCH', `/api/v1/services/${service.id}`, {
        backup: { schedule: null, keep: 2, verify: true },
      });
      // A backup queued before the schedule stopped may still finish: wait for a quiet list.
      const list = await waitFor(
        'the last scheduled backup to end',
        async () => {
          const all = await listBackups(stage, service.id);
          return all.every((b) => !['queued', 'running', 'verifying'].includes(b.status))
            ? all
            : null;
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );
      const succeeded = list.filter((b) => b.status === 'succeeded');
      expect(succeeded.length).toBe(2);
      expect(succeeded.every((b) => b.verifiedAt)).toBe(true);
      expect(succeeded.some((b) => b.trigger === 'schedule')).toBe(true);
      // Removed backups lose their files too.
      const files = await readdir(join(stage.cp.dataDir, 'backups', service.id));
      expect(files.sort()).toEqual(
        succeeded.map((b) => files.find((f) => f.startsWith(`${b.id}.`))).sort(),
      );
      expect((await getBackup(stage, succeeded[0]!.id)).status).toBe('succeeded');
    },
    LONG,
  );

  it('no password appears in any log, exec record, process, metrics or status output', async () => {
    const passwords = [...services.values()].flatMap((s) =>
      Object.entries(s.env)
        .filter(([name]) => name.includes('PASSWORD'))
        .map(([, value]) => value),
    );
    expect(passwords.length).toBeGreaterThanOrEqual(3);
    const { execRecordsOf } = await import('../support/databases.js');
    const places: [string, string][] = [
      ['control plane output', stage.cp.process.output],
      ['agent output', stage.agent.process.output],
      ['control plane metrics', await (await fetch(`${stage.cp.url}/metrics`)).text()],
      ['agent metrics', await (await fetch(`${stage.agent.statusUrl}/metrics`)).text()],
      ['agent status', await (await fetch(`${stage.agent.statusUrl}/status`)).text()],
    ];
    for (const file of await readdir(join(stage.cp.dataDir, 'logs'), { recursive: true })) {
      const path = join(stage.cp.dataDir, 'logs', String(file));
      const text = await readFile(path, 'utf8').catch(() => '');
      places.push([`job log ${file}`, text]);
    }
    for (const file of await readdir(stage.agent.stateDir, { recursive: true })) {
      const text = await readFile(join(stage.agent.stateDir, String(file)), 'utf8').catch(() => '');
      places.push([`agent state ${file}`, text]);
    }
    for (const service of services.values()) {
      const container = await runningContainerOf(service.id);
      for (const record of await execRecordsOf(container.id)) places.push(['exec record', record]);
    }
    for (const pid of await readdir('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      places.push([`/proc/${pid}/cmdline`, cmdline]);
    }
    for (const password of passwords) {
      for (const [where, text] of places) {
        expect(text.includes(password), `a password appears in ${where}`).toBe(false);
      }
    }
  });
});
