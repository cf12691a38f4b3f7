import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { domainSchema } from '@berth/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeEngine } from '../testing/fake-engine.js';
import { createMemoryLogger } from '../testing/memory-logger.js';
import { runProxyLoop } from './proxy-loop.js';
import { ProxyManager } from './proxy-manager.js';

const ROUTES = [
  {
    serviceId: 'svc_a',
    environmentId: 'env_a',
    domains: [domainSchema.parse({ host: 'a.example.com', port: 3000 })],
  },
];

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('runProxyLoop', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'berth-proxy-loop-'));
  });
  afterEach(() => rm(stateDir, { recursive: true, force: true }));

  it('does not wake up while the server has no routes, and checks every interval once it has', async () => {
    const engine = new FakeEngine();
    engine.registry.set('caddy:2', {
      id: 'sha256:c',
      tags: ['caddy:2'],
      repoDigests: [],
      labels: {},
    });
    const stop = new AbortController();
    const manager = new ProxyManager({
      engine,
      stateDir,
      config: { image: 'caddy:2', httpPort: 80, httpsPort: 443, bind: '0.0.0.0' },
      logger: createMemoryLogger(),
      signal: stop.signal,
      onReport: () => undefined,
      admin: { load: () => Promise.resolve() },
    });
    const check = vi.spyOn(manager, 'check');
    const wakeUps: (() => void)[] = [];
    const sleep = vi.fn(() => new Promise<void>((resolve) => wakeUps.push(resolve)));
    const loop = runProxyLoop({ signal: stop.signal, manager, sleep, intervalMs: 2_000 });

    await settle();
    expect(check).not.toHaveBeenCalled();
    expect(sleep).not.toHaveBeenCalled();

    await manager.sync({ settings: {}, routes: ROUTES });
    await settle();
    expect(check).toHaveBeenCalledTimes(1);
    expect(sleep).toHaveBeenCalledWith(2_000, stop.signal);
    wakeUps.shift()?.();
    await settle();
    expect(check).toHaveBeenCalledTimes(2);

    // The last domain gone: the loop goes quiet again after the sleep it is in.
    await manager.sync({ settings: {}, routes: [] });
    wakeUps.shift()?.();
    await settle();
    expect(check).toHaveBeenCalledTimes(2);
    expect(sleep).toHaveBeenCalledTimes(2);

    stop.abort();
    await loop;
  });
});
