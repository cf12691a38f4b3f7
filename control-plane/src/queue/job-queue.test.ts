import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ControlPlaneMessage } from '@berth/protocol';
import { silentLogger } from '../log.js';
import { LogFiles } from '../store/log-files.js';
import { openMemoryStore, type Store } from '../store/store.js';
import { fakeClock } from '../testing/fake-clock.js';
import { JobQueue } from './job-queue.js';
import { QueueEvents } from './queue-events.js';

async function setup(options: { maxParallel?: number } = {}) {
  const clock = fakeClock();
  const store = await openMemoryStore({ now: clock.now });
  const sent: { serverId: string; message: ControlPlaneMessage }[] = [];
  const connected = new Set<string>(['srv1']);
  const logs = new LogFiles(await mkdtemp(join(tmpdir(), 'berth-queue-')));
  await logs.init();
  const queue = new JobQueue({
    store,
    sessions: {
      isConnected: (id) => connected.has(id),
      send: (serverId, message) => {
        if (!connected.has(serverId)) return false;
        sent.push({ serverId, message });
        return true;
      },
    },
    now: clock.now,
    log: silentLogger,
    logs,
    events: new QueueEvents(),
    maxParallelPerServer: options.maxParallel ?? 2,
    deployDeadlineMs: 30 * 60_000,
    controlDeadlineMs: 5 * 60_000,
    queueTimeoutMs: 60 * 60_000,
  });
  await store.db.mutate((data) => {
    data.servers.push({
      id: 'srv1',
      name: 'one',
      status: 'online',
      lastSeenAt: null,
      agentVersion: '0.1.0',
      docker: null,
      publicKey: 'x',
      createdAt: new Date(clock.now()).toISOString(),
    });
  });
  const project = await store.projects.create({ name: 'p' });
  const env = await store.environments.create({
    projectId: project.id,
    name: 'e',
    serverId: 'srv1',
  });
  const service = (name: string) =>
    store.services.create(env.id, {
      name,
      source: { type: 'image', image: 'reg.test/app:v1' },
      ports: [],
      env: {},
      healthcheck: { type: 'running', seconds: 1 },
    });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
  const assigned = () =>
    sent.flatMap((s) => (s.message.type === 'job.assign' ? [s.message.job.jobId] : []));
  return { clock, store, queue, sent, connected, service, settle, assigned };
}

function jobStatus(store: Store, id: string) {
  return store.db.data.jobs.find((j) => j.id === id)?.status;
}

describe('JobQueue', () => {
  it('runs one job per service at a time, in order, and different services in parallel', async () => {
    const t = await setup();
    const a = await t.service('a');
    const b = await t.service('b');
    const a1 = await t.queue.deploy(a.id, 'use-existing');
    const a2 = await t.queue.deploy(a.id, 'none');
    const b1 = await t.queue.stop(b.id);
    await t.settle();
    expect(t.assigned()).toEqual([a1.job.id, b1.job.id]);
    expect(a2.deployment?.number).toBe(2);
    expect(a2.deployment?.trigger).toBe('deploy');

    await t.queue.handleMessage('srv1', {
      type: 'job.finished',
      jobId: a1.job.id,
      status: 'succeeded',
      result: { imageId: 'sha256:1' },
      lastSeq: 0,
    });
    await t.settle();
    expect(t.assigned()).toEqual([a1.job.id, b1.job.id, a2.job.id]);
    expect(t.store.services.get(a.id)).toMatchObject({
      primaryAction: 'redeploy',
      currentDeploymentId: a1.deployment!.id,
    });
    expect(t.sent.some((s) => s.message.type === 'job.ack')).toBe(true);
  });

  it('limits parallel jobs per server and waits while the server is offline', async () => {
    const t = await setup({ maxParallel: 1 });
    t.connected.clear();
    const a = await t.service('a');
    const b = await t.service('b');
    const ja = await t.queue.stop(a.id);
    const jb = await t.queue.stop(b.id);
    await t.settle();
    expect(t.assigned()).toEqual([]);
    t.connected.add('srv1');
    await t.queue.handleSessionOpen('srv1', []);
    await t.settle();
    expect(t.assigned()).toEqual([ja.job.id]);
    expect(jobStatus(t.store, jb.job.id)).toBe('queued');
  });

  it('refuses a restart before any successful deployment', async () => {
    const t = await setup();
    const a = await t.service('a');
    await expect(t.queue.restart(a.id)).rejects.toMatchObject({
      code: 'NO_DEPLOYMENT',
      status: 409,
    });
  });

  it('cancels a queued job at once and never sends it', async () => {
    const t = await setup();
    const a = await t.service('a');
    const first = await t.queue.deploy(a.id, 'use-existing');
    const second = await t.queue.deploy(a.id, 'use-existing');
    await t.settle();
    const cancelled = await t.queue.cancelDeployment(second.deployment!.id);
    expect(cancelled.status).toBe('cancelled');
    await t.queue.handleMessage('srv1', {
      type: 'job.finished',
      jobId: first.job.id,
      status: 'succeeded',
      result: {},
      lastSeq: 0,
    });
    await t.settle();
    expect(t.assigned()).toEqual([first.job.id]);
    await expect(t.queue.cancelDeployment(second.deployment!.id)).rejects.toMatchObject({
      status: 409,
    });
  });

  it('requeues a job the agent never received, and fails one whose agent is lost', async () => {
    const t = await setup();
    const a = await t.service('a');
    const job = await t.queue.deploy(a.id, 'use-existing');
    await t.settle();
    expect(jobStatus(t.store, job.job.id)).toBe('running');
    expect(t.store.services.get(a.id)?.status).toBe('deploying');
    // the agent reconnects without the job: it never got it; while offline it waits as if never started
    t.connected.clear();
    await t.queue.handleSessionOpen('srv1', []);
    expect(jobStatus(t.store, job.job.id)).toBe('queued');
    expect(t.store.db.data.deployments[0]?.startedAt).toBeUndefined();
    expect(t.store.services.get(a.id)?.status).toBe('never-deployed');
    t.connected.add('srv1');
    await t.queue.handleSessionOpen('srv1', []);
    await t.settle();
    expect(t.assigned()).toEqual([job.job.id, job.job.id]);

    t.connected.clear();
    await t.store.db.mutate((data) => {
      data.servers[0]!.status = 'offline';
    });
    await t.queue.expire(30_000);
    expect(t.store.db.data.jobs[0]).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/agent lost/),
    });
    expect(t.store.db.data.deployments[0]?.status).toBe('failed');
  });

  it("lets the agent's own report correct a job failed as agent lost", async () => {
    const t = await setup();
    const a = await t.service('a');
    const job = await t.queue.deploy(a.id, 'use-existing');
    await t.settle();
    t.connected.clear();
    await t.store.db.mutate((data) => {
      data.servers[0]!.status = 'offline';
    });
    await t.queue.expire(30_000);
    t.connected.add('srv1');
    await t.queue.handleMessage('srv1', {
      type: 'job.finished',
      jobId: job.job.id,
      status: 'succeeded',
      result: { imageId: 'sha256:abc', digest: `sha256:${'a'.repeat(64)}` },
      lastSeq: 3,
    });
    const deployment = t.store.db.data.deployments[0]!;
    expect(deployment.status).toBe('succeeded');
    expect(deployment.error).toBeUndefined();
    expect(t.store.services.get(a.id)?.status).toBe('running');
    // once corrected, a repeat changes nothing
    await t.queue.handleMessage('srv1', {
      type: 'job.finished',
      jobId: job.job.id,
      status: 'failed',
      error: 'x',
      result: {},
      lastSeq: 3,
    });
    expect(t.store.db.data.deployments[0]!.status).toBe('succeeded');
  });

  it('fails a job that overran its deadline', async () => {
    const t = await setup();
    const a = await t.service('a');
    await t.queue.stop(a.id);
    await t.settle();
    t.clock.advance(5 * 60_000 + 31_000);
    await t.queue.expire(30_000);
    expect(t.store.db.data.jobs[0]).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/deadline/),
    });
  });

  it('stores log lines once and acknowledges the highest stored', async () => {
    const t = await setup();
    const a = await t.service('a');
    const job = await t.queue.stop(a.id);
    const line = (seq: number) => ({
      seq,
      ts: new Date().toISOString(),
      stream: 'system' as const,
      text: `l${seq}`,
    });
    await t.queue.handleMessage('srv1', {
      type: 'log.batch',
      jobId: job.job.id,
      lines: [line(1), line(2)],
    });
    await t.queue.handleMessage('srv1', {
      type: 'log.batch',
      jobId: job.job.id,
      lines: [line(2), line(3)],
    });
    const acks = t.sent.flatMap((s) => (s.message.type === 'log.ack' ? [s.message.seq] : []));
    expect(acks).toEqual([2, 3]);
  });

  it('tells the service status from state reports, and unknown while its server is offline', async () => {
    const t = await setup();
    const a = await t.service('a');
    const job = await t.queue.deploy(a.id, 'use-existing');
    await t.settle();
    await t.queue.handleMessage('srv1', {
      type: 'job.finished',
      jobId: job.job.id,
      status: 'succeeded',
      result: {},
      lastSeq: 0,
    });
    const depId = job.deployment!.id;
    const report = (state: 'running' | 'exited', exitCode?: number) =>
      t.queue.handleMessage('srv1', {
        type: 'state.report',
        full: false,
        containers: [
          {
            serviceId: a.id,
            deploymentId: depId,
            containerId: 'c1',
            state,
            ...(exitCode === undefined ? {} : { exitCode }),
          },
        ],
      });
    await report('exited', 1);
    expect(t.store.services.get(a.id)?.status).toBe('failed');
    await report('exited', 143);
    expect(t.store.services.get(a.id)?.status).toBe('stopped');
    await report('running');
    expect(t.store.services.get(a.id)?.status).toBe('running');
    await t.queue.handleMessage('srv1', { type: 'state.report', full: true, containers: [] });
    expect(t.store.services.get(a.id)?.status).toBe('stopped');

    t.connected.clear();
    await t.store.db.mutate((data) => {
      data.servers[0]!.status = 'offline';
    });
    await t.queue.expire(30_000);
    expect(t.store.services.get(a.id)?.status).toBe('unknown');
  });

  it('fails a queued job whose server stays offline past the queue timeout', async () => {
    const t = await setup();
    t.connected.clear();
    await t.store.db.mutate((data) => {
      data.servers[0]!.status = 'offline';
    });
    const a = await t.service('a');
    const queued = await t.queue.deploy(a.id, 'use-existing');
    t.clock.advance(30 * 60_000);
    await t.queue.expire(30_000);
    expect(jobStatus(t.store, queued.job.id)).toBe('queued');
    t.clock.advance(31 * 60_000);
    await t.queue.expire(30_000);
    expect(t.store.db.data.jobs[0]).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/never started.*offline/),
    });
    expect(t.store.db.data.deployments[0]).toMatchObject({ status: 'failed' });
    expect(t.store.db.data.deployments[0]?.startedAt).toBeUndefined();
  });
});
