import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './support/api.js';
import { appFiles } from './support/app-fixture.js';
import { expectServes } from './support/app-http.js';
import {
  deploy,
  patchService,
  restart,
  rollback,
  stop,
  waitForDeployment,
  waitForJob,
  type Stage,
} from './support/deploy-helpers.js';
import { dockerOrSkip } from './support/docker.js';
import { startGitAppStage, type GitAppStage } from './support/git-app-stage.js';
import { restartControlPlane } from './support/processes.js';

const hasDocker = dockerOrSkip();
const PASSWORD = 'correct horse battery staple';
const SECRET = 'sk_live_team_access_5d1e';

interface Member {
  name: string;
  cookie: string;
  csrfToken: string;
}

interface AuditEntry {
  seq: number;
  action: string;
  outcome: string;
  actor: { type: string; id?: string; name: string; userId?: string };
  target?: { type: string; id: string };
}

/** The owner invites `name` with `role` in the stage's project; the invite is accepted. */
async function invite(stage: Stage, name: string, role: string): Promise<Member> {
  const made = await api<{ token: string }>(stage.cp, 'POST', '/api/v1/invites', {
    projects: { [stage.projectId]: role },
  });
  expect(made.status).toBe(201);
  const res = await fetch(`${stage.cp.url}/invites/accept`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: made.body.token, name, password: PASSWORD }),
  });
  expect(res.status).toBe(201);
  const cookie = /berth_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')![0];
  return { name, cookie, ...((await res.json()) as { csrfToken: string }) };
}

/** A call as a signed-in browser: the session cookie, and the CSRF token on changes. */
async function asMember(
  stage: Stage,
  member: Member,
  method: string,
  path: string,
  body?: unknown,
) {
  const res = await fetch(`${stage.cp.url}${path}`, {
    method,
    headers: {
      cookie: member.cookie,
      ...(method === 'GET' ? {} : { 'x-csrf-token': member.csrfToken }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    text,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

describe.skipIf(!hasDocker)('team access on a real deploy', () => {
  let app: GitAppStage;
  let stage: Stage;
  let ciToken: string;
  let ciTokenId: string;
  let dev: Member;
  let viewer: Member;

  beforeAll(async () => {
    app = await startGitAppStage('team', appFiles({ version: 't1' }));
    stage = app.stage;
    await patchService(stage, app.service.id, { env: { API_KEY: SECRET } });
    const revealed = await api(stage.cp, 'GET', `/api/v1/services/${app.service.id}/env`);
    expect(revealed.body).toEqual({ env: { API_KEY: SECRET } });
    dev = await invite(stage, 'dev', 'deployer');
    viewer = await invite(stage, 'val', 'viewer');
    const token = await asMember(stage, dev, 'POST', '/api/v1/tokens', {
      name: 'ci',
      scopes: ['deploy'],
    });
    expect(token.status).toBe(201);
    ciToken = token.json.token as string;
    ciTokenId = token.json.id as string;
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('lets a deployer token deploy for real, but answers 403 to reading env values', async () => {
    const queued = await api<{ deployment: { id: string; triggeredBy: unknown } }>(
      stage.cp,
      'POST',
      `/api/v1/services/${app.service.id}/deployments`,
      {},
      { token: ciToken },
    );
    expect(queued.status).toBe(202);
    expect(queued.body.deployment.triggeredBy).toMatchObject({
      type: 'token',
      id: ciTokenId,
      name: 'ci',
    });
    expect((await waitForDeployment(stage, queued.body.deployment.id)).status).toBe('succeeded');
    await expectServes(app.port, 't1');

    const seen = await api<{ env: Record<string, string>; secretsHidden?: boolean }>(
      stage.cp,
      'GET',
      `/api/v1/services/${app.service.id}`,
      undefined,
      { token: ciToken },
    );
    expect(seen.body).toMatchObject({ env: { API_KEY: '********' }, secretsHidden: true });
    const env = await api(stage.cp, 'GET', `/api/v1/services/${app.service.id}/env`, undefined, {
      token: ciToken,
    });
    expect(env.status).toBe(403);
    const webhook = await api(
      stage.cp,
      'GET',
      `/api/v1/services/${app.service.id}/webhook`,
      undefined,
      {
        token: ciToken,
      },
    );
    expect(webhook.status).toBe(403);
    const change = await api(
      stage.cp,
      'PATCH',
      `/api/v1/services/${app.service.id}`,
      { env: {} },
      {
        token: ciToken,
      },
    );
    expect(change.status).toBe(403);
  });

  it('lets a viewer watch, never act, and never see the secret', async () => {
    for (const path of [
      `/api/v1/services/${app.service.id}`,
      `/api/v1/services/${app.service.id}/deployments`,
      `/api/v1/environments/${stage.environmentId}/services`,
      `/api/v1/projects`,
    ]) {
      const read = await asMember(stage, viewer, 'GET', path);
      expect(read.status).toBe(200);
      expect(read.text).not.toContain(SECRET);
    }
    const refused = await asMember(
      stage,
      viewer,
      'POST',
      `/api/v1/services/${app.service.id}/restart`,
    );
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ error: { code: 'FORBIDDEN' } });
  });

  it('records every action with its actor, and keeps sessions and the log across a restart', async () => {
    const redeployed = await deploy(stage, app.service.id, 'none');
    await waitForDeployment(stage, redeployed.deployment.id);
    await waitForJob(stage, (await restart(stage, app.service.id)).id);
    const byDev = await asMember(stage, dev, 'POST', `/api/v1/services/${app.service.id}/restart`);
    expect(byDev.status).toBe(202);
    await waitForJob(stage, (byDev.json.job as { id: string }).id);
    const back = await rollback(stage, redeployed.deployment.id);
    await waitForDeployment(stage, back.deployment.id);
    await waitForJob(stage, (await stop(stage, app.service.id)).id);

    const log = await api<AuditEntry[]>(stage.cp, 'GET', '/api/v1/audit?limit=500');
    expect(log.status).toBe(200);
    const seen = (action: string, actor: Partial<AuditEntry['actor']>, outcome = 'success') =>
      expect(
        log.body.find(
          (e) =>
            e.action === action &&
            e.outcome === outcome &&
            Object.entries(actor).every(([k, v]) => e.actor[k as keyof AuditEntry['actor']] === v),
        ),
        `${action} by ${JSON.stringify(actor)} (${outcome})`,
      ).toBeDefined();
    seen('invite.create', { type: 'admin-token' });
    seen('invite.accept', { type: 'user', name: 'dev' });
    seen('token.create', { type: 'user', name: 'dev' });
    seen('service.update', { type: 'admin-token' });
    seen('service.deploy', { type: 'token', name: 'ci' });
    seen('service.update', { type: 'token', name: 'ci' }, 'denied');
    seen('secret.reveal', { type: 'token', name: 'ci' }, 'denied');
    seen('secret.reveal', { type: 'admin-token' });
    seen('service.restart', { type: 'user', name: 'val' }, 'denied');
    seen('service.restart', { type: 'user', name: 'dev' });
    seen('service.deploy', { type: 'admin-token' });
    seen('deployment.rollback', { type: 'admin-token' });
    seen('service.stop', { type: 'admin-token' });
    for (const entry of log.body) expect(entry.actor.name.length).toBeGreaterThan(0);

    stage.cp.process.kill('SIGTERM');
    await stage.cp.process.exited;
    stage.cp = await restartControlPlane(stage.cp);
    const me = await asMember(stage, dev, 'GET', '/api/v1/users/me');
    expect(me.json).toMatchObject({ name: 'dev', projects: { [stage.projectId]: 'deployer' } });
    const after = await asMember(
      stage,
      dev,
      'POST',
      `/api/v1/services/${app.service.id}/deployments`,
      {},
    );
    expect(after.status).toBe(202);
    await waitForDeployment(stage, (after.json.deployment as { id: string }).id);
    const newest = await api<AuditEntry[]>(stage.cp, 'GET', '/api/v1/audit?limit=1');
    expect(newest.body[0]).toMatchObject({ action: 'service.deploy', actor: { name: 'dev' } });
    expect(newest.body[0]!.seq).toBeGreaterThan(Math.max(...log.body.map((e) => e.seq)));
  });
});
