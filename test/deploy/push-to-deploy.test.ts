import type { WebhookDelivery, WebhookInfo } from '@berth/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/api.js';
import { APP_PORT, appFiles, uniqueId } from '../support/app-fixture.js';
import { expectServes } from '../support/app-http.js';
import {
  QUICK_CHECK,
  createService,
  expectDeploymentStatus,
  listDeployments,
  startStage,
  stopStage,
  waitForDeployment,
  type Service,
  type Stage,
} from '../support/deploy-helpers.js';
import { dockerOrSkip } from '../support/docker.js';
import { GitServer, type GitRepo } from '../support/git-server.js';
import { freePort } from '../support/ports.js';
import {
  gitlabPushPayload,
  postWebhook,
  pushPayload,
  signedHeaders,
} from '../support/push-webhooks.js';

const hasDocker = dockerOrSkip();

describe.skipIf(!hasDocker)('push-to-deploy webhooks', () => {
  const run = uniqueId();
  let stage: Stage;
  let gitServer: GitServer;
  let repo: GitRepo;
  let service: Service;
  let port: number;
  let secret: string;

  const deliveries = async () => {
    const res = await api<WebhookDelivery[]>(
      stage.cp,
      'GET',
      `/api/v1/services/${service.id}/webhook/deliveries`,
    );
    expect(res.status).toBe(200);
    return res.body;
  };

  beforeAll(async () => {
    gitServer = await GitServer.start();
    stage = await startStage('push-deploy');
    repo = await gitServer.createRepo('app');
    port = await freePort();
    await repo.commit(appFiles({ version: 'v1', marker: `push-${run}` }), 'v1');
    service = await createService(stage, {
      name: 'web',
      source: { type: 'git', repository: repo.url, ref: 'main' },
      ports: [{ container: APP_PORT, host: port }],
      healthcheck: QUICK_CHECK,
      deployOnPush: true,
    });
    const webhook = await api<WebhookInfo>(
      stage.cp,
      'GET',
      `/api/v1/services/${service.id}/webhook`,
    );
    expect(webhook.status).toBe(200);
    expect(webhook.body.url).toBe(`${stage.cp.url}/webhooks/git/${service.id}`);
    secret = webhook.body.secret;
    expect(secret.length).toBeGreaterThanOrEqual(32);
  });
  afterAll(async () => {
    await stopStage(stage);
    await gitServer?.stop();
  });

  it('a signed GitHub push deploys the pushed commit; a repeat of the delivery queues nothing', async () => {
    expect(service.deployOnPush).toBe(true);
    const sha = await repo.commit(appFiles({ version: 'pushed-v2' }), 'v2');
    // The branch moves on after the push: the deployment must still run the pushed commit.
    await repo.commit(appFiles({ version: 'later-v3' }), 'v3');
    const body = JSON.stringify(
      pushPayload({ ref: 'refs/heads/main', after: sha, repositoryUrl: repo.url }),
    );
    const headers = signedHeaders('github', secret, body, { deliveryId: `gh-${run}` });
    const answer = await postWebhook(stage.cp, service.id, body, headers);
    expect(answer.status).toBe(202);
    expect(answer.elapsedMs).toBeLessThan(1000);
    expect(answer.body).toMatchObject({ outcome: 'queued', provider: 'github', commit: sha });
    const deploymentId = answer.body.deploymentId as string;

    const repeat = await postWebhook(stage.cp, service.id, body, headers);
    expect(repeat.status).toBe(200);
    expect(repeat.body).toMatchObject({ outcome: 'ignored' });
    expect(String(repeat.body.reason)).toMatch(/already received/);

    const deployment = await waitForDeployment(stage, deploymentId);
    await expectDeploymentStatus(stage, deployment, 'succeeded');
    expect(deployment).toMatchObject({
      trigger: 'push',
      cache: 'use-existing',
      source: { type: 'git', commit: sha },
    });
    await expectServes(port, 'pushed-v2');
    expect(await listDeployments(stage, service.id)).toHaveLength(1);
    const [last, first] = await deliveries();
    expect(first).toMatchObject({ outcome: 'queued', deliveryId: `gh-${run}`, deploymentId });
    expect(last).toMatchObject({ outcome: 'ignored', deliveryId: `gh-${run}` });
  });

  it('a bad or missing signature is 401 and queues nothing', async () => {
    const before = await listDeployments(stage, service.id);
    const sha = await repo.sha('HEAD');
    const body = JSON.stringify(
      pushPayload({ ref: 'refs/heads/main', after: sha, repositoryUrl: repo.url }),
    );
    const wrong = signedHeaders('github', 'not-the-secret', body);
    expect((await postWebhook(stage.cp, service.id, body, wrong)).status).toBe(401);
    // Signed over another body: the signature must cover the exact bytes.
    const replayed = signedHeaders('gitea', secret, `${body} `);
    expect((await postWebhook(stage.cp, service.id, body, replayed)).status).toBe(401);
    const { 'x-hub-signature-256': _dropped, ...unsigned } = signedHeaders('github', secret, body);
    expect((await postWebhook(stage.cp, service.id, body, unsigned)).status).toBe(401);
    const gitlabWrong = signedHeaders('gitlab', `${secret}x`, body);
    expect((await postWebhook(stage.cp, service.id, body, gitlabWrong)).status).toBe(401);

    expect(await listDeployments(stage, service.id)).toEqual(before);
    const refused = (await deliveries()).slice(0, 4);
    expect(refused.map((d) => d.outcome)).toEqual(['refused', 'refused', 'refused', 'refused']);
    expect(refused[0]?.reason).toMatch(/X-Gitlab-Token/);
  });

  it('a ping and a push to another branch are ignored, with the reason in the deliveries', async () => {
    const before = await listDeployments(stage, service.id);
    const ping = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
    const pinged = await postWebhook(
      stage.cp,
      service.id,
      ping,
      signedHeaders('github', secret, ping, { event: 'ping' }),
    );
    expect(pinged.status).toBe(202);
    expect(pinged.body).toMatchObject({ outcome: 'ignored', event: 'ping' });

    const sha = await repo.sha('HEAD');
    const body = JSON.stringify(
      pushPayload({ ref: 'refs/heads/feature', after: sha, repositoryUrl: repo.url }),
    );
    const other = await postWebhook(
      stage.cp,
      service.id,
      body,
      signedHeaders('github', secret, body),
    );
    expect(other.status).toBe(202);
    const [latest] = await deliveries();
    expect(latest).toMatchObject({ outcome: 'ignored', ref: 'refs/heads/feature' });
    expect(latest?.reason).toMatch(/follows the branch main/);
    expect(await listDeployments(stage, service.id)).toEqual(before);
  });

  it('a GitLab push and a Gitea push each queue a deployment of their commit', async () => {
    /** Commits a new version, pushes it as the provider would, and expects it queued. */
    const pushNewCommit = async (provider: 'gitlab' | 'gitea', version: string) => {
      const sha = await repo.commit(appFiles({ version }), version);
      const payload = provider === 'gitlab' ? gitlabPushPayload : pushPayload;
      const body = JSON.stringify(
        payload({ ref: 'refs/heads/main', after: sha, repositoryUrl: repo.url }),
      );
      const answer = await postWebhook(
        stage.cp,
        service.id,
        body,
        signedHeaders(provider, secret, body),
      );
      expect(answer.status).toBe(202);
      expect(answer.body).toMatchObject({ outcome: 'queued', provider, commit: sha });
      return { sha, answer };
    };
    const { sha: gitlabSha, answer: gitlab } = await pushNewCommit('gitlab', 'gitlab-v4');
    const { sha: giteaSha, answer: gitea } = await pushNewCommit('gitea', 'gitea-v5');

    const fromGitlab = await waitForDeployment(stage, gitlab.body.deploymentId as string);
    await expectDeploymentStatus(stage, fromGitlab, 'succeeded');
    expect(fromGitlab).toMatchObject({ trigger: 'push', source: { commit: gitlabSha } });
    const fromGitea = await waitForDeployment(stage, gitea.body.deploymentId as string);
    await expectDeploymentStatus(stage, fromGitea, 'succeeded');
    expect(fromGitea).toMatchObject({ trigger: 'push', source: { commit: giteaSha } });
    await expectServes(port, 'gitea-v5');
  });

  it('a service with deploy on push off answers 409 and queues nothing', async () => {
    const patched = await api<Service>(stage.cp, 'PATCH', `/api/v1/services/${service.id}`, {
      deployOnPush: false,
    });
    expect(patched.body.deployOnPush).toBe(false);
    const before = await listDeployments(stage, service.id);
    const sha = await repo.sha('HEAD');
    const body = JSON.stringify(
      pushPayload({ ref: 'refs/heads/main', after: sha, repositoryUrl: repo.url }),
    );
    const answer = await postWebhook(
      stage.cp,
      service.id,
      body,
      signedHeaders('github', secret, body),
    );
    expect(answer.status).toBe(409);
    expect(await listDeployments(stage, service.id)).toEqual(before);
    expect((await deliveries())[0]?.reason).toMatch(/deploy on push is off/);
  });
});
