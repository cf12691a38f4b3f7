import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/api.js';
import { APP_PORT, appFiles, markerOutput, uniqueId } from '../support/app-fixture.js';
import { containersOf, runningContainerOf } from '../support/berth-docker.js';
import { expectServes } from '../support/app-http.js';
import {
  QUICK_CHECK,
  createService,
  deploy,
  deployAndWait,
  expectDeploymentStatus,
  getDeployment,
  getJob,
  isFinal,
  ms,
  postAction,
  startStage,
  stopStage,
  waitForFinished,
  waitForServiceStatus,
  type Deployment,
  type ErrorBody,
  type Service,
  type ServiceInput,
  type Stage,
} from '../support/deploy-helpers.js';
import { LogFollower, hasLine, readLog, textsOf } from '../support/deploy-logs.js';
import { dockerOrSkip } from '../support/docker.js';
import { GitServer, type GitRepo } from '../support/git-server.js';
import { freePort } from '../support/ports.js';
import { FAST_TIMING, restartAgent, tempDir, waitForAgentConnected } from '../support/processes.js';
import { sleep, waitFor } from '../support/wait.js';

const hasDocker = dockerOrSkip();

describe.skipIf(!hasDocker)('bad releases, bad input and a lost agent', () => {
  const run = uniqueId();
  let stage: Stage;
  let gitServer: GitServer;

  beforeAll(async () => {
    gitServer = await GitServer.start();
    stage = await startStage('failures');
  });
  afterAll(async () => {
    await stopStage(stage);
    await gitServer?.stop();
  });

  /** A git service on a fresh repository whose first release (`v1`) is deployed and serving. */
  async function servingV1(
    name: string,
    healthcheck: ServiceInput['healthcheck'],
  ): Promise<{ service: Service; port: number; repo: GitRepo; first: Deployment }> {
    const repo = await gitServer.createRepo(name);
    await repo.commit(appFiles({ version: `${name}-v1` }), 'v1');
    const port = await freePort();
    const service = await createService(stage, {
      name,
      source: { type: 'git', repository: repo.url, ref: 'main' },
      ports: [{ container: APP_PORT, host: port }],
      healthcheck,
    });
    const first = await deployAndWait(stage, service.id);
    await expectServes(port, `${name}-v1`);
    return { service, port, repo, first };
  }

  it('a release that crashes on start fails, and the previous release still answers', async () => {
    const { service, port, repo, first } = await servingV1('crashy', {
      type: 'running',
      seconds: 2,
    });
    const good = first.id;
    const crashMarker = `crashed-${run}`;
    await repo.commit(appFiles({ version: 'crashy-v2', crashMarker }), 'crash on start');

    const queued = await deploy(stage, service.id);
    const follower = new LogFollower(stage, queued.deployment.id);
    const { job, deployment } = await waitForFinished(stage, queued);
    await expectDeploymentStatus(stage, deployment, 'failed');
    expect(job.status).toBe('failed');
    expect(deployment.error).toMatch(/exit|crash|health|running|stopped|died/i);
    expect(job.error).toBeTruthy();

    await expectServes(port, 'crashy-v1');
    const container = await runningContainerOf(service.id);
    expect(container.labels['berth.deployment']).toBe(good);
    expect(await waitForServiceStatus(stage, service.id, 'running')).toMatchObject({
      currentDeploymentId: good,
    });

    const log = await readLog(stage, deployment.id);
    // the tail of the new container's own output, and what Berth did about it
    const crashOutput = markerOutput(crashMarker);
    expect(log.some((l) => l.stream !== 'build' && l.text.includes(crashOutput))).toBe(true);
    expect(textsOf(log, 'system').some((t) => /restor/i.test(t))).toBe(true);
    expect(await follower.end).toMatchObject({ status: 'failed' });

    const rollbackOfFailed = await postAction<ErrorBody>(
      stage,
      `/deployments/${deployment.id}/rollback`,
    );
    expect(rollbackOfFailed.status).toBe(409);
    expect(rollbackOfFailed.body.error.message).toBeTruthy();
    const cancelOfFinished = await postAction<ErrorBody>(
      stage,
      `/deployments/${deployment.id}/cancel`,
    );
    expect(cancelOfFinished.status).toBe(409);
  });

  it('a release that fails its HTTP health check fails, and the previous release still answers', async () => {
    const { service, port, repo, first } = await servingV1('unhealthy', {
      type: 'http',
      port: APP_PORT,
      path: '/',
      timeoutSeconds: 3,
    });
    const good = first.id;
    // httpd answers on another port, so nothing answers on the checked one
    await repo.commit(appFiles({ version: 'unhealthy-v2', servePort: APP_PORT + 1 }), 'v2');

    const deployment = await deployAndWait(stage, service.id, { expect: 'failed' });
    expect(deployment.error).toMatch(/health/i);
    await expectServes(port, 'unhealthy-v1');
    expect((await runningContainerOf(service.id)).labels['berth.deployment']).toBe(good);
    expect((await waitForServiceStatus(stage, service.id, 'running')).currentDeploymentId).toBe(
      good,
    );
    const log = await readLog(stage, deployment.id);
    expect(textsOf(log, 'system').some((t) => /health/i.test(t))).toBe(true);
  });

  it('a ref or URL that looks like a git option is rejected, or fails without running anything', async () => {
    const canary = join(tempDir('canary'), 'pwned');
    const repo = await gitServer.createRepo('target');
    await repo.commit(appFiles({ version: 'target-v1' }), 'v1');
    const attempts = [
      {
        field: 'source.ref',
        repository: repo.url,
        ref: `--upload-pack=touch ${canary};git-upload-pack`,
      },
      { field: 'source.ref', repository: repo.url, ref: '-x' },
      { field: 'source.repository', repository: `ext::sh -c touch% ${canary}`, ref: 'main' },
      { field: 'source.repository', repository: `--upload-pack=touch ${canary}`, ref: 'main' },
    ];
    for (const attempt of attempts) {
      const res = await api<Service & ErrorBody>(
        stage.cp,
        'POST',
        `/api/v1/environments/${stage.environmentId}/services`,
        {
          name: 'inject',
          source: { type: 'git', repository: attempt.repository, ref: attempt.ref },
          healthcheck: QUICK_CHECK,
        },
      );
      if (res.status === 201) {
        stage.serviceIds.push(res.body.id);
        await deployAndWait(stage, res.body.id, { expect: 'failed' });
      } else {
        expect(res.status, JSON.stringify(attempt)).toBe(400);
        expect(res.body.error.fields?.map((f) => f.path)).toContain(attempt.field);
      }
      expect(existsSync(canary), JSON.stringify(attempt)).toBe(false);
    }

    // the same through Save on a service that is serving: refused, or failed with v1 still up
    const { service, port } = await servingV1('patched', QUICK_CHECK);
    for (const ref of ['-x', `--upload-pack=touch ${canary};git-upload-pack`]) {
      const res = await api<ErrorBody>(stage.cp, 'PATCH', `/api/v1/services/${service.id}`, {
        source: { type: 'git', repository: repo.url, ref },
      });
      if (res.status === 200) {
        await deployAndWait(stage, service.id, { expect: 'failed' });
      } else {
        expect(res.status).toBe(400);
        expect(res.body.error.fields?.map((f) => f.path)).toContain('source.ref');
      }
      expect(existsSync(canary)).toBe(false);
      await expectServes(port, 'patched-v1');
    }
  });

  it('SIGKILL of the agent during a build: the deployment shows contact lost, not an outcome, until the restarted agent reports it failed; jobs wait for the agent and then run', async () => {
    const marker = `killed-${run}`;
    const repo = await gitServer.createRepo('killed');
    await repo.commit(appFiles({ version: 'killed-v1', marker, buildSleepSeconds: 30 }), 'slow');
    const port = await freePort();
    const service = await createService(stage, {
      name: 'killed',
      source: { type: 'git', repository: repo.url, ref: 'main' },
      ports: [{ container: APP_PORT, host: port }],
      healthcheck: QUICK_CHECK,
    });
    const queued = await deploy(stage, service.id);
    await waitFor(
      'the build to be running',
      async () =>
        hasLine(await readLog(stage, queued.deployment.id), 'build', markerOutput(marker)),
      { timeoutMs: 60_000, intervalMs: 200 },
    );

    stage.agent.process.kill('SIGKILL');
    await stage.agent.process.exited;
    const livenessMs = Number(FAST_TIMING.BERTH_LIVENESS_TIMEOUT_MS);
    // Within the liveness window (plus slack for the heartbeat and the check), the deployment
    // says its agent is out of contact; losing contact is not an outcome.
    const lost = await waitFor(
      'the deployment to show contact lost',
      async () => {
        const d = await getDeployment(stage, queued.deployment.id);
        return d.contact === 'lost' ? d : null;
      },
      { timeoutMs: livenessMs + 7_000, intervalMs: 200 },
    );
    expect(isFinal(lost.status)).toBe(false);
    expect(Date.parse(lost.contactLostAt!)).not.toBeNaN();
    expect((await getJob(stage, queued.job.id)).contact).toBe('lost');

    // A job queued while the server is offline waits for it. Nothing tells when the
    // dispatcher has passed over a job it leaves queued (it looks at the queue on every
    // enqueue, finish and connect), so a short window is the only way to see it stay.
    await repo.commit(appFiles({ version: 'killed-v2' }), 'fast');
    const next = await deploy(stage, service.id);
    await sleep(1_500);
    expect((await getJob(stage, next.job.id)).status).toBe('queued');

    const restartedAt = Date.now();
    stage.agent = await restartAgent(stage.agent);
    await waitForAgentConnected(stage.agent);
    const done = await waitForFinished(stage, next);
    await expectDeploymentStatus(stage, done.deployment, 'succeeded');
    await expectServes(port, 'killed-v2');
    expect(ms(done.job.startedAt)).toBeGreaterThan(restartedAt);

    // The restarted agent reports the killed build as failed, and does not run it again.
    const killed = await getDeployment(stage, queued.deployment.id);
    expect(killed.status).toBe('failed');
    expect(killed.error).toMatch(/agent restarted/i);
    expect(killed.contact).toBeUndefined();
    expect((await getJob(stage, queued.job.id)).status).toBe('failed');
    const containers = await containersOf(service.id);
    expect(containers.map((c) => c.labels['berth.deployment'])).toEqual([done.deployment.id]);
  });
});
