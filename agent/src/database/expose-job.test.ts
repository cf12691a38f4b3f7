import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runDeployJob } from '../jobs/deploy-job.js';
import { LABELS } from '../docker/engine.js';
import { databaseSpec, engineWith } from '../testing/database-fixtures.js';
import { FakeEngine } from '../testing/fake-engine.js';
import { fakeJobContext } from '../testing/fake-job-context.js';
import { recoverExposeJob, runExposeJob } from './expose-job.js';
import { isPortFree, pickPublicPort } from './expose-port.js';

async function deployed(engine = engineWith('postgres')) {
  await runDeployJob(fakeJobContext(engine, databaseSpec('postgres', 1)).ctx);
  return { engine, first: engine.running()[0]! };
}

function exposeSpec(kind: 'expose' | 'unexpose', port?: number) {
  const spec = databaseSpec('postgres', 1, {
    kind,
    jobId: `${kind}1`,
    currentDeploymentId: 'dep1',
    ...(kind === 'expose' ? { expose: port === undefined ? {} : { port } } : {}),
  });
  delete spec.deployment;
  return spec;
}

describe('picking a public port', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('skips ports containers publish and ports something listens on', async () => {
    const engine = new FakeEngine();
    engine.otherPublishedPorts = [20000, 20001];
    const busy = new Set([20002]);
    const port = await pickPublicPort(engine, {
      random: () => 0,
      isFree: (p) => Promise.resolve(!busy.has(p)),
    });
    expect(port).toBe(20003);
  });

  it('wraps around the range from a random start', async () => {
    const engine = new FakeEngine();
    const port = await pickPublicPort(engine, {
      random: () => 0.99999,
      isFree: (p) => Promise.resolve(p !== 29999),
    });
    expect(port).toBe(20000);
  });

  it('sees a port that a process listens on as taken', async () => {
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(0, '0.0.0.0', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    expect(await isPortFree(port)).toBe(false);
    server.close();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await isPortFree(port)).toBe(true);
  });
});

describe('expose and unexpose', () => {
  it('recreates the container with the public port, same image, labels and volume', async () => {
    const { engine, first } = await deployed();
    const { ctx, stopped } = fakeJobContext(engine, exposeSpec('expose', 25432));
    const outcome = await runExposeJob(ctx);
    expect(outcome).toMatchObject({ status: 'succeeded', result: { publicPort: 25432 } });
    expect(stopped).toEqual([[first.id]]);
    const [now] = engine.running();
    expect(outcome.result.containerId).toBe(now?.id);
    expect(engine.containers.has(first.id)).toBe(false);
    expect(now?.imageId).toBe(first.imageId);
    expect(now?.labels).toEqual(first.labels);
    expect(now?.labels[LABELS.deployment]).toBe('dep1');
    expect(now?.spec.env).toEqual(first.spec.env);
    expect(now?.spec.volumes).toEqual(first.spec.volumes);
    expect(now?.spec.network).toEqual(first.spec.network);
    expect(now?.spec.ports).toEqual([{ container: 5432, host: 25432, hostIp: '0.0.0.0' }]);

    const unexposed = await runExposeJob(fakeJobContext(engine, exposeSpec('unexpose')).ctx);
    expect(unexposed.status).toBe('succeeded');
    expect(unexposed.result.publicPort).toBeUndefined();
    expect(engine.running()).toHaveLength(1);
    expect(engine.running()[0]?.spec.ports).toEqual([]);
  });

  it('picks a free port when none is asked for', async () => {
    const { engine } = await deployed();
    const outcome = await runExposeJob(fakeJobContext(engine, exposeSpec('expose')).ctx, {
      random: () => 0,
      isFree: (p) => Promise.resolve(p > 20005),
    });
    expect(outcome.result.publicPort).toBe(20006);
  });

  it('puts the old container back when the port is taken, and says why', async () => {
    const { engine, first } = await deployed();
    const image = engine.newImageId();
    engine.images.set(image, { id: image, tags: [], repoDigests: [], labels: {} });
    const squatter = await engine.createContainer({
      name: 'other',
      image,
      env: {},
      labels: {},
      ports: [{ container: 80, host: 25432, hostIp: '0.0.0.0' }],
    });
    await engine.startContainer(squatter);
    const outcome = await runExposeJob(fakeJobContext(engine, exposeSpec('expose', 25432)).ctx);
    expect(outcome.status).toBe('failed');
    expect('error' in outcome && outcome.error).toMatch(
      /Expose failed: the container could not start: port 25432 is already allocated\. The database runs as before\./,
    );
    expect(
      engine
        .running()
        .map((c) => c.id)
        .sort(),
    ).toEqual([first.id, squatter].sort());
    expect(engine.containers.size).toBe(2);
  });

  it('puts the exposed container back when the unexposed one never gets ready', async () => {
    const { engine } = await deployed();
    await runExposeJob(fakeJobContext(engine, exposeSpec('expose', 25432)).ctx);
    const exposed = engine.running()[0]!;
    engine.execResult = () => ({ exitCode: 2, stdout: 'no response', stderr: '' });
    const outcome = await runExposeJob(fakeJobContext(engine, exposeSpec('unexpose')).ctx);
    expect(outcome.status).toBe('failed');
    expect('error' in outcome && outcome.error).toMatch(/Unexpose failed: the database did not/);
    expect(engine.running().map((c) => c.id)).toEqual([exposed.id]);
    expect(engine.running()[0]?.spec.ports[0]?.host).toBe(25432);
  });

  it('asks to deploy first when the database has no container', async () => {
    const engine = engineWith('postgres');
    await expect(
      runExposeJob(fakeJobContext(engine, exposeSpec('expose', 25432)).ctx),
    ).rejects.toThrow(/deploy the database first/);
  });

  it('after a restart mid-way, starts the stopped container again and drops the new one', async () => {
    const { engine, first } = await deployed();
    // As the agent left it when killed: the old container stopped, the new one created.
    await engine.stopContainer(first.id);
    const half = await engine.createContainer({ ...first.spec, name: `${first.name}-new` });
    const notes: string[] = [];
    const entry = { serviceId: 'svcdb', stoppedContainers: [first.id] };
    await recoverExposeJob(engine, entry, (t) => notes.push(t));
    expect(engine.running().map((c) => c.id)).toEqual([first.id]);
    expect(engine.containers.has(half)).toBe(false);
    expect(notes).toHaveLength(1);

    // With a container of the service running, recovery changes nothing.
    await recoverExposeJob(engine, entry, () => undefined);
    expect(engine.running().map((c) => c.id)).toEqual([first.id]);
  });
});
