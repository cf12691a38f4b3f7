import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './support/api.js';
import { enrollBareServer } from './support/raw-agent.js';
import { startControlPlane, stopAll, type ControlPlane } from './support/processes.js';

interface ErrorBody {
  error: { code: string; message: string; fields?: { path: string; message: string }[] };
}

describe('HTTP API guards', () => {
  let cp: ControlPlane;

  beforeAll(async () => {
    cp = await startControlPlane();
  });
  afterAll(stopAll);

  it('answers 401 without a token or with a wrong one, and 200 with the right one', async () => {
    for (const token of [null, 'wrong-token', `${cp.token}x`]) {
      const res = await api<ErrorBody>(cp, 'GET', '/api/v1/servers', undefined, { token });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
    }
    expect((await api(cp, 'GET', '/api/v1/servers')).status).toBe(200);
  });

  it('keeps the generated admin token in a 0600 file and keeps /healthz and /metrics open without secrets', async () => {
    const { statSync } = await import('node:fs');
    expect(statSync(`${cp.dataDir}/admin-token`).mode & 0o777).toBe(0o600);
    expect((await fetch(`${cp.url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${cp.url}/metrics`)).text();
    expect(metrics).toMatch(/^berth_/m);
    expect(metrics).not.toContain(cp.token);
  });

  it('answers 400 naming every bad field, and stores nothing', async () => {
    const project = await api<{ id: string }>(cp, 'POST', '/api/v1/projects', { name: 'p' });
    const bad = await api<ErrorBody>(cp, 'POST', '/api/v1/projects', { name: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_INPUT');
    expect(bad.body.error.fields?.map((f) => f.path)).toContain('name');

    const env = await api<ErrorBody>(
      cp,
      'POST',
      `/api/v1/projects/${project.body.id}/environments`,
      {
        name: 'prod',
        serverId: 'srv_missing',
      },
    );
    expect(env.status).toBe(400);
    expect(JSON.stringify(env.body.error)).toContain('serverId');
    expect(
      (await api<unknown[]>(cp, 'GET', `/api/v1/projects/${project.body.id}/environments`)).body,
    ).toEqual([]);

    const invalidJson = await api<ErrorBody>(cp, 'POST', '/api/v1/projects', undefined, {
      rawBody: '{"name":',
    });
    expect(invalidJson.status).toBe(400);
    expect(invalidJson.body.error.code).toBe('INVALID_INPUT');
  });

  it('validates a service fully: source, ports, env and health check, naming each bad field', async () => {
    const { agentId: serverId } = await enrollBareServer(cp);
    const project = await api<{ id: string }>(cp, 'POST', '/api/v1/projects', { name: 'shop' });
    const env = await api<{ id: string }>(
      cp,
      'POST',
      `/api/v1/projects/${project.body.id}/environments`,
      {
        name: 'prod',
        serverId,
      },
    );
    expect(env.status).toBe(201);
    const path = `/api/v1/environments/${env.body.id}/services`;

    const bad = await api<ErrorBody>(cp, 'POST', path, {
      name: 'web',
      source: {
        type: 'git',
        repository: 'https://example.test/app.git',
        ref: '--upload-pack=touch /tmp/x',
        dockerfile: '../../etc/passwd',
      },
      ports: [{ container: 80, host: 70000 }],
      env: { '1BAD': 'x' },
      healthcheck: { type: 'http', port: 0 },
    });
    expect(bad.status).toBe(400);
    const paths = bad.body.error.fields?.map((f) => f.path) ?? [];
    for (const field of [
      'source.ref',
      'source.dockerfile',
      'ports.0.host',
      'env.1BAD',
      'healthcheck.port',
    ]) {
      expect(
        paths.some((p) => p.startsWith(field)),
        `${field} in ${paths.join(', ')}`,
      ).toBe(true);
    }
    expect(bad.body.error.message).toContain('source.ref');

    const badImage = await api<ErrorBody>(cp, 'POST', path, {
      name: 'img',
      source: { type: 'image', image: 'Not An Image' },
    });
    expect(badImage.status).toBe(400);
    expect(badImage.body.error.fields?.map((f) => f.path)).toContain('source.image');
    expect((await api<unknown[]>(cp, 'GET', path)).body).toEqual([]);

    const good = await api<{
      id: string;
      status: string;
      primaryAction: string;
      healthcheck: unknown;
      ports: unknown;
    }>(cp, 'POST', path, {
      name: 'web',
      source: { type: 'image', image: '127.0.0.1:5000/app@sha256:' + 'a'.repeat(64) },
      ports: [{ container: 80, host: 8081 }],
    });
    expect(good.status).toBe(201);
    expect(good.body).toMatchObject({
      status: 'never-deployed',
      primaryAction: 'deploy',
      healthcheck: { type: 'running', seconds: 3 },
      ports: [{ container: 80, host: 8081, hostIp: '0.0.0.0' }],
    });
    const patched = await api<ErrorBody>(cp, 'PATCH', `/api/v1/services/${good.body.id}`, {
      source: { type: 'git', repository: '-oProxyCommand=x', ref: 'main' },
    });
    expect(patched.status).toBe(400);
    expect(patched.body.error.fields?.map((f) => f.path)).toContain('source.repository');
  });

  it('answers 404 for unknown ids and routes', async () => {
    const res = await api<ErrorBody>(cp, 'GET', '/api/v1/services/svc_nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect((await api(cp, 'DELETE', '/api/v1/servers/srv_nope')).status).toBe(404);
    expect((await api(cp, 'GET', '/api/v1/no-such-thing')).status).toBe(404);
  });
});
