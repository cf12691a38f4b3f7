import { createServiceBodySchema, type ProxySettings } from '@berth/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../log.js';
import type { Store } from '../store/store.js';
import { ProxySync, proxyRoutesOn, supportsProxy } from './proxy-sync.js';
import { TestAgent, startTestHub, waitFor, type TestHub } from './testing.js';

let t: TestHub;
let running: TestHub | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

const SETTINGS: ProxySettings = {
  acmeCa: 'https://10.0.0.1:14000/dir',
  acmeCaRootPem: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n',
  acmeEmail: 'ops@example.com',
};

async function addService(
  store: Store,
  environmentId: string,
  name: string,
  hosts: string[],
): Promise<string> {
  const body = createServiceBodySchema.parse({
    name,
    source: { type: 'image', image: 'nginx:1' },
    domains: hosts.map((host) => ({ host, port: 80 })),
  });
  return (await store.services.create(environmentId, body)).id;
}

/** Two servers, "a" with a routed and an unrouted service, "b" with one routed service. */
async function setup() {
  t = running = await startTestHub();
  const a = await t.enroll('a');
  const b = await t.enroll('b');
  const project = await t.store.projects.create({ name: 'Shop' });
  const envA = await t.store.environments.create({
    projectId: project.id,
    name: 'prod',
    serverId: a.id,
  });
  const envB = await t.store.environments.create({
    projectId: project.id,
    name: 'stage',
    serverId: b.id,
  });
  const web = await addService(t.store, envA.id, 'web', ['shop.example.com', 'www.example.com']);
  await addService(t.store, envA.id, 'worker', []);
  const blog = await addService(t.store, envB.id, 'blog', ['blog.example.com']);
  const changed: string[] = [];
  const sync = new ProxySync({
    onServiceChanged: (id) => changed.push(id),
    store: t.store,
    sessions: t.hub,
    settings: SETTINGS,
    log: silentLogger,
  });
  t.hub.onWelcome((serverId, hello) => sync.welcomed(serverId, hello.protocolVersion));
  t.hub.handle(sync.handlers());
  return { a, b, envA, envB, web, blog, sync, changed };
}

describe('proxy.sync', () => {
  it('tells which agents run a proxy from their protocol version', () => {
    expect(supportsProxy('1.2')).toBe(true);
    expect(supportsProxy('1.10')).toBe(true);
    expect(supportsProxy('2.0')).toBe(true);
    expect(supportsProxy('1.1')).toBe(false);
    expect(supportsProxy('1.0')).toBe(false);
    expect(supportsProxy('garbage')).toBe(false);
  });

  it('routes each server to the services with domains in its own environments', async () => {
    const { a, b, envA, envB, web, blog } = await setup();
    expect(proxyRoutesOn(t.store, a.id)).toEqual([
      {
        serviceId: web,
        environmentId: envA.id,
        domains: [
          { host: 'shop.example.com', port: 80, https: true, redirectHttp: true, tls: 'acme' },
          { host: 'www.example.com', port: 80, https: true, redirectHttp: true, tls: 'acme' },
        ],
      },
    ]);
    expect(proxyRoutesOn(t.store, b.id).map((r) => [r.serviceId, r.environmentId])).toEqual([
      [blog, envB.id],
    ]);
    expect(proxyRoutesOn(t.store, 'srv_none')).toEqual([]);
  });

  it('sends the routes and settings right after the welcome, to 1.2 agents only', async () => {
    const { a, b, web } = await setup();
    const agentA = await TestAgent.connect(t.url);
    await agentA.hello(a);
    await waitFor(() => agentA.received.some((m) => m.type === 'proxy.sync'));
    const types = agentA.received.map((m) => m.type);
    expect(types.indexOf('welcome')).toBeGreaterThanOrEqual(0);
    expect(types.indexOf('welcome')).toBeLessThan(types.indexOf('proxy.sync'));
    const message = await agentA.next('proxy.sync');
    expect(message.settings).toEqual(SETTINGS);
    expect(message.routes.map((r) => r.serviceId)).toEqual([web]);

    const old = await TestAgent.connect(t.url);
    await old.hello(b, { protocolVersion: '1.1' });
    await old.next('welcome');
    old.heartbeat();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(old.received.filter((m) => m.type === 'proxy.sync')).toEqual([]);
  });

  it('sends the new routes to the server concerned when a service changes, and only there', async () => {
    const { a, b, web, sync } = await setup();
    const agentA = await TestAgent.authenticated(t.url, a);
    const agentB = await TestAgent.authenticated(t.url, b);
    await agentA.next('proxy.sync');
    await agentB.next('proxy.sync');

    await t.store.services.update(web, { domains: [] });
    sync.serviceChanged(web);
    expect((await agentA.next('proxy.sync')).routes).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(agentB.received.filter((m) => m.type === 'proxy.sync')).toEqual([]);
    // A server whose agent is away gets its routes on its next connection instead.
    agentB.ws.close();
    await agentB.closed;
    await waitFor(() => !t.hub.isConnected(b.id));
    expect(sync.syncServer(b.id)).toBe(false);
  });

  it('keeps the latest proxy.status of each server', async () => {
    const { a, web, changed } = await setup();
    const agentA = await TestAgent.authenticated(t.url, a);
    agentA.sendJson({
      type: 'proxy.status',
      proxy: { state: 'starting', restarts: 0 },
      domains: [{ serviceId: web, host: 'shop.example.com', certificate: 'pending' }],
    });
    agentA.sendJson({
      type: 'proxy.status',
      proxy: { state: 'running', restarts: 2 },
      domains: [
        {
          serviceId: web,
          host: 'shop.example.com',
          certificate: 'issued',
          expiresAt: '2027-01-01T00:00:00.000Z',
        },
      ],
    });
    await waitFor(() => t.store.proxies.proxyOf(a.id)?.state === 'running');
    expect(t.store.proxies.proxyOf(a.id)).toEqual({ state: 'running', restarts: 2 });
    // The live views of the service hear of each report.
    expect(changed).toEqual([web, web]);
    const config = t.store.services.config(web)!;
    expect(t.store.proxies.domainStatusOf(a.id, config)).toEqual([
      { host: 'shop.example.com', certificate: 'issued', expiresAt: '2027-01-01T00:00:00.000Z' },
      { host: 'www.example.com', certificate: 'pending' },
    ]);
  });
});
