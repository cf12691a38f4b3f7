import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentMessageInput, JobSpec } from '@berth/protocol';
import { createLogger } from '../log.js';
import { LogSpool } from '../logs/log-spool.js';
import { decodingLogSender } from '../testing/log-batches.js';
import { FakeEngine } from '../testing/fake-engine.js';
import { JobRunner } from './job-runner.js';
import { Journal } from './journal.js';
import { ROUTE_ENVIRONMENT_LABEL } from './route-network.js';

function imageSpec(jobId: string, number: number, healthSeconds = 0): JobSpec {
  return {
    jobId,
    kind: 'deploy',
    service: {
      id: 'svc1',
      name: 'web',
      source: { type: 'image', image: 'reg.test/web:v1' },
      ports: [],
      env: {},
      healthcheck: { type: 'running', seconds: healthSeconds },
    },
    deployment: { id: `dep${number}`, number, cache: 'use-existing', trigger: 'deploy' },
    deadlineAt: new Date(Date.now() + 60_000).toISOString(),
  };
}

function setup(stateDir = mkdtempSync(join(tmpdir(), 'berth-runner-'))) {
  const engine = new FakeEngine();
  engine.registry.set('reg.test/web:v1', {
    id: engine.newImageId(),
    tags: ['reg.test/web:v1'],
    repoDigests: [],
    labels: {},
  });
  const sent: AgentMessageInput[] = [];
  const send = (m: AgentMessageInput) => (sent.push(m), true);
  const journal = new Journal(stateDir);
  const spool = new LogSpool(join(stateDir, 'spool'), decodingLogSender(send));
  const runner = new JobRunner({
    engine,
    journal,
    spool,
    send,
    workDir: join(stateDir, 'work'),
    logger: createLogger(() => undefined),
  });
  const finished = () => sent.filter((m) => m.type === 'job.finished');
  const waitFinished = async (n: number) => {
    for (let i = 0; i < 200 && finished().length < n; i += 1)
      await new Promise((r) => setTimeout(r, 10));
    return finished();
  };
  return { engine, sent, runner, journal, stateDir, waitFinished };
}

describe('JobRunner', () => {
  it('runs a job once even when it is delivered twice', async () => {
    const { runner, engine, waitFinished } = setup();
    runner.handleAssign(imageSpec('j1', 1));
    const [first] = await waitFinished(1);
    expect(first).toMatchObject({ jobId: 'j1', status: 'succeeded' });
    runner.handleAssign(imageSpec('j1', 1));
    const all = await waitFinished(2);
    expect(all[1]).toMatchObject({ jobId: 'j1', status: 'succeeded' });
    expect(engine.containers.size).toBe(1);
    expect(engine.pulls).toHaveLength(1);
  });

  it('gives env values to the container only, never to its journal, spool or work files', async () => {
    const { runner, engine, stateDir, waitFinished } = setup();
    const secrets = { API_KEY: 'sk-live-agent-7c1e93', DB_PASSWORD: 'agent-pw-d41f0b' };
    const envs: Record<string, string>[] = [];
    const create = engine.createContainer.bind(engine);
    engine.createContainer = (spec) => (envs.push(spec.env), create(spec));
    const spec = imageSpec('j10', 1);
    runner.handleAssign({ ...spec, service: { ...spec.service, env: secrets } });
    const [done] = await waitFinished(1);
    expect(done).toMatchObject({ jobId: 'j10', status: 'succeeded' });
    expect(envs).toContainEqual(secrets);

    const files = readdirSync(stateDir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name));
    expect(files.map((f) => f.slice(stateDir.length))).toContain('/journal.json');
    for (const file of files) {
      const bytes = readFileSync(file);
      for (const value of Object.values(secrets)) expect(bytes.includes(value), file).toBe(false);
    }
  });

  it('sends the outcome after every log line of the job, numbered 1..lastSeq', async () => {
    const { runner, sent, waitFinished } = setup();
    runner.handleAssign(imageSpec('j9', 1));
    const [done] = await waitFinished(1);
    const lastSeq = done?.type === 'job.finished' ? (done.lastSeq ?? 0) : 0;
    expect(lastSeq).toBeGreaterThan(2);
    const finishedAt = sent.indexOf(done!);
    const seqs = sent
      .slice(0, finishedAt)
      .flatMap((m) => (m.type === 'log.batch' ? m.lines.map((l) => l.seq) : []));
    expect(seqs).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
  });

  it('a cancelled running job ends cancelled', async () => {
    const { runner, waitFinished } = setup();
    runner.handleAssign(imageSpec('j2', 1, 30));
    await new Promise((r) => setTimeout(r, 30));
    runner.handleCancel('j2');
    const [done] = await waitFinished(1);
    expect(done).toMatchObject({ jobId: 'j2', status: 'cancelled' });
    expect(done?.type === 'job.finished' && done.error).toMatch(/^cancelled by a user/);
  });

  it('a job that passes its deadline ends failed, not cancelled, and says so', async () => {
    const { runner, waitFinished } = setup();
    // The health check wants 30 s of running; the deadline comes after 100 ms.
    runner.handleAssign({
      ...imageSpec('j8', 1, 30),
      deadlineAt: new Date(Date.now() + 100).toISOString(),
    });
    const [done] = await waitFinished(1);
    expect(done).toMatchObject({ jobId: 'j8', status: 'failed' });
    expect(done?.type === 'job.finished' && done.error).toMatch(/passed its deadline/);
  });

  it('a failure ends the job failed with the reason a person can act on', async () => {
    const { runner, waitFinished } = setup();
    const spec = imageSpec('j7', 1);
    runner.handleAssign({
      ...spec,
      service: { ...spec.service, source: { type: 'image', image: 'reg.test/missing:v1' } },
    });
    const [done] = await waitFinished(1);
    expect(done).toMatchObject({ jobId: 'j7', status: 'failed' });
    expect(done?.type === 'job.finished' && done.error).toMatch(
      /^Could not pull reg\.test\/missing:v1: pull access denied/,
    );
  });

  it('after a restart, a job left running is reported failed and not run again', async () => {
    const { journal, stateDir } = setup();
    await journal.put({
      jobId: 'j3',
      serviceId: 'svc1',
      kind: 'deploy',
      status: 'running',
      result: {},
      lastSeq: 0,
      stoppedContainers: [],
      confirmed: false,
      updatedAt: new Date().toISOString(),
    });
    const again = setup(stateDir);
    await again.runner.recover();
    expect(again.runner.heldJobs()).toEqual([{ jobId: 'j3', status: 'failed' }]);
    again.runner.onConnected();
    // the outcome follows the job's log lines, which are written and sent first
    const [finished] = await again.waitFinished(1);
    expect(finished).toMatchObject({
      jobId: 'j3',
      status: 'failed',
      lastSeq: 1,
    });
    again.runner.handleAssign(imageSpec('j3', 1));
    expect(again.engine.pulls).toHaveLength(0);
  });

  it('after a crash mid-switch, removes the half-started release and restarts the previous one', async () => {
    const first = setup();
    first.runner.handleAssign(imageSpec('j1', 1));
    await first.waitFinished(1);
    const [old] = first.engine.running();
    // the crash: the old release was stopped for the handover, the new one created
    await first.journal.put({
      jobId: 'j2',
      serviceId: 'svc1',
      kind: 'deploy',
      status: 'running',
      result: {},
      lastSeq: 0,
      stoppedContainers: [old!.id],
      deploymentId: 'dep2',
      deploymentNumber: 2,
      confirmed: false,
      updatedAt: new Date().toISOString(),
    });
    await first.engine.stopContainer(old!.id);
    await first.engine.createContainer({
      name: 'half',
      image: old!.imageId,
      env: {},
      labels: { 'berth.service': 'svc1', 'berth.deployment': 'dep2' },
      ports: [],
    });

    const again = setup(first.stateDir);
    again.engine.containers = first.engine.containers;
    again.engine.images = first.engine.images;
    await again.runner.recover();
    expect(again.engine.running().map((c) => c.id)).toEqual([old!.id]);
    expect(
      [...again.engine.containers.values()].some((c) => c.labels['berth.deployment'] === 'dep2'),
    ).toBe(false);
    expect(again.runner.heldJobs()).toContainEqual({ jobId: 'j2', status: 'failed' });
  });

  it('after a crash mid-restart of a proxied service, removes the new container and keeps the one it replaces', async () => {
    const first = setup();
    first.runner.handleAssign(imageSpec('j1', 1));
    await first.waitFinished(1);
    const [old] = first.engine.running();
    // The restart's new container carries the same deployment as the one it replaces.
    await first.journal.put({
      jobId: 'j2',
      serviceId: 'svc1',
      kind: 'restart',
      status: 'running',
      result: {},
      lastSeq: 0,
      stoppedContainers: [old!.id],
      deploymentId: 'dep1',
      deploymentNumber: 1,
      confirmed: false,
      updatedAt: new Date().toISOString(),
    });
    const fresh = await first.engine.createContainer({
      name: 'fresh',
      image: old!.imageId,
      env: {},
      labels: {
        'berth.service': 'svc1',
        'berth.deployment': 'dep1',
        [ROUTE_ENVIRONMENT_LABEL]: 'env1',
      },
      ports: [],
    });
    await first.engine.startContainer(fresh);

    const again = setup(first.stateDir);
    again.engine.containers = first.engine.containers;
    again.engine.images = first.engine.images;
    await again.runner.recover();
    expect(again.engine.running().map((c) => c.id)).toEqual([old!.id]);
    expect(again.engine.containers.has(fresh)).toBe(false);
    expect(again.runner.heldJobs()).toContainEqual({ jobId: 'j2', status: 'failed' });
  });

  it('draining lets running jobs finish and takes no new ones', async () => {
    const { runner, waitFinished, engine } = setup();
    runner.handleAssign(imageSpec('j1', 1, 1));
    await new Promise((r) => setTimeout(r, 20));
    const drained = runner.drain();
    runner.handleAssign({
      ...imageSpec('j2', 2),
      service: { ...imageSpec('j2', 2).service, id: 'svc2' },
    });
    await drained;
    const finished = await waitFinished(1);
    expect(finished.map((m) => m.type === 'job.finished' && m.jobId)).toEqual(['j1']);
    expect(finished[0]).toMatchObject({ status: 'succeeded' });
    expect(runner.heldJobs().map((j) => j.jobId)).toEqual(['j1']);
    expect(engine.running()).toHaveLength(1);
  });
});
