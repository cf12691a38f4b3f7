import { describe, expect, it } from 'vitest';
import { addEnvironment, createTestApp } from './testing.js';

const gitSource = { type: 'git', repository: 'https://example.com/shop.git', ref: 'main' };

async function setup() {
  const changed: string[] = [];
  const t = await createTestApp({ proxySync: { serviceChanged: (id) => changed.push(id) } });
  const env = await addEnvironment(t);
  const createService = (body: Record<string, unknown>) =>
    t.call('POST', `/api/v1/environments/${env.id}/services`, {
      body: { source: gitSource, ...body },
    });
  return { ...t, env, changed, createService };
}

describe('service domains', () => {
  it('keeps domains and drainSeconds on create and PATCH, with defaults filled in', async () => {
    const { createService, call, changed } = await setup();
    const web = await createService({
      name: 'web',
      domains: [{ host: 'App.Example.com', port: 8080 }],
      drainSeconds: 5,
    });
    expect(web.status).toBe(201);
    expect(web.json.domains).toEqual([
      { host: 'app.example.com', port: 8080, https: true, redirectHttp: true, tls: 'acme' },
    ]);
    expect(web.json.drainSeconds).toBe(5);
    expect(changed).toEqual([web.json.id]);

    const patched = await call('PATCH', `/api/v1/services/${web.json.id}`, {
      body: {
        domains: [{ host: 'plain.example.com', port: 80, https: false }],
        drainSeconds: 0,
      },
    });
    expect(patched.status).toBe(200);
    expect(patched.json.domains).toEqual([
      { host: 'plain.example.com', port: 80, https: false, redirectHttp: true, tls: 'acme' },
    ]);
    expect(patched.json.drainSeconds).toBe(0);
    expect((await call('GET', `/api/v1/services/${web.json.id}`)).json).toEqual(patched.json);
    expect(changed).toEqual([web.json.id, web.json.id]);

    // A PATCH that leaves the domains as they are does not touch the proxy.
    await call('PATCH', `/api/v1/services/${web.json.id}`, { body: { env: { A: '1' } } });
    expect(changed).toHaveLength(2);
  });

  it('refuses bad hosts, a host listed twice and a drain out of range, by field', async () => {
    const { createService } = await setup();
    const cases: [Record<string, unknown>, string][] = [
      [{ domains: [{ host: 'localhost', port: 80 }] }, 'domains.0.host'],
      [{ domains: [{ host: '10.0.0.1', port: 80 }] }, 'domains.0.host'],
      [{ domains: [{ host: 'a.example.com', port: 0 }] }, 'domains.0.port'],
      [
        {
          domains: [
            { host: 'a.example.com', port: 80 },
            { host: 'A.example.com', port: 81 },
          ],
        },
        'domains.1.host',
      ],
      [{ drainSeconds: 3601 }, 'drainSeconds'],
    ];
    for (const [body, path] of cases) {
      const res = await createService({ name: 'web', ...body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error.fields.map((f: { path: string }) => f.path)).toContain(path);
    }
  });

  it('refuses domains on a database service with a message saying why', async () => {
    const { call, env } = await setup();
    const create = await call('POST', `/api/v1/environments/${env.id}/services`, {
      body: {
        name: 'db',
        source: { type: 'database', engine: 'postgres' },
        domains: [{ host: 'db.example.com', port: 5432 }],
      },
    });
    expect(create.status).toBe(400);
    expect(create.json.error.code).toBe('INVALID_INPUT');
    expect(create.json.error.message).toMatch(/database service cannot have domains/);

    const db = await call('POST', `/api/v1/environments/${env.id}/services`, {
      body: { name: 'db', source: { type: 'database', engine: 'postgres' } },
    });
    expect(db.json.domains).toEqual([]);
    const patch = await call('PATCH', `/api/v1/services/${db.json.id}`, {
      body: { domains: [{ host: 'db.example.com', port: 5432 }] },
    });
    expect(patch.status).toBe(400);
    expect(patch.json.error.fields).toEqual([
      { path: 'domains', message: 'not allowed on a database service' },
    ]);
  });

  it('refuses domains beside host ports, and takes both changed in one PATCH', async () => {
    const { createService, call } = await setup();
    const port = { container: 8080, host: 18080, hostIp: '127.0.0.1' };
    const both = await createService({
      name: 'web',
      ports: [port],
      domains: [{ host: 'web.example.com', port: 8080 }],
    });
    expect(both.status).toBe(400);
    expect(both.json.error.message).toMatch(/publishes no host ports/);

    const web = await createService({ name: 'web', ports: [port] });
    const domainsOnly = await call('PATCH', `/api/v1/services/${web.json.id}`, {
      body: { domains: [{ host: 'web.example.com', port: 8080 }] },
    });
    expect(domainsOnly.status).toBe(400);
    const moved = await call('PATCH', `/api/v1/services/${web.json.id}`, {
      body: { ports: [], domains: [{ host: 'web.example.com', port: 8080 }] },
    });
    expect(moved.status).toBe(200);
    const portsBack = await call('PATCH', `/api/v1/services/${web.json.id}`, {
      body: { ports: [port] },
    });
    expect(portsBack.status).toBe(400);
  });

  it('answers 409 naming the other service when a host is taken, in any project', async () => {
    const t = await setup();
    const web = await t.createService({
      name: 'web',
      domains: [{ host: 'shop.example.com', port: 80 }],
    });
    const other = await t.call('POST', '/api/v1/projects', { body: { name: 'Blog' } });
    const otherEnv = await t.call('POST', `/api/v1/projects/${other.json.id}/environments`, {
      body: { name: 'staging', serverId: 'srv_a' },
    });
    const body = {
      name: 'blog',
      source: gitSource,
      domains: [{ host: 'SHOP.example.com', port: 3000 }],
    };
    const clash = await t.call('POST', `/api/v1/environments/${otherEnv.json.id}/services`, {
      body,
    });
    expect(clash.status).toBe(409);
    expect(clash.json.error.code).toBe('CONFLICT');
    expect(clash.json.error.message).toContain(
      `"shop.example.com" is already a domain of service "web" (${web.json.id}) in project "Shop"`,
    );
    const blog = await t.call('POST', `/api/v1/environments/${otherEnv.json.id}/services`, {
      body: { ...body, domains: [] },
    });
    const patch = await t.call('PATCH', `/api/v1/services/${blog.json.id}`, {
      body: { domains: [{ host: 'shop.example.com', port: 3000 }] },
    });
    expect(patch.status).toBe(409);
    expect((await t.call('GET', `/api/v1/services/${blog.json.id}`)).json.domains).toEqual([]);
    // The service that has the host may keep it through its own PATCH.
    const same = await t.call('PATCH', `/api/v1/services/${web.json.id}`, {
      body: { domains: [{ host: 'shop.example.com', port: 81 }] },
    });
    expect(same.status).toBe(200);
  });

  it('shows each HTTPS domain as pending until the proxy reports it, then as reported', async () => {
    const t = await setup();
    const web = await t.createService({
      name: 'web',
      domains: [
        { host: 'a.example.com', port: 80 },
        { host: 'b.example.com', port: 80 },
        { host: 'plain.example.com', port: 80, https: false },
      ],
    });
    expect(web.json.domainStatus).toEqual([
      { host: 'a.example.com', certificate: 'pending' },
      { host: 'b.example.com', certificate: 'pending' },
    ]);
    expect((await t.call('GET', '/api/v1/servers/srv_a')).json.proxy).toBeUndefined();

    t.store.proxies.record('srv_a', {
      proxy: { state: 'running', restarts: 1, lastRestartAt: '2026-01-01T00:00:00.000Z' },
      domains: [
        {
          serviceId: web.json.id,
          host: 'a.example.com',
          certificate: 'issued',
          expiresAt: '2026-04-01T00:00:00.000Z',
        },
        {
          serviceId: web.json.id,
          host: 'b.example.com',
          certificate: 'failed',
          error: 'no such host',
        },
      ],
    });
    const seen = await t.call('GET', `/api/v1/services/${web.json.id}`);
    expect(seen.json.domainStatus).toEqual([
      { host: 'a.example.com', certificate: 'issued', expiresAt: '2026-04-01T00:00:00.000Z' },
      { host: 'b.example.com', certificate: 'failed', error: 'no such host' },
    ]);
    const server = await t.call('GET', '/api/v1/servers/srv_a');
    expect(server.json.proxy).toEqual({
      state: 'running',
      restarts: 1,
      lastRestartAt: '2026-01-01T00:00:00.000Z',
    });
    expect((await t.call('GET', '/api/v1/servers')).json[0].proxy.state).toBe('running');
  });
});
