import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTestApp } from '../http/testing.js';
import { DELIVERIES_KEPT, REFUSED_KEPT } from './deliveries.js';

const SHA = 'a'.repeat(40);
const OTHER_SHA = 'b'.repeat(40);
const hmac = (secret: string, body: string) =>
  createHmac('sha256', secret).update(body).digest('hex');

function push(ref: string, after: string): string {
  return JSON.stringify({
    ref,
    before: OTHER_SHA,
    after,
    repository: { full_name: 'team/app', clone_url: 'https://example.com/team/app.git' },
    commits: [{ id: after, message: 'change' }],
  });
}

function gitlabPush(ref: string, after: string): string {
  return JSON.stringify({
    object_kind: 'push',
    ref,
    before: OTHER_SHA,
    after,
    checkout_sha: /^0+$/.test(after) ? null : after,
    project: { path_with_namespace: 'team/app' },
    repository: { name: 'app', url: 'git@example.com:team/app.git' },
  });
}

type Provider = 'github' | 'gitlab' | 'gitea' | 'forgejo';

function headersOf(
  provider: Provider,
  secret: string,
  body: string,
  deliveryId: string,
): Record<string, string> {
  switch (provider) {
    case 'github':
      return {
        'x-github-event': 'push',
        'x-github-delivery': deliveryId,
        'x-hub-signature-256': `sha256=${hmac(secret, body)}`,
      };
    case 'gitlab':
      return {
        'x-gitlab-event': 'Push Hook',
        'x-gitlab-event-uuid': deliveryId,
        'x-gitlab-token': secret,
      };
    case 'gitea':
      return {
        'x-gitea-event': 'push',
        'x-gitea-delivery': deliveryId,
        'x-gitea-signature': hmac(secret, body),
        'x-github-event': 'push',
      };
    case 'forgejo':
      return {
        'x-forgejo-event': 'push',
        'x-forgejo-delivery': deliveryId,
        'x-forgejo-signature': hmac(secret, body),
        'x-gitea-event': 'push',
      };
  }
}

async function setup(options: { ref?: string; deployOnPush?: boolean } = {}) {
  const t = await createTestApp({ withQueue: true, publicUrl: 'https://berth.example.com' });
  await t.addServer('srv_a');
  const project = (await t.call('POST', '/api/v1/projects', { body: { name: 'Shop' } })).json;
  const env = (
    await t.call('POST', `/api/v1/projects/${project.id}/environments`, {
      body: { name: 'prod', serverId: 'srv_a' },
    })
  ).json;
  const service = (
    await t.call('POST', `/api/v1/environments/${env.id}/services`, {
      body: {
        name: 'web',
        source: {
          type: 'git',
          repository: 'https://example.com/team/app.git',
          ref: options.ref ?? 'main',
        },
        deployOnPush: options.deployOnPush ?? true,
      },
    })
  ).json;
  const webhook = (await t.call('GET', `/api/v1/services/${service.id}/webhook`)).json;
  let n = 0;
  const deliver = (
    body: string,
    options: {
      provider?: Provider;
      secret?: string;
      deliveryId?: string;
      headers?: Record<string, string>;
    } = {},
  ) =>
    t.call('POST', `/webhooks/git/${service.id}`, {
      token: null,
      body,
      headers: {
        ...headersOf(
          options.provider ?? 'github',
          options.secret ?? webhook.secret,
          body,
          options.deliveryId ?? `delivery-${++n}`,
        ),
        ...options.headers,
      },
    });
  const deployments = async () =>
    (await t.call('GET', `/api/v1/services/${service.id}/deployments`)).json as {
      id: string;
      trigger: string;
      source: { ref: string; commit?: string };
    }[];
  const deliveries = async () =>
    (await t.call('GET', `/api/v1/services/${service.id}/webhook/deliveries`)).json as {
      outcome: string;
      reason?: string;
    }[];
  return { ...t, service, webhook, deliver, deployments, deliveries };
}

describe('push webhooks', () => {
  it('gives each git service a URL and a secret, and a new secret on rotate', async () => {
    const { service, webhook, call, deliver } = await setup();
    expect(webhook.url).toBe(`https://berth.example.com/webhooks/git/${service.id}`);
    expect(webhook.secret).toMatch(/^[0-9a-f]{64}$/);
    expect((await call('GET', `/api/v1/services/${service.id}/webhook`)).json).toEqual(webhook);
    const rotated = (await call('POST', `/api/v1/services/${service.id}/webhook/rotate`)).json;
    expect(rotated.secret).not.toBe(webhook.secret);
    // The old secret no longer signs.
    expect((await deliver(push('refs/heads/main', SHA))).status).toBe(401);
    expect((await deliver(push('refs/heads/main', SHA), { secret: rotated.secret })).status).toBe(
      202,
    );
    // The service itself never shows the secret.
    const shown = (await call('GET', `/api/v1/services/${service.id}`)).text;
    expect(shown).not.toContain(rotated.secret);
    expect(JSON.parse(shown).deployOnPush).toBe(true);
  });

  it.each<Provider>(['github', 'gitlab', 'gitea', 'forgejo'])(
    'a %s push to the branch queues a deployment of the pushed commit; a wrong secret is 401',
    async (provider) => {
      const { deliver, deployments, deployments: list, deliveries } = await setup();
      const body =
        provider === 'gitlab' ? gitlabPush('refs/heads/main', SHA) : push('refs/heads/main', SHA);
      const refused = await deliver(body, { provider, secret: 'wrong-secret' });
      expect(refused.status).toBe(401);
      expect(refused.json.error.code).toBe('UNAUTHORIZED');
      expect(await list()).toEqual([]);

      const res = await deliver(body, { provider });
      expect(res.status).toBe(202);
      expect(res.json).toMatchObject({
        outcome: 'queued',
        provider,
        ref: 'refs/heads/main',
        commit: SHA,
      });
      const [deployment] = await deployments();
      expect(deployment).toMatchObject({
        id: res.json.deploymentId,
        trigger: 'push',
        source: { ref: SHA, commit: SHA },
      });
      expect((await deliveries()).map((d) => d.outcome)).toEqual(['queued', 'refused']);
    },
  );

  it('checks the signature over the exact bytes received', async () => {
    const { deliver, deployments } = await setup();
    const body = push('refs/heads/main', SHA);
    const signedOther = { 'x-hub-signature-256': `sha256=${hmac('x', body)}` };
    expect((await deliver(body, { headers: signedOther })).status).toBe(401);
    const truncated = { 'x-hub-signature-256': `sha256=${hmac('x', body).slice(0, 10)}` };
    expect((await deliver(body, { headers: truncated })).status).toBe(401);
    const gitea = { 'x-gitea-signature': hmac('wrong', body) };
    expect((await deliver(body, { provider: 'gitea', headers: gitea })).status).toBe(401);
    expect(await deployments()).toEqual([]);
  });

  it('queues a delivery id once', async () => {
    const { deliver, deployments, deliveries } = await setup();
    const body = push('refs/heads/main', SHA);
    const [first, second] = await Promise.all([
      deliver(body, { deliveryId: 'same' }),
      deliver(body, { deliveryId: 'same' }),
    ]);
    expect([first.status, second.status].sort()).toEqual([200, 202]);
    expect(await deployments()).toHaveLength(1);
    expect((await deliveries())[0]?.reason).toMatch(/already received/);
    // A GitLab delivery with its own id is another delivery.
    expect((await deliver(gitlabPush('refs/heads/main', SHA), { provider: 'gitlab' })).status).toBe(
      202,
    );
    expect(await deployments()).toHaveLength(2);
  });

  it('ignores pushes to other branches, tags, branch deletions and pings, saying why', async () => {
    const { deliver, deployments, deliveries } = await setup({ ref: 'refs/heads/main' });
    const other = await deliver(push('refs/heads/main-old', SHA));
    expect(other.status).toBe(202);
    expect(other.json).toMatchObject({ outcome: 'ignored' });
    expect(other.json.reason).toBe(
      'the push moved refs/heads/main-old; the service follows the branch main',
    );
    expect((await deliver(push('refs/tags/main', SHA))).json.outcome).toBe('ignored');
    const deleted = await deliver(push('refs/heads/main', '0'.repeat(40)));
    expect(deleted.json).toMatchObject({
      outcome: 'ignored',
      reason: 'the push deleted refs/heads/main',
    });
    const ping = JSON.stringify({ zen: 'Design for failure.', hook_id: 1 });
    const pinged = await deliver(ping, { headers: { 'x-github-event': 'ping' } });
    expect(pinged.json).toMatchObject({ outcome: 'ignored', event: 'ping' });
    expect(await deployments()).toEqual([]);
    expect((await deliveries()).map((d) => d.outcome)).toEqual([
      'ignored',
      'ignored',
      'ignored',
      'ignored',
    ]);
  });

  it('refuses a signed payload without the fields it needs', async () => {
    const { deliver, deployments } = await setup();
    const res = await deliver(
      JSON.stringify({ ref: 'refs/heads/main', after: 'not-a-sha', repository: {} }),
    );
    expect(res.status).toBe(400);
    expect(res.json.error.message).toMatch(/after/);
    expect(await deployments()).toEqual([]);
  });

  it('answers 409 with the reason when deploy on push is off, and 409 for a service that is not git', async () => {
    const { deliver, deployments, deliveries, call, service } = await setup({
      deployOnPush: false,
    });
    const res = await deliver(push('refs/heads/main', SHA));
    expect(res.status).toBe(409);
    expect(res.json.error.message).toMatch(/deploy on push is off/);
    expect((await deliveries())[0]).toMatchObject({ outcome: 'refused' });
    expect(await deployments()).toEqual([]);

    const image = await call('PATCH', `/api/v1/services/${service.id}`, {
      body: { source: { type: 'image', image: 'nginx:1' }, deployOnPush: true },
    });
    expect(image.status).toBe(400);
    await call('PATCH', `/api/v1/services/${service.id}`, {
      body: { source: { type: 'image', image: 'nginx:1' } },
    });
    expect((await deliver(push('refs/heads/main', SHA))).status).toBe(409);
    expect((await call('GET', `/api/v1/services/${service.id}/webhook`)).status).toBe(409);
  });

  it('answers 413 to a body over 1 MiB, and 404 for an unknown service', async () => {
    const { deliver, call } = await setup();
    const big = JSON.stringify({ ref: 'refs/heads/main', padding: 'x'.repeat(1024 * 1024) });
    expect((await deliver(big)).status).toBe(413);
    const res = await call('POST', '/webhooks/git/svc_nope', { token: null, body: '{}' });
    expect(res.status).toBe(404);
  });

  it('keeps the last deliveries, newest first, and only a few refused ones', async () => {
    const { deliver, deliveries } = await setup();
    for (let i = 0; i < REFUSED_KEPT + 5; i++) {
      await deliver(push('refs/heads/main', SHA), { secret: 'wrong' });
    }
    expect(await deliveries()).toHaveLength(REFUSED_KEPT);
    for (let i = 0; i < DELIVERIES_KEPT; i++) await deliver(push(`refs/heads/other-${i}`, SHA));
    const kept = await deliveries();
    expect(kept).toHaveLength(DELIVERIES_KEPT);
    expect(kept[0]?.reason).toMatch(`other-${DELIVERIES_KEPT - 1};`);
    expect(kept.filter((d) => d.outcome === 'refused')).toHaveLength(0);
  });
});
