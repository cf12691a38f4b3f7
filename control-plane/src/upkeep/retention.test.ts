import { access, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isoTime } from '../clock.js';
import { silentLogger, type Logger } from '../log.js';
import { queueDeployment, queueStop } from '../queue/actions.js';
import type { QueueDeps } from '../queue/context.js';
import { finishJob, startJob } from '../queue/job-transitions.js';
import { LogFiles } from '../store/log-files.js';
import { openMemoryStore } from '../store/store.js';
import { fakeClock } from '../testing/fake-clock.js';
import { applyRetention } from './retention.js';

const DAY_MS = 24 * 3_600_000;

async function setup() {
  const clock = fakeClock();
  const store = await openMemoryStore({ now: clock.now });
  const logDir = await mkdtemp(join(tmpdir(), 'berth-retention-'));
  const logs = new LogFiles(logDir);
  await logs.init();
  const project = await store.projects.create({ name: 'p' });
  const env = await store.environments.create({ projectId: project.id, name: 'e', serverId: 's' });
  const service = await store.services.create(env.id, {
    name: 'web',
    source: { type: 'image', image: 'reg.test/app:v1' },
    ports: [],
    env: {},
    healthcheck: { type: 'running', seconds: 1 },
  });
  const deps = {
    store,
    now: clock.now,
    deployDeadlineMs: 60_000,
    controlDeadlineMs: 60_000,
  } as QueueDeps;
  /** Queues, starts and ends a job, with one log line, as the queue would. */
  const run = async (queued: Promise<{ job: { id: string } }>, status: 'succeeded' | 'failed') => {
    const { job } = await queued;
    await store.history.updateJob(job.id, (u) => startJob(u, clock.now(), 60_000));
    await logs.append(job.id, [
      { seq: 1, ts: isoTime(clock.now()), stream: 'system', text: 'hello' },
    ]);
    await store.history.updateJob(job.id, (u) => finishJob(u, { status }, clock.now()));
    clock.advance(DAY_MS);
    return job.id;
  };
  const messages: string[] = [];
  const log: Logger = { ...silentLogger, info: (m: string) => messages.push(m) };
  const hasLog = (jobId: string) =>
    access(join(logDir, `${jobId}.ndjson`)).then(
      () => true,
      () => false,
    );
  return { clock, store, logs, service, deps, run, messages, log, hasLog };
}

describe('applyRetention', () => {
  it('keeps the newest deployments per service and drops older ones with their jobs and logs', async () => {
    const t = await setup();
    const deploy = () => queueDeployment(t.deps, t.service.id, { cache: 'use-existing' });
    const jobs: string[] = [];
    jobs.push(await t.run(deploy(), 'succeeded'));
    jobs.push(await t.run(queueStop(t.deps, t.service.id), 'succeeded'));
    for (let i = 0; i < 4; i += 1) jobs.push(await t.run(deploy(), 'failed'));

    const report = await applyRetention({
      store: t.store,
      logs: t.logs,
      now: t.clock.now,
      log: t.log,
      historyKeep: 2,
      logRetentionDays: 0,
    });
    // #1 is the current release, so it stays; #2 and #3 go, #4 and #5 are the newest two.
    const left = await t.store.history.deployments(t.service.id, { limit: 10 });
    expect(left.map((d) => d.number)).toEqual([5, 4, 1]);
    expect(report).toMatchObject({ deployments: 2 });
    for (const id of [jobs[2]!, jobs[3]!]) {
      expect(await t.store.history.job(id)).toBeUndefined();
      expect(await t.hasLog(id)).toBe(false);
    }
    expect(await t.hasLog(jobs[5]!)).toBe(true);
    expect(t.messages.join('\n')).toMatch(/retention: removed 2 deployment\(s\)/);
  });

  it('deletes the logs of jobs finished longer ago than the retention, and says so on the deployment', async () => {
    const t = await setup();
    const deploy = () => queueDeployment(t.deps, t.service.id, { cache: 'use-existing' });
    const old = await t.run(deploy(), 'succeeded');
    t.clock.advance(10 * DAY_MS);
    const recent = await t.run(deploy(), 'succeeded');
    const report = await applyRetention({
      store: t.store,
      logs: t.logs,
      now: t.clock.now,
      log: t.log,
      historyKeep: undefined,
      logRetentionDays: 5,
    });
    expect(report.logFiles).toBe(1);
    expect(await t.hasLog(old)).toBe(false);
    expect(await t.hasLog(recent)).toBe(true);
    const [newest, oldest] = await t.store.history.deployments(t.service.id, { limit: 10 });
    expect(oldest?.logsExpired).toBe(true);
    expect(newest?.logsExpired).toBeUndefined();
    // A second run finds nothing more to do, and stays quiet.
    const again = await applyRetention({
      store: t.store,
      logs: t.logs,
      now: t.clock.now,
      log: t.log,
      historyKeep: undefined,
      logRetentionDays: 5,
    });
    expect(again.logFiles).toBe(0);
    expect(t.messages).toHaveLength(1);
  });
});
