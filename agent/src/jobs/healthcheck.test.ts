import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { FakeEngine } from '../testing/fake-engine.js';
import { probeDelayMs, runHealthcheck } from './healthcheck.js';

describe('the HTTP health check', () => {
  it('probes at once, then waits longer and longer, up to the poll interval', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 30].map(probeDelayMs)).toEqual([5, 10, 20, 40, 80, 160, 250, 250]);
  });

  it('passes on the first answer without waiting, and inspects the container once', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const engine = new FakeEngine();
      const id = engine.newImageId();
      engine.images.set(id, { id, tags: ['app:1'], repoDigests: [], labels: {} });
      const containerId = await engine.createContainer({
        name: 'c',
        image: id,
        env: {},
        labels: {},
        ports: [],
      });
      await engine.startContainer(containerId);
      let inspects = 0;
      const inspect = engine.inspectContainer.bind(engine);
      engine.inspectContainer = async (cid) => {
        inspects += 1;
        const details = await inspect(cid);
        return details && { ...details, ipAddress: '127.0.0.1' };
      };
      const sleeps: number[] = [];
      const result = await runHealthcheck(
        {
          signal: new AbortController().signal,
          now: Date.now,
          sleep: (ms) => {
            sleeps.push(ms);
            return Promise.resolve();
          },
        },
        engine,
        containerId,
        {
          type: 'http',
          port: (server.address() as AddressInfo).port,
          path: '/',
          timeoutSeconds: 5,
        },
      );
      expect(result.ok).toBe(true);
      expect(sleeps).toEqual([]);
      expect(inspects).toBe(1);
    } finally {
      server.close();
    }
  });
});
