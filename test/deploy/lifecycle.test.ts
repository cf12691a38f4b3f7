import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appFiles } from '../support/app-fixture.js';
import { containersOf, runningContainerOf, sameImageId } from '../support/berth-docker.js';
import { expectNoAnswer, expectServes } from '../support/app-http.js';
import {
  deployAndWait,
  getService,
  listDeployments,
  ms,
  postAction,
  waitForJob,
  waitForServiceStatus,
  type ActionResponse,
  type Deployment,
  type ErrorBody,
  type Service,
  type Stage,
} from '../support/deploy-helpers.js';
import { dockerOrSkip } from '../support/docker.js';
import { startGitAppStage, type GitAppStage } from '../support/git-app-stage.js';
import type { GitRepo } from '../support/git-server.js';

const hasDocker = dockerOrSkip();

describe.skipIf(!hasDocker)('restart and stop', () => {
  let stage: Stage;
  let repo: GitRepo;
  let service: Service;
  let port: number;
  let first: Deployment;

  let app: GitAppStage | undefined;

  beforeAll(async () => {
    app = await startGitAppStage('lifecycle', appFiles({ version: 'r1' }));
    ({ stage, repo, service, port } = app);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('refuses Restart with 409 NO_DEPLOYMENT before the first deploy, then restarts the current release without rebuilding', async () => {
    const refused = await postAction<ErrorBody>(stage, `/services/${service.id}/restart`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('NO_DEPLOYMENT');
    expect(refused.body.error.message.length).toBeGreaterThan(10);
    expect(await listDeployments(stage, service.id)).toEqual([]);
    expect((await getService(stage, service.id)).status).toBe('never-deployed');

    first = await deployAndWait(stage, service.id);
    await expectServes(port, 'r1');
    const before = await runningContainerOf(service.id);

    // new code on the branch must not reach the container through a restart
    await repo.commit(appFiles({ version: 'r2' }), 'r2');
    const answer = await postAction<ActionResponse>(stage, `/services/${service.id}/restart`);
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({
      message: 'Added to queue',
      job: { serviceId: service.id, kind: 'restart' },
    });
    expect(answer.body.deployment ?? undefined).toBeUndefined();
    const job = await waitForJob(stage, answer.body.job.id);
    expect(job).toMatchObject({ kind: 'restart', status: 'succeeded' });

    const after = await runningContainerOf(service.id);
    expect(ms(after.startedAt)).toBeGreaterThan(ms(before.startedAt));
    expect(ms(after.startedAt)).toBeGreaterThanOrEqual(ms(job.createdAt) - 1_000);
    expect(after.labels['berth.deployment']).toBe(first.id);
    expect(sameImageId(first.imageId, after.imageId)).toBe(true);
    await expectServes(port, 'r1');
    expect((await listDeployments(stage, service.id)).map((d) => d.id)).toEqual([first.id]);
    expect(await waitForServiceStatus(stage, service.id, 'running')).toMatchObject({
      currentDeploymentId: first.id,
    });
  });

  it('stops the service, then starts it again through Deploy', async () => {
    const answer = await postAction<ActionResponse>(stage, `/services/${service.id}/stop`);
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({
      message: 'Added to queue',
      job: { serviceId: service.id, kind: 'stop' },
    });
    expect(answer.body.deployment ?? undefined).toBeUndefined();
    const job = await waitForJob(stage, answer.body.job.id);
    expect(job).toMatchObject({ kind: 'stop', status: 'succeeded' });

    await expectNoAnswer(port);
    expect(await containersOf(service.id, { runningOnly: true })).toEqual([]);
    const stopped = await waitForServiceStatus(stage, service.id, 'stopped');
    expect(stopped.primaryAction).toBe('redeploy');
    expect((await listDeployments(stage, service.id)).map((d) => d.id)).toEqual([first.id]);

    const again = await deployAndWait(stage, service.id);
    expect(again).toMatchObject({ number: 2, trigger: 'redeploy' });
    await expectServes(port, 'r2');
    expect((await runningContainerOf(service.id)).labels['berth.deployment']).toBe(again.id);
    expect(await waitForServiceStatus(stage, service.id, 'running')).toMatchObject({
      currentDeploymentId: again.id,
    });
  });
});
