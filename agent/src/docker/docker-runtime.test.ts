import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDockerRuntime } from './docker-runtime.js';

// A stand-in engine on a unix socket: dockerode speaks real HTTP to it.
interface FakeEngine {
  socketPath: string;
  calls: number;
  mode: 'up' | 'hang';
  server: Server;
}

let dir: string;
let engine: FakeEngine;

async function startEngine(socketPath: string): Promise<FakeEngine> {
  const state = { socketPath, calls: 0, mode: 'up' as 'up' | 'hang' } as FakeEngine;
  state.server = createServer((req, res) => {
    state.calls += 1;
    if (state.mode === 'hang') return;
    if (req.url?.endsWith('/version')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ Version: '20.10.24', ApiVersion: '1.41' }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => state.server.listen(socketPath, resolve));
  return state;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-docker-'));
  engine = await startEngine(join(dir, 'docker.sock'));
});

afterEach(async () => {
  engine.server.closeAllConnections();
  await new Promise((resolve) => engine.server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('createDockerRuntime', () => {
  it('reports the engine version and reuses it while the cache is fresh', async () => {
    let clock = 0;
    const runtime = createDockerRuntime({
      socketPath: engine.socketPath,
      cacheMs: 1000,
      now: () => clock,
    });
    await expect(runtime.version()).resolves.toBe('20.10.24');
    clock = 999;
    await expect(runtime.version()).resolves.toBe('20.10.24');
    expect(engine.calls).toBe(1);
    clock = 1000;
    await runtime.version();
    expect(engine.calls).toBe(2);
  });

  it('answers null when no engine listens', async () => {
    const runtime = createDockerRuntime({ socketPath: join(dir, 'absent.sock') });
    await expect(runtime.version()).resolves.toBeNull();
  });

  it('answers null when the engine hangs, within the timeout', async () => {
    engine.mode = 'hang';
    const runtime = createDockerRuntime({ socketPath: engine.socketPath, timeoutMs: 200 });
    // The fake engine never answers: without the timeout this would not resolve at all.
    await expect(runtime.version()).resolves.toBeNull();
  });

  it('reports the version again once the engine comes back', async () => {
    let clock = 0;
    const socketPath = join(dir, 'later.sock');
    const runtime = createDockerRuntime({ socketPath, cacheMs: 100, now: () => clock });
    await expect(runtime.version()).resolves.toBeNull();
    const later = await startEngine(socketPath);
    try {
      await expect(runtime.version()).resolves.toBeNull(); // still cached
      clock = 100;
      await expect(runtime.version()).resolves.toBe('20.10.24');
    } finally {
      later.server.closeAllConnections();
      await new Promise((resolve) => later.server.close(resolve));
    }
  });
});
