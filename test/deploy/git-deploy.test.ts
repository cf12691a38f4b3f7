import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APP_PORT,
  appFiles,
  markerOutput,
  pushBaseImage,
  uniqueId,
} from '../support/app-fixture.js';
import {
  containersOf,
  inspectImage,
  runningContainerOf,
  sameImageId,
} from '../support/berth-docker.js';
import { expectServes } from '../support/app-http.js';
import {
  QUICK_CHECK,
  createService,
  deployAndWait,
  expectDeploymentStatus,
  listDeployments,
  patchService,
  postAction,
  rollback,
  startStage,
  stopStage,
  waitForFinished,
  waitForServiceStatus,
  type ActionResponse,
  type Deployment,
  type Service,
  type Stage,
} from '../support/deploy-helpers.js';
import { hasLine, readLog, textsOf } from '../support/deploy-logs.js';
import { dockerOrSkip } from '../support/docker.js';
import { GitServer, type GitRepo } from '../support/git-server.js';
import { freePort } from '../support/ports.js';

const hasDocker = dockerOrSkip();

/** Build output of a step served from the layer cache (legacy builder, BuildKit). */
const CACHED_STEP = /using cache|\bCACHED\b/i;

describe.skipIf(!hasDocker)('git app deployments', () => {
  const run = uniqueId();
  const marker = `git-deploy-${run}`;
  let stage: Stage;
  let gitServer: GitServer;
  let repo: GitRepo;
  let service: Service;
  let port: number;
  let sha1: string;
  let sha2: string;
  // deployments of `service`, by number
  const deployments: Deployment[] = [];

  beforeAll(async () => {
    gitServer = await GitServer.start();
    stage = await startStage('git-deploy');
    repo = await gitServer.createRepo('app');
    port = await freePort();
  });
  afterAll(async () => {
    await stopStage(stage);
    await gitServer?.stop();
  });

  it('deploys a git app that serves its version, then redeploys a new commit', async () => {
    sha1 = await repo.commit(appFiles({ version: 'v1', marker }), 'v1');
    service = await createService(stage, {
      name: 'web',
      source: { type: 'git', repository: repo.url, ref: 'main' },
      ports: [{ container: APP_PORT, host: port }],
      healthcheck: QUICK_CHECK,
    });
    expect(service).toMatchObject({
      status: 'never-deployed',
      primaryAction: 'deploy',
      currentDeploymentId: null,
    });

    const answer = await postAction(stage, `/services/${service.id}/deployments`, {});
    expect(answer.status).toBe(202);
    const queued = answer.body;
    expect(queued).toMatchObject({
      message: 'Added to queue',
      job: { serviceId: service.id, kind: 'deploy' },
      deployment: {
        serviceId: service.id,
        number: 1,
        trigger: 'deploy',
        cache: 'use-existing',
        source: { type: 'git', repository: repo.url, ref: 'main' },
      },
    });
    expect(['queued', 'running']).toContain(queued.job.status);
    expect(queued.job.deploymentId).toBe(queued.deployment?.id);

    const first = await waitForFinished(stage, queued as Required<ActionResponse>);
    await expectDeploymentStatus(stage, first.deployment, 'succeeded');
    expect(first.job.status).toBe('succeeded');
    expect(first.deployment.source).toMatchObject({ type: 'git', ref: 'main', commit: sha1 });
    deployments[1] = first.deployment;
    await expectServes(port, 'v1');

    const container = await runningContainerOf(service.id);
    expect(container.labels).toMatchObject({
      'berth.service': service.id,
      'berth.deployment': first.deployment.id,
    });
    expect(container.init).toBe(true);
    expect(sameImageId(first.deployment.imageId, container.imageId)).toBe(true);
    if (first.deployment.containerId) {
      expect(container.id.startsWith(first.deployment.containerId)).toBe(true);
    }
    const image = await inspectImage(`berth/${service.id}:1`);
    expect(image?.id).toBe(container.imageId);
    // Recognised by its tags: image labels would cost a build step each.
    expect(image?.repoTags).toContain(`berth/${service.id}:1`);
    expect(await waitForServiceStatus(stage, service.id, 'running')).toMatchObject({
      primaryAction: 'redeploy',
      currentDeploymentId: first.deployment.id,
    });

    sha2 = await repo.commit(appFiles({ version: 'v2', marker }), 'v2');
    const second = await deployAndWait(stage, service.id);
    expect(second).toMatchObject({
      number: 2,
      trigger: 'redeploy',
      cache: 'use-existing',
      source: { commit: sha2 },
    });
    deployments[2] = second;
    await expectServes(port, 'v2');

    // the previous container is gone, its image is kept for rollbacks
    const all = await containersOf(service.id);
    expect(all.map((c) => c.labels['berth.deployment'])).toEqual([second.id]);
    expect(await inspectImage(`berth/${service.id}:1`)).not.toBeNull();
    const secondImage = await inspectImage(`berth/${service.id}:2`);
    expect(secondImage?.id).toBe(all[0]?.imageId);
    expect(sameImageId(second.imageId, all[0]!.imageId)).toBe(true);

    // only www/ changed, so the RUN step above it came from the layer cache
    const log = await readLog(stage, second.id);
    expect(hasLine(log, 'build', markerOutput(marker))).toBe(false);

    const history = await listDeployments(stage, service.id);
    expect(history.map((d) => [d.number, d.status])).toEqual([
      [2, 'succeeded'],
      [1, 'succeeded'],
    ]);
    expect((await waitForServiceStatus(stage, service.id, 'running')).currentDeploymentId).toBe(
      second.id,
    );
  });

  it('redeploys with no change: the build is skipped and the same image is reused', async () => {
    const third = await deployAndWait(stage, service.id, { cache: 'use-existing' });
    deployments[3] = third;
    expect(third).toMatchObject({
      number: 3,
      trigger: 'redeploy',
      cache: 'use-existing',
      source: { commit: sha2 },
    });
    expect(third.imageId).toBe(deployments[2]!.imageId);

    const log = await readLog(stage, third.id);
    expect(textsOf(log, 'system').some((t) => /reusing image/i.test(t))).toBe(true);
    expect(textsOf(log, 'build')).toEqual([]);

    await expectServes(port, 'v2');
    const container = await runningContainerOf(service.id);
    expect(container.labels['berth.deployment']).toBe(third.id);
    expect(sameImageId(deployments[2]!.imageId, container.imageId)).toBe(true);
  });

  it('redeploys without cache: every build step runs again', async () => {
    const fourth = await deployAndWait(stage, service.id, { cache: 'none' });
    deployments[4] = fourth;
    expect(fourth).toMatchObject({
      number: 4,
      trigger: 'redeploy',
      cache: 'none',
      source: { commit: sha2 },
    });

    const log = await readLog(stage, fourth.id);
    expect(hasLine(log, 'build', markerOutput(marker))).toBe(true);
    expect(textsOf(log, 'build').filter((t) => CACHED_STEP.test(t))).toEqual([]);
    expect(fourth.imageId).not.toBe(deployments[2]!.imageId);

    await expectServes(port, 'v2');
    const container = await runningContainerOf(service.id);
    expect(container.labels['berth.deployment']).toBe(fourth.id);
    expect((await inspectImage(`berth/${service.id}:4`))?.id).toBe(container.imageId);
  });

  it('rolls back by setting ref to an older SHA, and follows tags and other branches', async () => {
    await patchService(stage, service.id, {
      source: { type: 'git', repository: repo.url, ref: sha1 },
    });
    const bySha = await deployAndWait(stage, service.id);
    expect(bySha).toMatchObject({
      number: 5,
      trigger: 'redeploy',
      source: { type: 'git', ref: sha1, commit: sha1 },
    });
    // the branch still points at the newer commit: the commit asked for wins
    expect(await repo.sha('main')).toBe(sha2);
    await expectServes(port, 'v1');

    await repo.tag('v2.0.0', sha2);
    await patchService(stage, service.id, {
      source: { type: 'git', repository: repo.url, ref: 'v2.0.0' },
    });
    const byTag = await deployAndWait(stage, service.id);
    expect(byTag.source).toMatchObject({ ref: 'v2.0.0', commit: sha2 });
    await expectServes(port, 'v2');

    await repo.moveBranch('stable', sha1);
    await patchService(stage, service.id, {
      source: { type: 'git', repository: repo.url, ref: 'stable' },
    });
    const byBranch = await deployAndWait(stage, service.id);
    expect(byBranch.source).toMatchObject({ ref: 'stable', commit: sha1 });
    await expectServes(port, 'v1');
  });

  it('rolls back to an earlier deployment with one call: its exact image, as a new deployment', async () => {
    const target = deployments[4]!;
    const before = await listDeployments(stage, service.id);
    const answer = await postAction(stage, `/deployments/${target.id}/rollback`);
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({
      message: 'Added to queue',
      job: { serviceId: service.id, kind: 'deploy' },
      deployment: { serviceId: service.id, number: before[0]!.number + 1, trigger: 'rollback' },
    });
    const { deployment } = await waitForFinished(stage, answer.body as Required<ActionResponse>);
    await expectDeploymentStatus(stage, deployment, 'succeeded');
    expect(deployment.source).toMatchObject({ commit: sha2 });
    expect(deployment.imageId).toBe(target.imageId);

    await expectServes(port, 'v2');
    const container = await runningContainerOf(service.id);
    expect(container.labels['berth.deployment']).toBe(deployment.id);
    expect(sameImageId(target.imageId, container.imageId)).toBe(true);
    expect((await listDeployments(stage, service.id))[0]?.id).toBe(deployment.id);

    // and further back, to the first release
    const again = await rollback(stage, deployments[1]!.id);
    const back = await waitForFinished(stage, again);
    await expectDeploymentStatus(stage, back.deployment, 'succeeded');
    expect(back.deployment.imageId).toBe(deployments[1]!.imageId);
    await expectServes(port, 'v1');
  });

  it('a base image re-pushed to the registry is picked up without cache, but not with it', async () => {
    const baseTag = `base-${run}`;
    const baseA = await pushBaseImage({ tag: baseTag, content: `base-A-${run}` });
    stage.pulledImages.push(baseA.image, baseA.pinned);
    const based = await gitServer.createRepo('based');
    const basedPort = await freePort();
    await based.commit(appFiles({ version: 'b1', base: baseA.image }), 'b1');
    const app = await createService(stage, {
      name: 'based',
      source: { type: 'git', repository: based.url, ref: 'main' },
      ports: [{ container: APP_PORT, host: basedPort }],
      healthcheck: QUICK_CHECK,
    });

    await deployAndWait(stage, app.id);
    await expectServes(basedPort, 'b1');
    await expectServes(basedPort, `base-A-${run}`, { path: '/base.html' });

    const baseB = await pushBaseImage({ tag: baseTag, content: `base-B-${run}` });
    stage.pulledImages.push(baseB.pinned);
    expect(baseB.digest).not.toBe(baseA.digest);

    // a new commit is built, but on the base image the node already has
    const sha = await based.commit(appFiles({ version: 'b2', base: baseA.image }), 'b2');
    const cached = await deployAndWait(stage, app.id, { cache: 'use-existing' });
    expect(cached.source).toMatchObject({ commit: sha });
    await expectServes(basedPort, 'b2');
    await expectServes(basedPort, `base-A-${run}`, { path: '/base.html' });

    const cold = await deployAndWait(stage, app.id, { cache: 'none' });
    expect(cold).toMatchObject({ cache: 'none', source: { commit: sha } });
    await expectServes(basedPort, 'b2');
    await expectServes(basedPort, `base-B-${run}`, { path: '/base.html' });
  });
});
