import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { domainSchema, type AgentMessageInput } from '@berth/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentConfig } from '../config.js';
import { AgentConnection } from '../connection/agent-connection.js';
import { FakeEngine } from '../testing/fake-engine.js';
import { createMemoryLogger } from '../testing/memory-logger.js';
import { startProxySystem } from './proxy-system.js';

const WELCOME = {
  type: 'welcome' as const,
  serverId: 'srv_1',
  name: 'web-1',
  protocolVersion: '1.2',
  controlPlaneVersion: '0.1.0',
  heartbeatIntervalMs: 10_000,
  livenessTimeoutMs: 30_000,
  maxFrameBytes: 1_000_000,
};

describe('startProxySystem', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'berth-proxy-system-'));
  });
  afterEach(() => rm(stateDir, { recursive: true, force: true }));

  it('applies proxy.sync, answers proxy.status, and sends the latest again on reconnect', async () => {
    const engine = new FakeEngine();
    engine.registry.set('caddy:2', {
      id: 'sha256:c',
      tags: ['caddy:2'],
      repoDigests: [],
      labels: {},
    });
    const sent: AgentMessageInput[] = [];
    const loads: string[] = [];
    const shutdown = new AbortController();
    const logger = createMemoryLogger();
    const system = await startProxySystem({
      config: {
        stateDir,
        proxy: { image: 'caddy:2', httpPort: 80, httpsPort: 443, bind: '0.0.0.0' },
      } as AgentConfig,
      engine,
      logger,
      signal: shutdown.signal,
      send: (message) => (sent.push(message), true),
      admin: { load: (config) => (loads.push(config), Promise.resolve()) },
    });
    const connection = new AgentConnection(logger);
    system.attach(connection);

    connection.route({
      type: 'proxy.sync',
      settings: {},
      routes: [
        {
          serviceId: 'svc_a',
          environmentId: 'env_a',
          domains: [domainSchema.parse({ host: 'a.example.com', port: 3000 })],
        },
      ],
    });
    await system.manager.check(); // queued after the sync: resolves once it is done
    const status = {
      type: 'proxy.status',
      proxy: { state: 'running', restarts: 0 },
      domains: [{ serviceId: 'svc_a', host: 'a.example.com', certificate: 'pending' }],
    };
    expect(sent).toEqual([status]);
    expect(loads).toHaveLength(1);
    expect(
      JSON.parse(await readFile(join(stateDir, 'proxy', 'routes.json'), 'utf8')),
    ).toMatchObject({
      routes: [{ serviceId: 'svc_a' }],
    });

    connection.emit('connected', WELCOME);
    expect(sent).toEqual([status, status]);

    shutdown.abort();
    await system.stop();
  });
});
