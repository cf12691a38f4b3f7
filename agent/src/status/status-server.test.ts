import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeEngine } from '../testing/fake-engine.js';
import { createStatusCollector, type ConnectionStatus } from './status-report.js';
import { startStatusServer, type StatusServer } from './status-server.js';

const state: ConnectionStatus = {
  connected: false,
  lastHeartbeatAt: null,
  lastError: 'cannot connect to the control plane at ws://cp.example:8080/agent/v1/connect',
  reconnectsTotal: 3,
  heartbeatsTotal: 7,
};
const docker = new FakeEngine('20.10.24');
let server: StatusServer | undefined;

async function start(): Promise<StatusServer> {
  server = await startStatusServer({
    port: 0,
    collect: createStatusCollector({
      controlPlaneUrl: new URL('http://cp.example:8080'),
      agentId: () => 'srv_1',
      connection: () => state,
      docker,
      runningJobs: () => 2,
    }),
    residentMemoryBytes: () => 64_000_000,
  });
  return server;
}

function get(host: string, port: number, path: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host, port, path, timeout: 2000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;

afterEach(async () => {
  await server?.close();
  server = undefined;
  state.connected = false;
  docker.setVersion('20.10.24');
});

describe('status server', () => {
  it.skipIf(externalAddress === undefined)(
    'listens on 127.0.0.1 only: the machine address is refused',
    async () => {
      const { port } = await start();
      expect((await get('127.0.0.1', port, '/healthz')).status).toBe(503);
      await expect(get(externalAddress!, port, '/healthz')).rejects.toMatchObject({
        code: 'ECONNREFUSED',
      });
    },
  );

  it('answers /healthz 503 with the reason while not connected', async () => {
    const { port } = await start();
    const res = await get('127.0.0.1', port, '/healthz');
    expect(res.status).toBe(503);
    expect(res.body).toContain('not connected to the control plane: cannot connect');
  });

  it('answers /healthz 200 only when connected and Docker is reachable', async () => {
    const { port } = await start();
    state.connected = true;
    expect((await get('127.0.0.1', port, '/healthz')).status).toBe(200);
    docker.setVersion(null);
    const res = await get('127.0.0.1', port, '/healthz');
    expect(res.status).toBe(503);
    expect(res.body).toContain('Docker is not reachable');
  });

  it('reports the contract fields on /status', async () => {
    const { port } = await start();
    state.connected = true;
    state.lastHeartbeatAt = Date.parse('2026-01-02T03:04:05.000Z');
    const res = await get('127.0.0.1', port, '/status');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({
      connected: true,
      controlPlaneUrl: 'http://cp.example:8080',
      agentId: 'srv_1',
      lastHeartbeatAt: '2026-01-02T03:04:05.000Z',
      runningJobs: 2,
      docker: { reachable: true, version: '20.10.24' },
      lastError: null,
    });
  });

  it('serves Prometheus text on /metrics', async () => {
    const { port } = await start();
    const res = await get('127.0.0.1', port, '/metrics');
    expect(res.status).toBe(200);
    expect(res.body).toContain('# TYPE berth_agent_connected gauge\nberth_agent_connected 0\n');
    expect(res.body).toContain('berth_agent_reconnects_total 3\n');
    expect(res.body).toContain('berth_agent_heartbeats_total 7\n');
    expect(res.body).toContain('process_resident_memory_bytes 64000000\n');
  });

  it('answers 404 for other paths', async () => {
    const { port } = await start();
    expect((await get('127.0.0.1', port, '/secret')).status).toBe(404);
  });

  it('says which variable to change when the port is taken', async () => {
    const first = await start();
    const second = startStatusServer({
      port: first.port,
      collect: () => Promise.reject(new Error('unused')),
    });
    await expect(second).rejects.toThrow(/BERTH_AGENT_STATUS_PORT/);
  });
});
