import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { FakeEngine } from '../testing/fake-engine.js';
import { Journal, type JournalEntry } from './journal.js';
import { restoreInterruptedServices } from './restore-services.js';
import { ROUTE_ENVIRONMENT_LABEL } from './route-network.js';

function entry(
  jobId: string,
  serviceId: string,
  kind: JournalEntry['kind'],
  at: number,
  deploymentId?: string,
): JournalEntry {
  return {
    jobId,
    serviceId,
    kind,
    status: 'succeeded',
    result: {},
    lastSeq: 1,
    stoppedContainers: [],
    confirmed: true,
    updatedAt: new Date(at).toISOString(),
    ...(deploymentId ? { deploymentId } : {}),
  };
}

describe('restoreInterruptedServices', () => {
  it('starts services meant to run whose container stopped before the boot, and only those', async () => {
    const engine = new FakeEngine();
    const journal = new Journal(mkdtempSync(join(tmpdir(), 'berth-reboot-')));
    const image = engine.newImageId();
    engine.images.set(image, { id: image, tags: [], repoDigests: [], labels: {} });
    const container = async (serviceId: string, deploymentId: string, finishedAt: number) => {
      const id = await engine.createContainer({
        name: `${serviceId}-${deploymentId}`,
        image,
        env: {},
        labels: { 'berth.service': serviceId, 'berth.deployment': deploymentId },
        ports: [],
      });
      const c = engine.containers.get(id)!;
      c.state = 'exited';
      c.exitCode = 143;
      c.finishedAt = new Date(finishedAt).toISOString();
      return id;
    };
    const boot = Date.parse('2026-01-02T00:00:00Z');
    const before = boot - 60_000;
    const after = boot + 60_000;
    // a: deployed, stopped by the reboot -> started again
    await journal.put(entry('j1', 'a', 'deploy', before - 1000, 'dep-a'));
    const a = await container('a', 'dep-a', before);
    // b: deployed, then stopped by a user -> stays stopped
    await journal.put(entry('j2', 'b', 'deploy', before - 2000, 'dep-b'));
    await journal.put(entry('j3', 'b', 'stop', before - 1000));
    const b = await container('b', 'dep-b', before);
    // c: crashed after the boot -> stays failed
    await journal.put(entry('j4', 'c', 'deploy', before - 1000, 'dep-c'));
    const c = await container('c', 'dep-c', after);

    const logged: string[] = [];
    const restored = await restoreInterruptedServices({
      engine,
      journal,
      logger: createLogger((_level, line) => logged.push(line)),
      stoppedBetween: [0, boot],
      cause: 'a restart of the Docker engine',
    });
    expect(restored).toEqual(['a']);
    // The log names what stopped the service.
    expect(logged.filter((l) => l.includes('started service a again'))).toHaveLength(1);
    expect(logged.join('\n')).toContain('after a restart of the Docker engine');
    expect(logged.join('\n')).not.toContain('reboot');
    expect(engine.containers.get(a)?.state).toBe('running');
    expect(engine.containers.get(b)?.state).toBe('exited');
    expect(engine.containers.get(c)?.state).toBe('exited');
  });
});

describe('restoring a proxied service', () => {
  it('puts its current release back on the route network, started again or still running', async () => {
    const engine = new FakeEngine();
    const journal = new Journal(mkdtempSync(join(tmpdir(), 'berth-reboot-')));
    const image = engine.newImageId();
    engine.images.set(image, { id: image, tags: [], repoDigests: [], labels: {} });
    const boot = Date.parse('2026-01-02T00:00:00Z');
    const container = async (serviceId: string, labels: Record<string, string>) => {
      await journal.put(entry(`j-${serviceId}`, serviceId, 'deploy', boot - 120_000, 'dep'));
      return engine.createContainer({
        name: serviceId,
        image,
        env: {},
        labels: { 'berth.service': serviceId, 'berth.deployment': 'dep', ...labels },
        ports: [],
      });
    };
    const route = { [ROUTE_ENVIRONMENT_LABEL]: 'env1' };
    // stopped by the reboot, proxied -> started, and on its route network
    const stopped = await container('a', route);
    Object.assign(engine.containers.get(stopped)!, {
      state: 'exited',
      finishedAt: new Date(boot - 60_000).toISOString(),
    });
    // still running, proxied -> on its route network
    const running = await container('b', route);
    engine.containers.get(running)!.state = 'running';
    // running, not proxied -> left as it is
    const plain = await container('c', {});
    engine.containers.get(plain)!.state = 'running';

    const restored = await restoreInterruptedServices({
      engine,
      journal,
      logger: createLogger(() => undefined),
      stoppedBetween: [0, boot],
      cause: 'a reboot',
    });
    expect(restored).toEqual(['a']);
    expect(engine.containers.get(stopped)?.state).toBe('running');
    expect(engine.networks.get('berth-route-env1')).toEqual({ 'berth.environment': 'env1' });
    expect(engine.attachments).toEqual([
      { network: 'berth-route-env1', containerId: stopped, aliases: ['berth-route-a'] },
      { network: 'berth-route-env1', containerId: running, aliases: ['berth-route-b'] },
    ]);
  });
});
