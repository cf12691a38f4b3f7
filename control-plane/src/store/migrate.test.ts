import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AtomicJsonFile } from './atomic-json-file.js';
import { LmdbHistory } from './lmdb-history.js';
import { LEGACY_BACKUP_SUFFIX, migrateLegacyData } from './migrate.js';
import type { Data } from './records.js';
import { openFileStore } from './store.js';

const service = (id: string, extra: Record<string, unknown>) => ({
  id,
  environmentId: 'env_1',
  name: id,
  source: { type: 'image', image: 'reg.test/app:v1' },
  ports: [],
  env: { SECRET: 'x' },
  healthcheck: { type: 'running', seconds: 3 },
  createdAt: '2026-01-01T00:00:00.000Z',
  ...extra,
});

const jobOf = (id: string, serviceId: string, extra: Record<string, unknown>) => ({
  id,
  serviceId,
  kind: 'deploy',
  createdAt: '2026-01-01T00:00:01.000Z',
  serverId: 'srv_1',
  service: {
    id: serviceId,
    name: serviceId,
    source: { type: 'image', image: 'reg.test/app:v1' },
    ports: [],
    env: {},
    healthcheck: { type: 'running', seconds: 3 },
  },
  deadlineAt: '2026-01-01T01:00:00.000Z',
  ...extra,
});

/** A db.json in the shape release 0.1.0 writes (no version; history and run state inside). */
const LEGACY = {
  servers: [],
  revokedServerIds: [],
  joinTokens: [],
  projects: [{ id: 'prj_1', name: 'shop', createdAt: '2026-01-01T00:00:00.000Z' }],
  environments: [
    {
      id: 'env_1',
      projectId: 'prj_1',
      name: 'prod',
      serverId: 'srv_1',
      createdAt: '2026-01-01T00:00:00.000Z',
    },
  ],
  services: [
    service('svc_web', {
      status: 'running',
      primaryAction: 'redeploy',
      currentDeploymentId: 'dep_1',
    }),
    service('svc_new', {
      status: 'never-deployed',
      primaryAction: 'deploy',
      currentDeploymentId: null,
    }),
  ],
  deployments: [1, 2].map((n) => ({
    id: `dep_${n}`,
    serviceId: 'svc_web',
    number: n,
    status: n === 1 ? 'succeeded' : 'building',
    cache: 'use-existing',
    trigger: n === 1 ? 'deploy' : 'redeploy',
    source: { type: 'image', image: 'reg.test/app:v1' },
    createdAt: `2026-01-01T00:0${n}:00.000Z`,
    jobId: `job_${n}`,
  })),
  jobs: [
    jobOf('job_1', 'svc_web', {
      status: 'succeeded',
      deploymentId: 'dep_1',
      finishedAt: '2026-01-01T00:01:30.000Z',
    }),
    jobOf('job_2', 'svc_web', {
      status: 'running',
      deploymentId: 'dep_2',
      startedAt: '2026-01-01T00:02:01.000Z',
      lost: true,
    }),
  ],
  keptImages: { srv_1: { imageIds: ['sha256:a'], reportedAt: '2026-01-01T00:03:00.000Z' } },
};

async function legacyDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-migrate-'));
  await writeFile(join(dir, 'db.json'), JSON.stringify(LEGACY, null, 2), { mode: 0o600 });
  return dir;
}

describe('migrating a 0.1.0 db.json', () => {
  it('moves the history out, keeps a copy of the old file, and serves the same records', async () => {
    const dir = await legacyDir();
    const original = await readFile(join(dir, 'db.json'), 'utf8');
    const messages: string[] = [];
    const store = await openFileStore(dir, { onMigrated: (m) => messages.push(m) });
    expect(messages[0]).toMatch(/2 deployment\(s\) and 2 job\(s\).*pre-0\.2\.bak/);
    const backup = join(dir, `db.json${LEGACY_BACKUP_SUFFIX}`);
    expect(await readFile(backup, 'utf8')).toBe(original);
    expect((await stat(backup)).mode & 0o777).toBe(0o600);

    const rewritten = JSON.parse(await readFile(join(dir, 'db.json'), 'utf8')) as Data & {
      deployments?: unknown;
    };
    expect(rewritten.version).toBe(2);
    expect(rewritten.deployments).toBeUndefined();
    expect(rewritten.services[0]).not.toHaveProperty('status');

    expect(await store.services.get('svc_web')).toMatchObject({
      status: 'running',
      primaryAction: 'redeploy',
      currentDeploymentId: 'dep_1',
    });
    expect((await store.services.get('svc_new'))?.status).toBe('never-deployed');
    const history = await store.history.deployments('svc_web', { limit: 10 });
    expect(history.map((d) => [d.number, d.status])).toEqual([
      [2, 'building'],
      [1, 'succeeded'],
    ]);
    // A deployment past `queued` was accepted by its agent; 0.1.0's `lost` flag is dropped.
    const running = await store.history.job('job_2');
    expect(running).toMatchObject({ status: 'running', acceptedAt: '2026-01-01T00:02:01.000Z' });
    expect(running).not.toHaveProperty('lost');
    expect(await store.history.keptImages('srv_1')).toEqual(LEGACY.keptImages.srv_1);
    expect((await store.history.activeJobs()).map((j) => j.id)).toEqual(['job_2']);
    await store.close();

    // A second start finds nothing to do.
    const again: string[] = [];
    const reopened = await openFileStore(dir, { onMigrated: (m) => again.push(m) });
    expect(again).toEqual([]);
    expect((await reopened.history.deployments('svc_web', { limit: 10 })).length).toBe(2);
    await reopened.close();
  });

  it('finishes after a crash midway, and the copy stays the original', async () => {
    const dir = await legacyDir();
    const path = join(dir, 'db.json');
    const original = await readFile(path, 'utf8');
    const history = new LmdbHistory(join(dir, 'history'));
    // The crash: the history is written, but db.json is never replaced.
    const failing = new AtomicJsonFile<Data>(path, {
      fs: { ...fsp, rename: () => Promise.reject(new Error('power lost')) },
    });
    await expect(migrateLegacyData({ path, file: failing, history })).rejects.toThrow('power lost');
    await history.close();
    expect(await readFile(path, 'utf8')).toBe(original);

    const store = await openFileStore(dir);
    expect(await readFile(`${path}${LEGACY_BACKUP_SUFFIX}`, 'utf8')).toBe(original);
    const list = await store.history.deployments('svc_web', { limit: 10 });
    expect(list.map((d) => d.id)).toEqual(['dep_2', 'dep_1']);
    expect((await store.history.serviceState('svc_web')).lastDeploymentNumber).toBe(2);
    await store.close();
  });

  it('refuses a file that is neither format, naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-migrate-'));
    await writeFile(join(dir, 'db.json'), JSON.stringify({ services: [{ id: 1 }] }));
    await expect(openFileStore(dir)).rejects.toThrow(/db\.json is neither a 0\.1\.0 nor/);
  });
});
