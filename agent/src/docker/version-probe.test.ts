import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDockerEngine } from './docker-engine.js';

// A stand-in engine on a unix socket: dockerode speaks real HTTP to it.
interface StandInEngine {
  socketPath: string;
  calls: number;
  mode: 'up' | 'hang';
  server: Server;
}

let dir: string;
let standIn: StandInEngine;

async function startEngine(socketPath: string): Promise<StandInEngine> {
  const state = { socketPath, calls: 0, mode: 'up' as 'up' | 'hang' } as StandInEngine;
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
  standIn = await startEngine(join(dir, 'docker.sock'));
});

afterEach(async () => {
  standIn.server.closeAllConnections();
  await new Promise((resolve) => standIn.server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe("the Docker engine's version", () => {
  it('reports the engine version and reuses it while the cache is fresh', async () => {
    let clock = 0;
    const docker = createDockerEngine({
      socketPath: standIn.socketPath,
      cacheMs: 1000,
      now: () => clock,
    });
    await expect(docker.version()).resolves.toBe('20.10.24');
    clock = 999;
    await expect(docker.version()).resolves.toBe('20.10.24');
    expect(standIn.calls).toBe(1);
    clock = 1000;
    await docker.version();
    expect(standIn.calls).toBe(2);
  });

  it('answers null when no engine listens', async () => {
    const docker = createDockerEngine({ socketPath: join(dir, 'absent.sock') });
    await expect(docker.version()).resolves.toBeNull();
  });

  it('answers null when the engine hangs, within the timeout', async () => {
    standIn.mode = 'hang';
    const docker = createDockerEngine({ socketPath: standIn.socketPath, timeoutMs: 200 });
    // The fake engine never answers: without the timeout this would not resolve at all.
    await expect(docker.version()).resolves.toBeNull();
  });

  it('reports the version again once the engine comes back', async () => {
    let clock = 0;
    const socketPath = join(dir, 'later.sock');
    const docker = createDockerEngine({ socketPath, cacheMs: 100, now: () => clock });
    await expect(docker.version()).resolves.toBeNull();
    const later = await startEngine(socketPath);
    try {
      await expect(docker.version()).resolves.toBeNull(); // still cached
      clock = 100;
      await expect(docker.version()).resolves.toBe('20.10.24');
    } finally {
      later.server.closeAllConnections();
      await new Promise((resolve) => later.server.close(resolve));
    }
  });
});
