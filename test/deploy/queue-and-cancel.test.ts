import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appFiles, markerOutput, uniqueId } from '../support/app-fixture.js';
import { containersOf, runningCommands, runningContainerOf } from '../support/berth-docker.js';
import { expectServes } from '../support/app-http.js';
import {
  cancel,
  deploy,
  deployAndWait,
  expectDeploymentStatus,
  getDeployment,
  getJob,
  ms,
  postAction,
  waitForFinished,
  waitForJob,
  type Deployment,
  type ErrorBody,
  type Queued,
  type Service,
  type Stage,
} from '../support/deploy-helpers.js';
import { LogFollower, hasLine, readLog, textsOf } from '../support/deploy-logs.js';
import { dockerOrSkip } from '../support/docker.js';
import { startGitAppStage, type GitAppStage } from '../support/git-app-stage.js';
import type { GitRepo } from '../support/git-server.js';
import { waitFor } from '../support/wait.js';

const hasDocker = dockerOrSkip();

describe.skipIf(!hasDocker)('the queue and cancel', () => {
  const run = uniqueId();
  const marker = `queue-${run}`;
  let stage: Stage;
  let repo: GitRepo;
  let service: Service;
  let port: number;
  /** The deployment serving when a test ends. */
  let serving: Deployment;

  let app: GitAppStage | undefined;

  beforeAll(async () => {
    // a 2 s RUN step, so overlapping jobs could not go unnoticed
    app = await startGitAppStage(
      'queue',
      appFiles({ version: 'q1', marker, buildSleepSeconds: 2 }),
    );
    ({ stage, repo, service, port } = app);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('three quick redeploys run in order, one at a time', async () => {
    const queued: Queued[] = [];
    for (let i = 0; i < 3; i += 1) queued.push(await deploy(stage, service.id, 'none'));
    expect(queued.map((q) => q.deployment.number)).toEqual([1, 2, 3]);
    // nothing can have started behind the first one yet
    expect(queued[1]!.job.status).toBe('queued');
    expect(queued[2]!.job.status).toBe('queued');

    const finished = [];
    for (const q of queued) finished.push(await waitForFinished(stage, q));
    for (const { deployment } of finished) {
      await expectDeploymentStatus(stage, deployment, 'succeeded');
    }
    const jobs = finished.map((f) => f.job);
    expect(jobs.map((j) => j.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    for (let i = 1; i < jobs.length; i += 1) {
      expect(ms(jobs[i]!.startedAt)).toBeGreaterThanOrEqual(ms(jobs[i - 1]!.finishedAt));
      const [before, after] = [finished[i - 1]!.deployment, finished[i]!.deployment];
      expect(ms(after.startedAt)).toBeGreaterThanOrEqual(ms(before.finishedAt));
    }
    // each one really built (no cache), and the last one queued is the one serving
    for (const { deployment } of finished) {
      expect(hasLine(await readLog(stage, deployment.id), 'build', markerOutput(marker))).toBe(
        true,
      );
    }
    serving = finished[2]!.deployment;
    await expectServes(port, 'q1');
    const containers = await containersOf(service.id);
    expect(containers.map((c) => c.labels['berth.deployment'])).toEqual([serving.id]);
  });

  it('a queued deployment can be cancelled, and then never runs', async () => {
    const running = await deploy(stage, service.id, 'none');
    const waiting = await deploy(stage, service.id, 'none');
    expect(waiting.job.status).toBe('queued');

    const answer = await cancel(stage, waiting.deployment.id);
    expect(answer.status).toBe(202);
    expect(answer.body.message).toBe('Added to queue');
    const job = await waitForJob(stage, waiting.job.id, 10_000);
    expect(job.status).toBe('cancelled');
    expect(job.startedAt).toBeFalsy();

    // Jobs of a service run in order: once a deploy queued after the cancelled one has
    // finished, the cancelled one has had every chance to run.
    const later = await deploy(stage, service.id);
    const first = await waitForFinished(stage, running);
    await expectDeploymentStatus(stage, first.deployment, 'succeeded');
    const last = await waitForFinished(stage, later);
    await expectDeploymentStatus(stage, last.deployment, 'succeeded');
    serving = last.deployment;
    const cancelled = await getDeployment(stage, waiting.deployment.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.startedAt).toBeFalsy();
    expect((await getJob(stage, waiting.job.id)).status).toBe('cancelled');
    expect(textsOf(await readLog(stage, waiting.deployment.id), 'build')).toEqual([]);
    expect((await runningContainerOf(service.id)).labels['berth.deployment']).toBe(serving.id);

    const again = await postAction<ErrorBody>(
      stage,
      `/deployments/${waiting.deployment.id}/cancel`,
    );
    expect(again.status).toBe(409);
  });

  it('a running 30-second build is cancelled within seconds, and the previous release keeps serving', async () => {
    const slowMarker = `slow-${run}`;
    await repo.commit(
      appFiles({ version: 'never', marker: slowMarker, buildSleepSeconds: 30 }),
      'slow build',
    );
    const queued = await deploy(stage, service.id);
    const follower = new LogFollower(stage, queued.deployment.id);
    await waitFor(
      'the 30 s build step to start',
      async () => {
        const log = await readLog(stage, queued.deployment.id);
        return (
          hasLine(log, 'build', markerOutput(slowMarker)) &&
          textsOf(log, 'build').some((t) => t.includes('RUN sleep 30'))
        );
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect((await getDeployment(stage, queued.deployment.id)).status).toBe('building');

    const cancelledAt = Date.now();
    const answer = await cancel(stage, queued.deployment.id);
    expect(answer.status).toBe(202);
    const job = await waitForJob(stage, queued.job.id, 10_000);
    expect(job.status).toBe('cancelled');
    const deployment = await getDeployment(stage, queued.deployment.id);
    expect(deployment.status).toBe('cancelled');
    expect(ms(deployment.finishedAt) - cancelledAt).toBeLessThan(10_000);
    expect(await follower.end).toMatchObject({ status: 'cancelled' });

    // the build itself is stopped, not left running on the engine
    await waitFor(
      'the cancelled build step to stop on the engine',
      async () => !(await runningCommands()).some((c) => c.includes('sleep 30')),
      { timeoutMs: 10_000, intervalMs: 250 },
    );
    await expectServes(port, 'q1');
    expect((await runningContainerOf(service.id)).labels['berth.deployment']).toBe(serving.id);

    // the service is not blocked: the next deploy runs at once
    await repo.commit(appFiles({ version: 'q2', marker }), 'q2');
    const next = await deployAndWait(stage, service.id, { timeoutMs: 60_000 });
    await expectServes(port, 'q2');
    expect(next.number).toBe(deployment.number + 1);
  });
});
