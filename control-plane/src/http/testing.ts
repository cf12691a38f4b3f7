// Builds the Hono app on a memory store with a fake clock and a recording stand-in for the hub.
import type { AgentRelease } from '../agent-release.js';
import type { NodeRuntime } from '../node-runtime.js';
import { silentLogger, type Logger } from '../log.js';
import { createMetrics } from '../metrics/metrics.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupFiles } from '../databases/backup-files.js';
import { ContainerLogRelay } from '../hub/container-log-relay.js';
import { JobQueue } from '../queue/job-queue.js';
import { QueueEvents } from '../queue/queue-events.js';
import type { AuditLog } from '../store/audit-log.js';
import { LogFiles } from '../store/log-files.js';
import { openMemoryStore, type Store } from '../store/store.js';
import type { DeploymentDeps } from './deployments.js';
import { fakeClock } from '../testing/fake-clock.js';
import { createApp } from './app.js';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface CallOptions {
  body?: unknown;
  /** null sends no Authorization header. */
  token?: string | null;
  headers?: Record<string, string>;
}

/** A release with nothing built, as in a fresh checkout before `pnpm build`. */
export const NO_AGENT_RELEASE: AgentRelease = {
  dir: '/nonexistent/agent/dist/release',
  manifest: async () => null,
  installScript: async () => null,
  bundle: async () => null,
};

export async function createTestApp(
  options: {
    publicUrl?: string;
    log?: Logger;
    agentRelease?: AgentRelease;
    nodeRuntime?: NodeRuntime;
    /** Serves the deployment routes, with a queue whose servers are never connected. */
    withQueue?: boolean;
    /** Told when a service's domains change. */
    proxySync?: { serviceChanged(serviceId: string): void };
    /** The audit log; without it entries are dropped and GET /audit is not served. */
    audit?: AuditLog;
  } = {},
) {
  const clock = fakeClock();
  const store = await openMemoryStore({ now: clock.now });
  const metrics = createMetrics();
  const deployments = options.withQueue ? await testDeploymentDeps(store, clock.now) : undefined;
  const backups = deployments && {
    store,
    queue: deployments.queue,
    events: deployments.events,
    files: new BackupFiles(await mkdtemp(join(tmpdir(), 'berth-http-backups-'))),
    now: clock.now,
    log: options.log ?? silentLogger,
  };
  const disconnects: { serverId: string; closeCode: number; reason: string }[] = [];
  const app = createApp({
    store,
    sessions: {
      disconnect: (serverId, closeCode, reason) => {
        disconnects.push({ serverId, closeCode, reason });
        return true;
      },
    },
    metrics,
    adminToken: TEST_ADMIN_TOKEN,
    publicUrl: options.publicUrl,
    agentRelease: options.agentRelease ?? NO_AGENT_RELEASE,
    nodeRuntime: options.nodeRuntime ?? null,
    now: clock.now,
    log: options.log ?? silentLogger,
    ...(deployments ? { deployments } : {}),
    ...(backups ? { backups } : {}),
    ...(options.proxySync ? { proxySync: options.proxySync } : {}),
    ...(options.audit ? { audit: options.audit } : {}),
  });

  async function call(method: string, path: string, opts: CallOptions = {}) {
    const headers: Record<string, string> = { ...opts.headers };
    const token = opts.token === undefined ? TEST_ADMIN_TOKEN : opts.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    }
    const res = await app.request(path, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    // Tests read shapes they just asserted on; `any` keeps them short.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: res.status, headers: res.headers, text, json: json as any };
  }

  /** A server enrolled straight into the store. */
  async function addServer(id = 'srv_1') {
    await store.joinTokens.create({ tokenHash: `hash-${id}`, ttlSeconds: 3600, now: clock.now() });
    const result = await store.servers.enroll({
      id,
      tokenHash: `hash-${id}`,
      name: id,
      publicKey: 'unused',
      agentVersion: '0.1.0',
    });
    if (!result.ok) throw new Error(result.reason);
    return result.server;
  }

  return { app, store, clock, metrics, disconnects, call, addServer, deployments, backups };
}

/** A server, a project "Shop" and its environment "prod" on that server, made through the API. */
export async function addEnvironment(
  t: Awaited<ReturnType<typeof createTestApp>>,
  serverId = 'srv_a',
): Promise<{ id: string }> {
  await t.addServer(serverId);
  const project = (await t.call('POST', '/api/v1/projects', { body: { name: 'Shop' } })).json;
  const env = await t.call('POST', `/api/v1/projects/${project.id}/environments`, {
    body: { name: 'prod', serverId },
  });
  return env.json as { id: string };
}

async function testDeploymentDeps(store: Store, now: () => number): Promise<DeploymentDeps> {
  const sessions = { isConnected: () => false, send: () => false };
  const logs = new LogFiles(await mkdtemp(join(tmpdir(), 'berth-http-logs-')));
  await logs.init();
  const events = new QueueEvents();
  const queue = new JobQueue({
    store,
    sessions,
    now,
    log: silentLogger,
    logs,
    events,
    maxParallelPerServer: 2,
    deployDeadlineMs: 30 * 60_000,
    controlDeadlineMs: 5 * 60_000,
    backupDeadlineMs: 60 * 60_000,
    lostJobGraceMs: 5 * 60_000,
    queueTimeoutMs: 60 * 60_000,
  });
  return { store, queue, logs, events, containerLogs: new ContainerLogRelay(sessions) };
}
