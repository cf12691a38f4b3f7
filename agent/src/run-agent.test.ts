import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentConfig } from './config.js';
import type { AgentConnection } from './connection/agent-connection.js';
import { saveIdentity } from './connection/identity.js';
import { loadOrCreateKey, prepareStateDir } from './connection/identity.js';
import { runAgent } from './run-agent.js';
import { FakeEngine } from './testing/fake-engine.js';
import { startFakeControlPlane, type FakeControlPlane } from './testing/fake-cp-server.js';
import { createMemoryLogger } from './testing/memory-logger.js';

let cp: FakeControlPlane;
let stateDir: string;

beforeEach(async () => {
  cp = await startFakeControlPlane();
  stateDir = await mkdtemp(join(tmpdir(), 'berth-agent-'));
});

afterEach(async () => {
  await cp.close();
  await rm(stateDir, { recursive: true, force: true });
});

function config(joinToken?: string): AgentConfig {
  return {
    controlPlaneUrl: cp.url,
    joinToken,
    stateDir,
    statusPort: 0,
    name: 'web-1',
    reconnectMaxMs: 1000,
    keepImages: 5,
    pruneSchedule: '17 * * * *',
    proxy: { image: 'caddy:2', httpPort: 80, httpsPort: 443, bind: '127.0.0.1' },
  };
}

function statusPortOf(logger: ReturnType<typeof createMemoryLogger>): number {
  const line = logger.lines.find((entry) => entry.message.startsWith('status port listening'));
  return Number(/:(\d+)$/.exec(line?.message ?? '')?.[1]);
}

function getStatus(port: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/status', agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(JSON.parse(body)));
    })
      .on('error', reject)
      .end();
  });
}

describe('runAgent', () => {
  it('enrolls on first start, connects, serves status, and shuts down cleanly', async () => {
    cp.tokens.set('tok_first', 'valid');
    const logger = createMemoryLogger();
    const controller = new AbortController();
    let connection: AgentConnection | undefined;
    const done = runAgent({
      config: config('tok_first'),
      logger,
      docker: new FakeEngine('20.10.24'),
      signal: controller.signal,
      onConnection: (created) => (connection = created),
    });
    await cp.waitFor(() => connection?.state.connected);
    const port = statusPortOf(logger);
    expect(await getStatus(port)).toMatchObject({
      connected: true,
      agentId: 'srv_1',
      controlPlaneUrl: cp.url.href.replace(/\/$/, ''),
      docker: { reachable: true, version: '20.10.24' },
    });
    expect(logger.text()).not.toContain('tok_first');

    controller.abort();
    await done;
    expect(cp.closes).toEqual([{ socket: 0, code: 1001, reason: 'agent shutting down' }]);
    await expect(getStatus(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('refuses a first start without a join token, before contacting anyone', async () => {
    const run = runAgent({
      config: config(undefined),
      logger: createMemoryLogger(),
      docker: new FakeEngine(),
      signal: new AbortController().signal,
    });
    await expect(run).rejects.toThrow(/a join token is required for the first start/);
    expect(cp.enrollRequests).toEqual([]);
    expect(cp.sockets).toEqual([]);
  });

  it('reuses the saved identity and ignores the join token on later starts', async () => {
    await prepareStateDir(stateDir);
    const key = await loadOrCreateKey(stateDir);
    await saveIdentity(stateDir, { agentId: 'srv_9', name: 'web-1' });
    cp.registerAgent('srv_9', key.publicKeyBase64, 'web-1');
    const logger = createMemoryLogger();
    const controller = new AbortController();
    let connection: AgentConnection | undefined;
    const done = runAgent({
      config: config('tok_stale'),
      logger,
      docker: new FakeEngine(),
      signal: controller.signal,
      onConnection: (created) => (connection = created),
    });
    await cp.waitFor(() => connection?.state.connected);
    controller.abort();
    await done;
    expect(cp.enrollRequests).toEqual([]);
    expect(logger.text()).toContain('BERTH_JOIN_TOKEN is ignored');
    expect(logger.text()).not.toContain('tok_stale');
  });
});
