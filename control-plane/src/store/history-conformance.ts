import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HistoryStore, NewJob } from './history.js';
import type { DeploymentRecord, JobRecord, ServiceState } from './records.js';

export interface HistoryFixture {
  history: HistoryStore;
  /** Closes and deletes what the fixture made. */
  dispose(): Promise<void>;
  /** Closes and opens the same data again, when the backend persists; undefined otherwise. */
  reopen?: () => Promise<HistoryStore>;
}

let counter = 0;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function job(serviceId: string, overrides: Partial<JobRecord> = {}): JobRecord {
  counter += 1;
  return {
    id: `job_${String(counter).padStart(6, '0')}`,
    serviceId,
    kind: 'deploy',
    status: 'queued',
    createdAt: at(counter),
    serverId: 'srv1',
    service: {
      id: serviceId,
      name: serviceId,
      source: { type: 'image', image: 'reg.test/app:v1' },
      ports: [],
      env: {},
      healthcheck: { type: 'running', seconds: 1 },
    },
    deadlineAt: at(counter + 3600),
    ...overrides,
  };
}

/** A deploy job and its deployment, numbered from the state as the queue does. */
function deployOf(serviceId: string, overrides: Partial<JobRecord> = {}) {
  return (state: Readonly<ServiceState>): NewJob => {
    const j = job(serviceId, overrides);
    const deployment: DeploymentRecord = {
      id: `dep_${j.id}`,
      serviceId,
      number: state.lastDeploymentNumber + 1,
      status: 'queued',
      cache: 'use-existing',
      trigger: 'deploy',
      source: { type: 'image', image: 'reg.test/app:v1' },
      createdAt: j.createdAt,
      jobId: j.id,
    };
    return { job: { ...j, deploymentId: deployment.id }, deployment };
  };
}

async function finish(history: HistoryStore, jobId: string, status: JobRecord['status']) {
  await history.updateJob(jobId, (u) => {
    u.job.status = status;
    u.job.finishedAt = at(100_000 + counter++);
    if (u.deployment) {
      u.deployment.status = status === 'running' ? 'building' : (status as 'succeeded');
      u.deployment.finishedAt = u.job.finishedAt;
    }
    if (status === 'succeeded' && u.deployment) u.service.currentDeploymentId = u.deployment.id;
  });
}

/**
 * The behaviour every HistoryStore must have. A backend passes when this suite passes against
 * it; the queue and the HTTP code rely on nothing else.
 */
export function describeHistoryStore(
  name: string,
  open: () => Promise<HistoryFixture>,
  options: { persistent: boolean },
): void {
  describe(`HistoryStore conformance: ${name}`, () => {
    let fixture: HistoryFixture;
    let history: HistoryStore;
    beforeEach(async () => {
      fixture = await open();
      history = fixture.history;
    });
    afterEach(async () => {
      await fixture.dispose();
    });

    it('numbers deployments per service and pages them newest first with a before cursor', async () => {
      for (let i = 0; i < 7; i += 1) await history.enqueue('svcA', deployOf('svcA'));
      await history.enqueue('svcB', deployOf('svcB'));
      const first = await history.deployments('svcA', { limit: 3 });
      expect(first.map((d) => d.number)).toEqual([7, 6, 5]);
      const next = await history.deployments('svcA', { limit: 3, beforeNumber: 5 });
      expect(next.map((d) => d.number)).toEqual([4, 3, 2]);
      const last = await history.deployments('svcA', { limit: 3, beforeNumber: 2 });
      expect(last.map((d) => d.number)).toEqual([1]);
      expect(await history.hasDeploymentsBefore('svcA', 2)).toBe(true);
      expect(await history.hasDeploymentsBefore('svcA', 1)).toBe(false);
      expect((await history.deployments('svcB', { limit: 10 })).map((d) => d.number)).toEqual([1]);
      expect(await history.deployments('nobody', { limit: 10 })).toEqual([]);
    });

    it('gives concurrent enqueues on one service distinct, gapless numbers', async () => {
      await Promise.all(
        Array.from({ length: 40 }, () => history.enqueue('svcA', deployOf('svcA'))),
      );
      const all = await history.deployments('svcA', { limit: 100 });
      expect(all.map((d) => d.number).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 40 }, (_, i) => i + 1),
      );
      expect((await history.serviceState('svcA')).lastDeploymentNumber).toBe(40);
    });

    it('writes nothing when a build refuses', async () => {
      await expect(
        history.enqueue('svcA', () => {
          throw new Error('refused');
        }),
      ).rejects.toThrow('refused');
      expect(await history.activeJobs()).toEqual([]);
      expect(await history.deployments('svcA', { limit: 10 })).toEqual([]);
    });

    it('finds jobs and deployments by id, as copies', async () => {
      const { job: j, deployment } = await history.enqueue('svcA', deployOf('svcA'));
      const read = await history.job(j.id);
      expect(read).toEqual(j);
      read!.status = 'failed';
      expect((await history.job(j.id))?.status).toBe('queued');
      expect(await history.deployment(deployment!.id)).toEqual(deployment);
      expect(await history.job('job_missing')).toBeUndefined();
      expect(await history.deployment('dep_missing')).toBeUndefined();
    });

    it('changes a job, its deployment and its service together, or not at all', async () => {
      const { job: j } = await history.enqueue('svcA', deployOf('svcA'));
      const result = await history.updateJob(j.id, (u) => {
        u.job.status = 'running';
        u.deployment!.status = 'building';
        u.service.status = 'deploying';
        return 'changed';
      });
      expect(result).toBe('changed');
      expect((await history.job(j.id))?.status).toBe('running');
      expect((await history.deployment(j.deploymentId!))?.status).toBe('building');
      expect((await history.serviceState('svcA')).status).toBe('deploying');

      await expect(
        history.updateJob(j.id, (u) => {
          u.job.status = 'failed';
          u.service.status = 'failed';
          throw new Error('changed its mind');
        }),
      ).rejects.toThrow('changed its mind');
      expect((await history.job(j.id))?.status).toBe('running');
      expect((await history.serviceState('svcA')).status).toBe('deploying');
      expect(await history.updateJob('job_missing', () => 'x')).toBeUndefined();
    });

    it('lists queued and running jobs oldest first, per server, and drops finished ones', async () => {
      const a = await history.enqueue('svcA', deployOf('svcA'));
      const b = await history.enqueue('svcB', () => ({ job: job('svcB', { serverId: 'srv2' }) }));
      const c = await history.enqueue('svcC', () => ({ job: job('svcC', { kind: 'stop' }) }));
      expect((await history.activeJobs()).map((j) => j.id)).toEqual([a.job.id, b.job.id, c.job.id]);
      expect((await history.activeJobs('srv2')).map((j) => j.id)).toEqual([b.job.id]);
      await finish(history, a.job.id, 'succeeded');
      expect((await history.activeJobs()).map((j) => j.id)).toEqual([b.job.id, c.job.id]);
    });

    it('keeps jobs queued in the same millisecond in the order they were queued', async () => {
      const ids = ['job_zz', 'job_mm', 'job_aa', 'job_yy'];
      for (const id of ids) {
        await history.enqueue('svcA', () => ({ job: job('svcA', { id, createdAt: at(0) }) }));
      }
      expect((await history.activeJobs()).map((j) => j.id)).toEqual(ids);
    });

    it('keeps service state, and tells which services changed and which are busy', async () => {
      expect(await history.serviceState('svcA')).toEqual({
        status: 'never-deployed',
        primaryAction: 'deploy',
        currentDeploymentId: null,
        lastDeploymentNumber: 0,
      });
      const { job: j } = await history.enqueue('svcA', deployOf('svcA'));
      await history.updateJob(j.id, (u) => {
        u.job.status = 'running';
      });
      const seen: Record<string, boolean> = {};
      const changed = await history.updateServices(['svcA', 'svcB'], (id, state, busy) => {
        seen[id] = busy;
        if (id === 'svcB') state.status = 'stopped';
      });
      expect(seen).toEqual({ svcA: true, svcB: false });
      expect(changed).toEqual(['svcB']);
      const states = await history.serviceStates(['svcA', 'svcB']);
      expect(states.get('svcB')?.status).toBe('stopped');
    });

    it('keeps the images each server reported', async () => {
      expect(await history.keptImages('srv1')).toBeUndefined();
      await history.setKeptImages('srv1', { imageIds: ['sha256:a'], reportedAt: at(1) });
      expect(await history.keptImages('srv1')).toEqual({
        imageIds: ['sha256:a'],
        reportedAt: at(1),
      });
    });

    it('prunes the oldest finished deployments beyond keep, never the current or a running one', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 6; i += 1)
        ids.push((await history.enqueue('svcA', deployOf('svcA'))).job.id);
      const restart = await history.enqueue('svcA', () => ({
        job: job('svcA', { kind: 'restart' }),
      }));
      await finish(history, restart.job.id, 'succeeded');
      await finish(history, ids[0]!, 'succeeded'); // #1 becomes the current release
      await history.updateJob(ids[1]!, (u) => void (u.job.status = 'running')); // #2 still runs
      for (const id of ids.slice(2)) await finish(history, id, 'failed');
      for (let i = 0; i < 2; i += 1) {
        const late = await history.enqueue('svcA', deployOf('svcA'));
        await finish(history, late.job.id, 'failed');
      }
      // #1..#8; keep 3 → #8, #7, #6 kept, #1 (current) and #2 (running) survive too.
      const pruned = await history.pruneService('svcA', 3, 100);
      expect(pruned).toMatchObject({ deployments: 3, more: false });
      const left = await history.deployments('svcA', { limit: 100 });
      expect(left.map((d) => d.number)).toEqual([8, 7, 6, 2, 1]);
      expect(pruned.jobIds).toHaveLength(3);
      for (const id of pruned.jobIds) expect(await history.job(id)).toBeUndefined();
      // The restart is newer than #1, the oldest deployment kept, so it stays.
      expect(await history.job(restart.job.id)).toBeDefined();
      const next = await history.enqueue('svcA', deployOf('svcA'));
      expect(next.deployment?.number).toBe(9);
    });

    it('prunes in batches, saying when there is more', async () => {
      for (let i = 0; i < 7; i += 1) {
        const { job: j } = await history.enqueue('svcA', deployOf('svcA'));
        await finish(history, j.id, 'failed');
      }
      const first = await history.pruneService('svcA', 2, 3);
      expect(first).toMatchObject({ deployments: 3, more: true });
      const second = await history.pruneService('svcA', 2, 3);
      expect(second).toMatchObject({ deployments: 2, more: false });
      const left = await history.deployments('svcA', { limit: 10 });
      expect(left.map((d) => d.number)).toEqual([7, 6]);
    });

    it('finds finished jobs by age for log retention, once', async () => {
      const a = await history.enqueue('svcA', deployOf('svcA'));
      const b = await history.enqueue('svcA', deployOf('svcA'));
      await finish(history, a.job.id, 'succeeded');
      await finish(history, b.job.id, 'failed');
      const b2 = await history.job(b.job.id);
      const due = await history.jobsWithLogsFinishedBefore(b2!.finishedAt!, 10);
      expect(due).toEqual([a.job.id]);
      await history.markLogsExpired(due);
      expect(await history.jobsWithLogsFinishedBefore(at(10_000_000), 10)).toEqual([b.job.id]);
      expect((await history.deployment(a.deployment!.id))?.logsExpired).toBe(true);
    });

    it('imports a legacy history twice with the same result', async () => {
      const d = deployOf('svcL')({ ...(await history.serviceState('svcL')) });
      const legacy = {
        deployments: [{ ...d.deployment!, status: 'succeeded' as const }],
        jobs: [{ ...d.job, status: 'succeeded' as const, finishedAt: at(5) }],
        services: [
          {
            serviceId: 'svcL',
            status: 'running' as const,
            primaryAction: 'redeploy' as const,
            currentDeploymentId: d.deployment!.id,
            lastDeploymentNumber: 1,
          },
        ],
        keptImages: { srv1: { imageIds: ['sha256:x'], reportedAt: at(6) } },
      };
      await history.importLegacy(legacy);
      await history.importLegacy(legacy);
      expect(await history.deployments('svcL', { limit: 10 })).toEqual(legacy.deployments);
      expect(await history.job(d.job.id)).toEqual(legacy.jobs[0]);
      expect((await history.serviceState('svcL')).currentDeploymentId).toBe(d.deployment!.id);
      expect(await history.activeJobs()).toEqual([]);
      expect((await history.enqueue('svcL', deployOf('svcL'))).deployment?.number).toBe(2);
    });

    if (!options.persistent) return;
    it('keeps everything across a reopen', async () => {
      const { job: j } = await history.enqueue('svcA', deployOf('svcA'));
      history = await fixture.reopen!();
      expect((await history.job(j.id))?.id).toBe(j.id);
      expect((await history.activeJobs()).map((x) => x.id)).toEqual([j.id]);
      expect((await history.serviceState('svcA')).lastDeploymentNumber).toBe(1);
    });
  });
}
