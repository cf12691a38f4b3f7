import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ControlPlaneMessage } from '@berth/protocol';
import { callHandler, type AgentMessageOf, type RoutedType } from '../hub/agent-routes.js';
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
    backupDeadlineMs: 60 * 60_000,
    queueTimeoutMs: 60 * 60_000,
    lostJobGraceMs: 5 * 60_000,
  });
  await store.joinTokens.create({ tokenHash: 'srv1', ttlSeconds: 3600, now: clock.now() });
  await store.servers.enroll({
    id: 'srv1',
    tokenHash: 'srv1',
    name: 'one',
    publicKey: 'x',
    agentVersion: '0.1.0',
  });
  await store.servers.markOnline('srv1', { agentVersion: '0.1.0', docker: null });
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
  const handlers = queue.agentHandlers();
  const deliver = (message: AgentMessageOf<RoutedType>) => callHandler(handlers, 'srv1', message);
  const settle = () => queue.kick();
  const assigned = () =>
    sent.flatMap((s) => (s.message.type === 'job.assign' ? [s.message.job.jobId] : []));
  const goOffline = async () => {
    connected.clear();
    await store.servers.markOffline('srv1');
  };
  const finished = (jobId: string, status: 'succeeded' | 'failed' = 'succeeded') =>
    deliver({
      type: 'job.finished',
      jobId,
      status,
      result: { imageId: 'sha256:1' },
      lastSeq: 0,
    });
  const accept = (jobId: string) => deliver({ type: 'job.accept', jobId });
  const cancels = () =>
    sent.flatMap((s) => (s.message.type === 'job.cancel' ? [s.message.jobId] : []));
  return {
    clock,
    store,
    logs,
    queue,
    deliver,
    sent,
    connected,
    service,
    settle,
    assigned,
    goOffline,
    finished,
    accept,
    cancels,
  };
}

async function jobOf(store: Store, id: string) {
  return (await store.history.job(id))!;
}

async function deploymentOf(store: Store, id: string) {
  return (await store.history.deployment(id))!;
}

describe('JobQueue', () => {
  it("records a deployment's timeline: queued and dispatch here, then the agent's phases", async () => {
    const t = await setup();
    const a = await t.service('a');
    const { job, deployment } = await t.queue.deploy(a.id, 'use-existing');
    t.clock.advance(1_000);
    await t.settle();
    t.clock.advance(20);
    await t.accept(job.id);
    const at = (ms: number) => new Date(t.clock.now() + ms).toISOString();
    await t.deliver({
      type: 'job.finished',
      jobId: job.id,
      status: 'succeeded',
      result: {
        phases: [
          { name: 'pull', startedAt: at(0), finishedAt: at(300) },
          { name: 'start', startedAt: at(300), finishedAt: at(400) },
          { name: 'healthcheck', startedAt: at(400) },
        ],
      },
      lastSeq: 0,
    });
    const phases = (await deploymentOf(t.store, deployment!.id)).phases!;
    expect(phases.map((p) => p.name)).toEqual([
      'queued',
      'dispatch',
      'pull',
      'start',
      'healthcheck',
    ]);
    expect(Date.parse(phases[0]!.finishedAt!) - Date.parse(phases[0]!.startedAt)).toBe(1_000);
    expect(Date.parse(phases[1]!.finishedAt!) - Date.parse(phases[1]!.startedAt)).toBe(20);
    // A phase the agent left open ends with the deployment.
    expect(phases.every((p) => p.finishedAt)).toBe(true);
  });

  it('keeps the timeline of an older agent that reports no phases', async () => {
    const t = await setup();
    const a = await t.service('a');
    const { job, deployment } = await t.queue.deploy(a.id, 'use-existing');
    await t.settle();
    await t.accept(job.id);
    await t.finished(job.id);
    const phases = (await deploymentOf(t.store, deployment!.id)).phases!;
    expect(phases.map((p) => p.name)).toEqual(['queued', 'dispatch']);
    expect(phases.every((p) => p.finishedAt)).toBe(true);
  });

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

    await t.finished(a1.job.id);
    await t.settle();
    expect(t.assigned()).toEqual([a1.job.id, b1.job.id, a2.job.id]);
    expect(await t.store.services.get(a.id)).toMatchObject({
      primaryAction: 'redeploy',
      currentDeploymentId: a1.deployment!.id,
    });
    expect(t.sent.some((s) => s.message.type === 'job.ack')).toBe(true);
    const a3 = await t.queue.deploy(a.id, 'use-existing');
    expect(a3.deployment).toMatchObject({ number: 3, trigger: 'redeploy' });
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
    expect((await jobOf(t.store, jb.job.id)).status).toBe('queued');
  });

  it('refuses a restart before any successful deployment', async () => {
    const t = await setup();
    const a = await t.service('a');
    await expect(t.queue.restart(a.id)).rejects.toMatchObject({
      code: 'NO_DEPLOYMENT',
      status: 409,
    });
    expect(await t.store.history.activeJobs()).toEqual([]);
  });

  it('cancels a queued job at once and never sends it', async () => {
    const t = await setup();
    const a = await t.service('a');
    const first = await t.queue.deploy(a.id, 'use-existing');
    const second = await t.queue.deploy(a.id, 'use-existing');
    await t.settle();
    const cancelled = await t.queue.cancelDeployment(second.deployment!.id);
    expect(cancelled.deployment?.status).toBe('cancelled');
    expect(cancelled.job.status).toBe('cancelled');
    await t.finished(first.job.id);
    await t.settle();
    expect(t.assigned()).toEqual([first.job.id]);
    await expect(t.queue.cancelDeployment(second.deployment!.id)).rejects.toMatchObject({
      status: 409,
    });
  });

  it('requeues a job the agent never received', async () => {
    const t = await setup();
    const a = await t.service('a');
    const job = await t.queue.deploy(a.id, 'use-existing');
    await t.settle();
    expect((await jobOf(t.store, job.job.id)).status).toBe('running');
    expect((await t.store.services.get(a.id))?.status).toBe('deploying');
    // The agent reconnects without the job and never accepted it: it goes back to the queue.
    t.connected.clear();
    await t.queue.handleSessionOpen('srv1', []);
    expect((await jobOf(t.store, job.job.id)).status).toBe('queued');
    expect((await deploymentOf(t.store, job.deployment!.id)).startedAt).toBeUndefined();
    expect((await t.store.services.get(a.id))?.status).toBe('never-deployed');
    t.connected.add('srv1');
    await t.queue.handleSessionOpen('srv1', []);
    await t.settle();
    expect(t.assigned()).toEqual([job.job.id, job.job.id]);
  });

  it('keeps a job whose agent went silent running, out of contact, until the agent is back', async () => {
    const t = await setup();
    const a = await t.service('a');
    const job = await t.queue.deploy(a.id, 'use-existing');
    await t.settle();
    await t.accept(job.job.id);
    await t.goOffline();
    await t.queue.expire(30_000);
    const lost = await deploymentOf(t.store, job.deployment!.id);
    expect(lost.status).toBe('building');
    expect(lost.contactLostAt).toBe(new Date(t.clock.now()).toISOString());
    expect((await jobOf(t.store, job.job.id)).status).toBe('running');
    t.clock.advance(4 * 60_000);
    await t.queue.expire(30_000);
    expect((await jobOf(t.store, job.job.id)).status).toBe('running');

    t.connected.add('srv1');
    await t.queue.handleSessionOpen('srv1', [{ jobId: job.job.id, status: 'running' }]);
    const back = await deploymentOf(t.store, job.deployment!.id);
    expect(back.contactLostAt).toBeUndefined();
    await t.finished(job.job.id);
    expect((await deploymentOf(t.store, job.deployment!.id)).status).toBe('succeeded');
    expect((await t.store.services.get(a.id))?.status).toBe('running');
  });

  it('fails a job out of contact past the grace window, and that outcome is final', async () => {
    const t = await setup();
    const a = await t.service('a');
    const job = await t.queue.deploy(a.id, 'use-existing');
    await t.settle();
    await t.accept(job.job.id);
    await t.goOffline();
    await t.queue.expire(30_000);
    t.clock.advance(5 * 60_000 + 1_000);
    await t.queue.expire(30_000);
    expect(await jobOf(t.store, job.job.id)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/agent lost.*BERTH_LOST_JOB_GRACE_MS/),
    });
    // The agent comes back still running it: it is told to cancel, and its late report changes nothing.
    t.connected.add('srv1');
    await t.queue.handleSessionOpen('srv1', [{ jobId: job.job.id, status: 'running' }]);
    expect(t.cancels()).toContain(job.job.id);
    await t.finished(job.job.id);
    expect((await deploymentOf(t.store, job.deployment!.id)).status).toBe('failed');
    expect(t.sent.filter((s) => s.message.type === 'job.ack')).toHaveLength(1);
  });

  it('fails an accepted job the agent comes back without', async () => {
    const t = await setup();
    const a = await t.service('a');
    const job = await t.queue.deploy(a.id, 'use-existing');
    await t.settle();
    await t.accept(job.job.id);
    t.connected.clear();
    await t.queue.handleSessionOpen('srv1', []);
    expect(await jobOf(t.store, job.job.id)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/came back without it/),
    });
    expect((await t.store.services.get(a.id))?.status).toBe('failed');
  });

  it('cancels a job out of contact at once, and tells the agent when it is back', async () => {
    const t = await setup();
    const a = await t.service('a');
    const job = await t.queue.deploy(a.id, 'use-existing');
    await t.settle();
    await t.accept(job.job.id);
    await t.goOffline();
    await t.queue.expire(30_000);
    const cancelled = await t.queue.cancelDeployment(job.deployment!.id);
    expect(cancelled.deployment?.status).toBe('cancelled');
    expect(t.cancels()).toEqual([]);
    t.connected.add('srv1');
    await t.queue.handleSessionOpen('srv1', [{ jobId: job.job.id, status: 'running' }]);
    expect(t.cancels()).toEqual([job.job.id]);
    await t.finished(job.job.id);
    expect((await deploymentOf(t.store, job.deployment!.id)).status).toBe('cancelled');
  });

  it('asks the agent to cancel a running job it is in contact with', async () => {
    const t = await setup();
    const a = await t.service('a');
    const job = await t.queue.deploy(a.id, 'use-existing');
    await t.settle();
    const answer = await t.queue.cancelDeployment(job.deployment!.id);
    expect(answer.deployment?.status).toBe('queued');
    expect(t.cancels()).toEqual([job.job.id]);
    expect((await jobOf(t.store, job.job.id)).cancelRequestedAt).toBeDefined();
  });

  it('fails a job that overran its deadline', async () => {
    const t = await setup();
    const a = await t.service('a');
    const stop = await t.queue.stop(a.id);
    await t.settle();
    t.clock.advance(5 * 60_000 + 31_000);
    await t.queue.expire(30_000);
    expect(await jobOf(t.store, stop.job.id)).toMatchObject({
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
    await t.deliver({
      type: 'log.batch',
      jobId: job.job.id,
      lines: [line(1), line(2)],
    });
    await t.deliver({
      type: 'log.batch',
      jobId: job.job.id,
      lines: [line(2), line(3)],
    });
    const acks = t.sent.flatMap((s) => (s.message.type === 'log.ack' ? [s.message.seq] : []));
    expect(acks).toEqual([2, 3]);
  });

  it('stores runs and lines of older agents alike, acknowledging the highest stored', async () => {
    const t = await setup();
    const a = await t.service('a');
    const job = await t.queue.stop(a.id);
    const ts = new Date().toISOString();
    await t.deliver({
      type: 'log.batch',
      jobId: job.job.id,
      // A line never holds a newline; one that does stays one line.
      lines: [
        { seq: 1, ts, stream: 'system', text: 'one' },
        { seq: 2, ts, stream: 'system', text: 'two\nlines' },
      ],
    });
    await t.deliver({
      type: 'log.runs',
      jobId: job.job.id,
      runs: [{ seq: 2, ts, stream: 'build', text: 'again\nthree\nfour' }],
    });
    await t.deliver({
      type: 'log.runs',
      jobId: 'unknown',
      runs: [{ seq: 3, ts, stream: 'build', text: 'a\nb\nc' }],
    });
    const acks = t.sent.flatMap((s) =>
      s.message.type === 'log.ack' ? [[s.message.jobId, s.message.seq]] : [],
    );
    expect(acks).toEqual([
      [job.job.id, 2],
      [job.job.id, 4],
      ['unknown', 5],
    ]);
    const texts: string[] = [];
    await t.logs.read(job.job.id, 0, (line) => texts.push(line.text));
    expect(texts).toEqual(['one', 'two lines', 'three', 'four']);
  });

  it('tells the service status from state reports, and unknown while its server is offline', async () => {
    const t = await setup();
    const a = await t.service('a');
    const job = await t.queue.deploy(a.id, 'use-existing');
    await t.settle();
    await t.finished(job.job.id);
    const depId = job.deployment!.id;
    const report = (state: 'running' | 'exited', exitCode?: number) =>
      t.deliver({
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
    const status = async () => (await t.store.services.get(a.id))?.status;
    await report('exited', 1);
    expect(await status()).toBe('failed');
    await report('exited', 143);
    expect(await status()).toBe('stopped');
    await report('running');
    expect(await status()).toBe('running');
    await t.deliver({ type: 'state.report', full: true, containers: [] });
    expect(await status()).toBe('stopped');

    await t.goOffline();
    await t.queue.expire(30_000);
    expect(await status()).toBe('unknown');
  });

  it('fails a queued job whose server stays offline past the queue timeout', async () => {
    const t = await setup();
    await t.goOffline();
    const a = await t.service('a');
    const queued = await t.queue.deploy(a.id, 'use-existing');
    t.clock.advance(30 * 60_000);
    await t.queue.expire(30_000);
    expect((await jobOf(t.store, queued.job.id)).status).toBe('queued');
    t.clock.advance(31 * 60_000);
    await t.queue.expire(30_000);
    expect(await jobOf(t.store, queued.job.id)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/never started.*offline/),
    });
    const deployment = await deploymentOf(t.store, queued.deployment!.id);
    expect(deployment.status).toBe('failed');
    expect(deployment.startedAt).toBeUndefined();
  });
});
