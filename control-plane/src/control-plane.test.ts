import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLOSE_CODES, PROTOCOL_VERSION } from '@berth/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from './config.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { TestAgent, waitFor } from './hub/testing.js';
import { silentLogger } from './log.js';

const ADMIN = 'integration-admin-token';
let dir: string;
let running: ControlPlane[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-cp-'));
});
afterEach(async () => {
  for (const cp of running) await cp.close().catch(() => undefined);
  running = [];
  await rm(dir, { recursive: true, force: true });
});

function config(overrides: Record<string, string> = {}): Config {
  const loaded = loadConfig({
    BERTH_PORT: '0',
    BERTH_HOST: '127.0.0.1',
    BERTH_DATA_DIR: dir,
    ...overrides,
  });
  if (!loaded.ok) throw new Error(loaded.message);
  return loaded.config;
}

async function start(overrides: Record<string, string> = {}) {
  const cp = await startControlPlane({
    config: config(overrides),
    adminToken: ADMIN,
    log: silentLogger,
  });
  running.push(cp);
  const base = `http://127.0.0.1:${cp.port}`;
  const api = async (method: string, path: string, body?: unknown, auth = true) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(auth ? { authorization: `Bearer ${ADMIN}` } : {}),
        'content-type': 'application/json',
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      json: text ? (JSON.parse(text) as Record<string, unknown>) : null,
    };
  };
  return { cp, api, wsUrl: `ws://127.0.0.1:${cp.port}/agent/v1/connect` };
}

async function enroll(api: Awaited<ReturnType<typeof start>>['api']) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const joinToken = (await api('POST', '/api/v1/join-tokens')).json?.token;
  const enrolled = await api(
    'POST',
    '/agent/v1/enroll',
    {
      joinToken,
      name: 'worker',
      publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      agentVersion: '0.1.0',
      protocolVersion: PROTOCOL_VERSION,
    },
    false,
  );
  expect(enrolled.status).toBe(201);
  return { id: String(enrolled.json?.agentId), privateKey };
}

describe('control plane over real sockets', () => {
  it('enrolls an agent, shows it online, and cuts it off when the server is deleted', async () => {
    const { api, wsUrl } = await start();
    expect((await api('GET', '/healthz', undefined, false)).status).toBe(200);
    const identity = await enroll(api);
    const agent = await TestAgent.authenticated(wsUrl, identity);
    expect((await api('GET', `/api/v1/servers/${identity.id}`)).json).toMatchObject({
      status: 'online',
    });

    expect((await api('DELETE', `/api/v1/servers/${identity.id}`)).status).toBe(204);
    expect((await agent.closed).code).toBe(CLOSE_CODES.revoked);
    const again = await TestAgent.connect(wsUrl);
    await again.hello(identity);
    expect((await again.closed).code).toBe(CLOSE_CODES.revoked);
  });

  it('keeps records across a restart, and shows servers reconnecting until they are back', async () => {
    const first = await start();
    const identity = await enroll(first.api);
    const agent = await TestAgent.authenticated(first.wsUrl, identity);
    const project = (await first.api('POST', '/api/v1/projects', { name: 'shop' })).json;
    await first.cp.close();
    expect((await agent.closed).code).toBe(1001);

    const second = await start({ BERTH_RESTART_GRACE_MS: '60000' });
    expect((await second.api('GET', `/api/v1/projects/${String(project?.id)}`)).json).toEqual(
      project,
    );
    expect((await second.api('GET', `/api/v1/servers/${identity.id}`)).json).toMatchObject({
      status: 'reconnecting',
    });
    await TestAgent.authenticated(second.wsUrl, identity);
    expect((await second.api('GET', `/api/v1/servers/${identity.id}`)).json).toMatchObject({
      status: 'online',
    });
  });

  it('marks a server offline after a restart once the grace passes without a reconnect', async () => {
    const first = await start();
    const identity = await enroll(first.api);
    await TestAgent.authenticated(first.wsUrl, identity);
    await first.cp.close();

    const second = await start({
      BERTH_RESTART_GRACE_MS: '100',
      BERTH_HEARTBEAT_INTERVAL_MS: '100',
      BERTH_LIVENESS_TIMEOUT_MS: '200',
    });
    await waitFor(() => second.cp.store.servers.get(identity.id)?.status === 'offline');
  });
});
