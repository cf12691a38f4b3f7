import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { domainSchema, type DomainInput, type ProxyRoute } from '@berth/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendFullStateReport } from '../container-state/container-state-loop.js';
import { AgentError } from '../errors.js';
import { Journal } from '../jobs/journal.js';
import { pruneImages } from '../upkeep/prune-images.js';
import { FakeEngine } from '../testing/fake-engine.js';
import { createMemoryLogger } from '../testing/memory-logger.js';
import type { CaddyAdmin } from './caddy-admin.js';
import { ProxyManager, type ProxyReport } from './proxy-manager.js';

const CADDY = { id: 'sha256:caddy', tags: ['caddy:2'], repoDigests: [], labels: {} };
const CONFIG = { image: 'caddy:2', httpPort: 8080, httpsPort: 8443, bind: '127.0.0.1' };

const route = (serviceId: string, environmentId: string, domains: DomainInput[]): ProxyRoute => ({
  serviceId,
  environmentId,
  domains: domains.map((d) => domainSchema.parse(d)),
});

const ROUTES = [
  route('svc_web', 'env_prod', [{ host: 'www.example.com', port: 8080 }]),
  route('svc_docs', 'env_docs', [{ host: 'docs.example.com', port: 80, https: false }]),
];

class FakeAdmin implements CaddyAdmin {
  loads: string[] = [];
  forced: boolean[] = [];
  /** Failures to answer before the next load succeeds. */
  failures: Error[] = [];
  load(config: string, options?: { force?: boolean }): Promise<void> {
    const failure = this.failures.shift();
    if (failure) return Promise.reject(failure);
    this.loads.push(config);
    this.forced.push(options?.force ?? false);
    return Promise.resolve();
  }
}

describe('ProxyManager', () => {
  let stateDir: string;
  let engine: FakeEngine;
  let admin: FakeAdmin;
  let reports: ProxyReport[];
  let clock: number;

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'berth-proxy-'));
    engine = new FakeEngine();
    engine.registry.set('caddy:2', CADDY);
    admin = new FakeAdmin();
    reports = [];
    clock = Date.parse('2026-12-02T12:00:00Z');
  });
  afterEach(() => rm(stateDir, { recursive: true, force: true }));

  const manager = (config = CONFIG) =>
    new ProxyManager({
      engine,
      stateDir,
      config,
      logger: createMemoryLogger(),
      signal: new AbortController().signal,
      onReport: (report) => reports.push(report),
      admin,
      now: () => clock,
      sleep: () => Promise.resolve(),
      random: () => 0.5,
    });
  const proxy = () => [...engine.containers.values()].find((c) => c.name === 'berth-proxy');

  it('starts the proxy on the first routes: pulled image, ports, folder, networks, config', async () => {
    await manager().sync({ settings: { acmeCaRootPem: 'PEM' }, routes: ROUTES });

    expect(engine.pulls).toEqual(['caddy:2']);
    const container = proxy()!;
    expect(container.state).toBe('running');
    expect(container.spec).toMatchObject({
      image: 'sha256:caddy',
      labels: { 'berth.proxy': '1' },
      ports: [
        { container: 80, host: 8080, hostIp: '127.0.0.1' },
        { container: 443, host: 8443, hostIp: '127.0.0.1' },
      ],
      cmd: ['caddy', 'run', '--config', '/berth/caddy.json'],
      binds: [{ hostPath: join(stateDir, 'proxy'), path: '/berth' }],
      restart: 'unless-stopped',
    });
    expect(container.labels['berth.service']).toBeUndefined();
    expect(engine.attachments).toEqual([
      { network: 'berth-route-env_docs', containerId: container.id, aliases: [] },
      { network: 'berth-route-env_prod', containerId: container.id, aliases: [] },
    ]);
    const written = await readFile(join(stateDir, 'proxy', 'caddy.json'), 'utf8');
    expect(admin.loads).toEqual([written]);
    expect(written).toContain('berth-route-svc-web:8080');
    expect((await stat(join(stateDir, 'proxy', 'caddy.json'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(stateDir, 'proxy', 'acme-ca-root.pem'), 'utf8')).toBe('PEM');
    expect(reports).toEqual([
      {
        proxy: { state: 'running', restarts: 0 },
        domains: [{ serviceId: 'svc_web', host: 'www.example.com', certificate: 'pending' }],
      },
    ]);
  });

  it('posts the config to Caddy only when it changed', async () => {
    const m = manager();
    await m.sync({ settings: {}, routes: ROUTES });
    await m.sync({ settings: {}, routes: [...ROUTES].reverse() });
    await m.check();
    expect(admin.loads).toHaveLength(1);
    expect(reports).toHaveLength(2); // after each sync; the check saw nothing new

    await m.sync({ settings: {}, routes: [ROUTES[0]!] });
    expect(admin.loads).toHaveLength(2);
    expect(admin.loads[1]).not.toContain('docs.example.com');
    expect(admin.forced).toEqual([false, false]);
  });

  it('makes Caddy reload when only the ACME root it reads changed', async () => {
    const m = manager();
    await m.sync({ settings: { acmeCaRootPem: 'ROOT 1' }, routes: ROUTES });
    await m.sync({ settings: { acmeCaRootPem: 'ROOT 2' }, routes: ROUTES });
    expect(await readFile(join(stateDir, 'proxy', 'acme-ca-root.pem'), 'utf8')).toBe('ROOT 2');
    expect(admin.forced).toEqual([false, true]);
    expect(admin.loads[1]).toBe(admin.loads[0]);
  });

  it('starts a stopped proxy and recreates a removed one, counting restarts', async () => {
    const m = manager();
    await m.sync({ settings: {}, routes: ROUTES });
    const first = proxy()!;

    await engine.stopContainer(first.id);
    clock += 2000;
    await m.check();
    expect(proxy()!.state).toBe('running');
    expect(admin.loads).toHaveLength(2);
    expect(reports.at(-1)!.proxy).toEqual({
      state: 'running',
      restarts: 1,
      lastRestartAt: '2026-12-02T12:00:02.000Z',
    });

    await engine.removeContainer(first.id);
    clock += 2000;
    await m.check();
    const second = proxy()!;
    expect(second.id).not.toBe(first.id);
    expect(second.state).toBe('running');
    expect(engine.attachments.filter((a) => a.containerId === second.id)).toHaveLength(2);
    expect(admin.loads).toHaveLength(3);
    expect(reports.at(-1)!.proxy).toMatchObject({ state: 'running', restarts: 2 });
  });

  it('after an agent restart, repairs a killed proxy from the saved routes', async () => {
    await manager().sync({ settings: {}, routes: ROUTES });
    await engine.stopContainer(proxy()!.id);

    const restarted = manager();
    await restarted.restore();
    await restarted.check();
    expect(proxy()!.state).toBe('running');
    expect(restarted.latest?.proxy).toMatchObject({ state: 'running', restarts: 1 });
    const saved = await stat(join(stateDir, 'proxy', 'routes.json'));
    expect(saved.mode & 0o777).toBe(0o600);
  });

  it('waits for the admin socket of a proxy that is still starting', async () => {
    admin.failures = [
      new AgentError('UNREACHABLE', 'no socket yet', { retryable: true }),
      new AgentError('UNREACHABLE', 'no socket yet', { retryable: true }),
    ];
    await manager().sync({ settings: {}, routes: ROUTES });
    expect(admin.loads).toHaveLength(1);
    expect(reports.at(-1)!.proxy.state).toBe('running');
  });

  it('reports a proxy that cannot start, with the ports to free, and backs off', async () => {
    engine.images.set(CADDY.id, CADDY);
    const other = await engine.createContainer({
      name: 'other',
      image: 'sha256:caddy',
      env: {},
      labels: {},
      ports: [{ container: 80, host: 8080, hostIp: '0.0.0.0' }],
    });
    await engine.startContainer(other);

    const m = manager();
    await m.sync({ settings: {}, routes: ROUTES });
    const failed = reports.at(-1)!.proxy;
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatch(/port 8080 is already allocated/);
    expect(failed.error).toMatch(/BERTH_PROXY_HTTP_PORT/);

    await engine.removeContainer(other);
    await m.check(); // within the backoff: no attempt yet
    expect(proxy()!.state).toBe('created');
    clock += 60_000;
    await m.check();
    expect(proxy()!.state).toBe('running');
    expect(reports.at(-1)!.proxy).toEqual({ state: 'running', restarts: 0 });
  });

  it('recreates the proxy when its published ports change', async () => {
    await manager().sync({ settings: {}, routes: ROUTES });
    const before = proxy()!.id;
    await manager({ ...CONFIG, httpsPort: 9443 }).sync({ settings: {}, routes: ROUTES });
    expect(proxy()!.id).not.toBe(before);
    expect(proxy()!.spec.ports[1]).toEqual({ container: 443, host: 9443, hostIp: '127.0.0.1' });
    expect(reports.at(-1)!.proxy.restarts).toBe(0);
  });

  it("leaves another agent's proxy on the same engine alone and says so", async () => {
    engine.images.set(CADDY.id, CADDY);
    const other = await engine.createContainer({
      name: 'berth-proxy',
      image: CADDY.id,
      env: {},
      labels: { 'berth.proxy': '1', 'berth.proxy-dir': '/srv/other-agent/proxy' },
      ports: [],
    });
    await engine.startContainer(other);
    await manager().sync({ settings: {}, routes: ROUTES });
    expect(engine.containers.get(other)?.state).toBe('running');
    expect(reports.at(-1)!.proxy).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(
        /belongs to the agent .*\/srv\/other-agent\/proxy.*docker rm -f berth-proxy/,
      ),
    });
  });

  it("reports a certificate Caddy failed to obtain, from the proxy's log", async () => {
    const line = JSON.stringify({
      level: 'error',
      logger: 'tls.obtain',
      msg: 'could not get certificate from issuer',
      identifier: 'www.example.com',
      error: 'HTTP 403 urn:ietf:params:acme:error:unauthorized',
    });
    engine.containerLogs = () =>
      Promise.resolve([
        { stream: 'stderr', text: line.slice(0, 40) },
        { stream: 'stderr', text: line.slice(40), continued: true },
      ]);
    await manager().sync({ settings: {}, routes: ROUTES });
    expect(reports.at(-1)!.domains).toEqual([
      {
        serviceId: 'svc_web',
        host: 'www.example.com',
        certificate: 'failed',
        error:
          'could not get certificate from issuer: HTTP 403 urn:ietf:params:acme:error:unauthorized',
      },
    ]);
  });

  it('is neither pruned nor reported as a service container', async () => {
    await manager().sync({ settings: {}, routes: ROUTES });
    const pruned = await pruneImages(engine, new Journal(stateDir), 1);
    expect(pruned.removed).toEqual([]);
    expect(engine.images.has(CADDY.id)).toBe(true);
    const sent: unknown[] = [];
    await sendFullStateReport({ engine, send: (m) => (sent.push(m), true) });
    expect(sent).toEqual([expect.objectContaining({ containers: [], imageIds: [] })]);
  });

  it('removes the proxy once no service has a domain', async () => {
    const m = manager();
    await m.sync({ settings: {}, routes: ROUTES });
    await m.sync({ settings: {}, routes: [] });
    expect(proxy()).toBeUndefined();
    expect(m.latest).toBeNull();
    await m.check();
    expect(proxy()).toBeUndefined();
  });
});
