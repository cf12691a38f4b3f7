import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobSpec } from '@berth/protocol';
import { FakeEngine } from '../testing/fake-engine.js';
import { LABELS, type ContainerSpec } from '../docker/engine.js';
import { runDeployJob, runRestartJob } from './deploy-job.js';
import type { JobContext } from './job-context.js';
import { PROXY_CONTAINER_NAME } from './route-network.js';

const IMAGE = '127.0.0.1:5000/web:v1';
const NETWORK = 'berth-route-env1';
const ALIAS = 'berth-route-svc1';

/** The fake engine, noting in order what happened to which container. */
class RecordingEngine extends FakeEngine {
  events: string[] = [];
  /** Makes attaching this container fail, as an engine might. */
  refuseAttach: string | null = null;

  override startContainer(id: string) {
    this.events.push(`start ${this.nameOf(id)}`);
    return super.startContainer(id);
  }
  override stopContainer(id: string, timeoutSeconds?: number) {
    this.events.push(`stop ${this.nameOf(id)} ${timeoutSeconds}s`);
    return super.stopContainer(id);
  }
  override removeContainer(id: string) {
    this.events.push(`remove ${this.nameOf(id)}`);
    return super.removeContainer(id);
  }
  override connectNetwork(network: string, containerId: string, aliases: string[]) {
    this.events.push(`attach ${this.nameOf(containerId)} ${network} ${aliases.join(',')}`.trim());
    if (containerId === this.refuseAttach)
      return Promise.reject(new Error('network berth-route-env1 not found'));
    return super.connectNetwork(network, containerId, aliases);
  }
  private nameOf(id: string): string {
    return this.containers.get(id)?.name ?? id;
  }
}

function spec(number: number, service: Partial<JobSpec['service']> = {}): JobSpec {
  return {
    jobId: `job${number}`,
    kind: 'deploy',
    service: {
      id: 'svc1',
      name: 'web',
      environmentId: 'env1',
      source: { type: 'image', image: IMAGE },
      ports: [],
      env: {},
      healthcheck: { type: 'running', seconds: 0 },
      domains: [
        { host: 'app.example.com', port: 8080, https: true, redirectHttp: true, tls: 'acme' },
      ],
      drainSeconds: 7,
      ...service,
    },
    deployment: { id: `dep${number}`, number, cache: 'use-existing', trigger: 'deploy' },
    deadlineAt: new Date(Date.now() + 60_000).toISOString(),
  };
}

function context(
  engine: FakeEngine,
  jobSpec: JobSpec,
  controller = new AbortController(),
  now: () => number = Date.now,
) {
  const lines: string[] = [];
  const timeline: string[] = [];
  const noted: string[][] = [];
  const ctx: JobContext = {
    spec: jobSpec,
    engine,
    signal: controller.signal,
    workDir: mkdtempSync(join(tmpdir(), 'berth-switch-')),
    log: (_stream, text) => lines.push(text),
    logRoom: () => null,
    phase: (name) => timeline.push(name),
    setPhase: () => undefined,
    recordStopped: (ids) => {
      noted.push(ids);
      return Promise.resolve();
    },
    report: () => undefined,
    now,
    sleep: () => Promise.resolve(),
  };
  return { ctx, lines, timeline, noted };
}

function publish(engine: FakeEngine, reference: string) {
  const id = engine.newImageId();
  engine.registry.set(reference, { id, tags: [reference], repoDigests: [], labels: {} });
  return id;
}

/** A first release serving, then the engine's notes cleared. */
async function serving(engine: RecordingEngine, service: Partial<JobSpec['service']> = {}) {
  publish(engine, IMAGE);
  expect((await runDeployJob(context(engine, spec(1, service)).ctx)).status).toBe('succeeded');
  engine.events = [];
  engine.attachments = [];
}

describe('a release of a proxied service', () => {
  it('joins the route network only after its health check, then drains the previous release', async () => {
    const engine = new RecordingEngine();
    await serving(engine);
    const [old] = engine.running();
    const { ctx, lines, timeline, noted } = context(engine, spec(2));
    const outcome = await runDeployJob(ctx);

    expect(outcome).toMatchObject({ status: 'succeeded', result: { unavailableMs: 0 } });
    // Noted for the journal, so an agent that dies mid-release puts the old one back.
    expect(noted).toEqual([[old!.id]]);
    expect(timeline.slice(-5)).toEqual(['start', 'healthcheck', 'switch', 'drain', 'cleanup']);
    // The old release was never stopped before the new one was attached, and then with the
    // service's drain time; the proxy (missing here) was asked to join first.
    expect(engine.events).toEqual([
      'start berth-svc1-2',
      `attach ${PROXY_CONTAINER_NAME} ${NETWORK}`,
      `attach berth-svc1-2 ${NETWORK} ${ALIAS}`,
      'stop berth-svc1-1 7s',
      'remove berth-svc1-1',
    ]);
    const [live] = engine.running();
    expect(live?.labels[LABELS.deployment]).toBe('dep2');
    expect(engine.attachments).toEqual([
      { network: NETWORK, containerId: live!.id, aliases: [ALIAS] },
    ]);
    expect(engine.networks.get(NETWORK)).toEqual({ 'berth.environment': 'env1' });
    expect(lines).toContain(
      `Switched traffic to deployment #2 (container ${live!.id.slice(0, 12)} on ${NETWORK})`,
    );
    expect(lines.some((l) => /^Drained deployment #1 in \d+ ms$/.test(l))).toBe(true);
    expect(engine.containers.size).toBe(1);
  });

  it('drains for the default 30 seconds when the service sets none, and attaches a running proxy', async () => {
    const engine = new RecordingEngine();
    await serving(engine, { drainSeconds: undefined });
    // The real engine finds the proxy by its name; the fake, by id.
    const created = await engine.createContainer({
      name: PROXY_CONTAINER_NAME,
      image: [...engine.images.keys()][0]!,
      env: {},
      labels: { 'berth.proxy': '1' },
      ports: [],
    } satisfies ContainerSpec);
    const proxy = PROXY_CONTAINER_NAME;
    engine.containers.set(proxy, { ...engine.containers.get(created)!, id: proxy });
    engine.containers.delete(created);
    engine.events = [];
    const next = spec(2);
    delete next.service.drainSeconds;
    expect((await runDeployJob(context(engine, next).ctx)).status).toBe('succeeded');
    expect(engine.events).toContain('stop berth-svc1-1 30s');
    expect(engine.attachments[0]).toEqual({ network: NETWORK, containerId: proxy, aliases: [] });
  });

  it('that fails its health check is never attached, and the old release is never stopped', async () => {
    const engine = new RecordingEngine();
    await serving(engine);
    const bad = publish(engine, '127.0.0.1:5000/web:v2');
    engine.crashing.set(bad, 3);
    const { ctx, lines, timeline } = context(
      engine,
      spec(2, { source: { type: 'image', image: '127.0.0.1:5000/web:v2' } }),
    );
    const outcome = await runDeployJob(ctx);

    expect(outcome.status).toBe('failed');
    expect('error' in outcome && outcome.error).toMatch(
      /Health check failed: .*exited with status 3/,
    );
    expect(timeline.slice(-2)).toEqual(['healthcheck', 'restore']);
    expect(engine.attachments).toEqual([]);
    expect(engine.events.filter((e) => e.includes('berth-svc1-1'))).toEqual([]);
    expect(engine.running().map((c) => c.labels[LABELS.deployment])).toEqual(['dep1']);
    expect(engine.containers.size).toBe(1);
    expect(lines).not.toContain(expect.stringMatching(/^Switched traffic/));
  });

  it('that is cancelled while it starts is never attached, and the old release serves on', async () => {
    const engine = new RecordingEngine();
    await serving(engine);
    const controller = new AbortController();
    const start = engine.startContainer.bind(engine);
    engine.startContainer = async (id) => {
      await start(id);
      controller.abort(new Error('cancelled by a user'));
    };
    const outcome = await runDeployJob(context(engine, spec(2), controller).ctx);

    expect(outcome).toMatchObject({ status: 'cancelled', error: /cancelled by a user/ });
    expect(engine.attachments).toEqual([]);
    expect(engine.events.filter((e) => e.includes('berth-svc1-1'))).toEqual([]);
    expect(engine.running().map((c) => c.labels[LABELS.deployment])).toEqual(['dep1']);
    expect(engine.containers.size).toBe(1);
  });

  it('that cannot start is removed, and the old release serves on', async () => {
    const engine = new RecordingEngine();
    await serving(engine);
    const start = engine.startContainer.bind(engine);
    engine.startContainer = (id) =>
      engine.containers.get(id)?.name === 'berth-svc1-2'
        ? Promise.reject(new Error('OCI runtime create failed'))
        : start(id);
    const outcome = await runDeployJob(context(engine, spec(2)).ctx);

    expect('error' in outcome && outcome.error).toMatch(/could not start: OCI runtime/);
    expect(engine.attachments).toEqual([]);
    expect(engine.running().map((c) => c.labels[LABELS.deployment])).toEqual(['dep1']);
    expect(engine.containers.size).toBe(1);
  });

  it('that the engine will not attach fails, and the old release serves on', async () => {
    const engine = new RecordingEngine();
    await serving(engine);
    const create = engine.createContainer.bind(engine);
    engine.createContainer = async (s) => (engine.refuseAttach = await create(s));
    const { ctx, timeline } = context(engine, spec(2));
    const outcome = await runDeployJob(ctx);

    expect(outcome.status).toBe('failed');
    expect('error' in outcome && outcome.error).toMatch(
      /^Switching traffic failed: the new container could not join the route network: network berth-route-env1 not found/,
    );
    expect(timeline.slice(-2)).toEqual(['switch', 'restore']);
    expect(engine.events.filter((e) => e.includes('berth-svc1-1'))).toEqual([]);
    expect(engine.running().map((c) => c.labels[LABELS.deployment])).toEqual(['dep1']);
    expect(engine.containers.size).toBe(1);
  });
});

describe('a service with domains that is not proxied', () => {
  it('with host ports hands them over as before: no route network, an outage counted', async () => {
    const engine = new RecordingEngine();
    const ports = [{ container: 8080, host: 18080, hostIp: '0.0.0.0' }];
    await serving(engine, { ports });
    // Each reading of the clock is 100 ms after the last.
    let clock = 0;
    const { ctx, timeline } = context(engine, spec(2, { ports }), undefined, () => (clock += 100));
    const outcome = await runDeployJob(ctx);

    expect(outcome.status).toBe('succeeded');
    expect(outcome.result.unavailableMs).toBeGreaterThan(0);
    expect(timeline).toEqual(['reuse', 'create', 'switch', 'start', 'healthcheck', 'cleanup']);
    // As before: stopped to hand over its ports, and (stopped already) once more on removal.
    expect(engine.events).toEqual([
      'stop berth-svc1-1 10s',
      'start berth-svc1-2',
      'stop berth-svc1-1 10s',
      'remove berth-svc1-1',
    ]);
    expect(engine.attachments).toEqual([]);
    expect(engine.running()[0]?.labels).not.toHaveProperty('berth.route-environment');
  });
});

describe('a restart of a proxied service', () => {
  it('runs a new container of the same image, which takes over once healthy', async () => {
    const engine = new RecordingEngine();
    await serving(engine);
    const [old] = engine.running();
    const restart = spec(1);
    restart.kind = 'restart';
    restart.deployment = { ...restart.deployment!, imageId: old!.imageId };
    const { ctx, lines } = context(engine, restart);
    const outcome = await runRestartJob(ctx);

    expect(outcome).toMatchObject({ status: 'succeeded', result: { unavailableMs: 0 } });
    const [fresh] = engine.running();
    expect(fresh?.id).not.toBe(old!.id);
    expect(fresh).toMatchObject({ imageId: old!.imageId, labels: { [LABELS.deployment]: 'dep1' } });
    expect(outcome.result.containerId).toBe(fresh!.id);
    expect(engine.events).toEqual([
      `start ${fresh!.name}`,
      `attach ${PROXY_CONTAINER_NAME} ${NETWORK}`,
      `attach ${fresh!.name} ${NETWORK} ${ALIAS}`,
      'stop berth-svc1-1 7s',
      'remove berth-svc1-1',
    ]);
    expect(lines.some((l) => /^Drained deployment #1 in \d+ ms$/.test(l))).toBe(true);
    expect(engine.containers.size).toBe(1);
  });

  it('whose new container fails keeps the running one untouched', async () => {
    const engine = new RecordingEngine();
    await serving(engine);
    const [old] = engine.running();
    const restart = spec(1);
    restart.kind = 'restart';
    restart.deployment = { ...restart.deployment!, imageId: old!.imageId };
    engine.crashing.set(old!.imageId, 1);
    const outcome = await runRestartJob(context(engine, restart).ctx);

    expect(outcome.status).toBe('failed');
    expect(engine.attachments).toEqual([]);
    expect(engine.running().map((c) => c.id)).toEqual([old!.id]);
    expect(engine.containers.size).toBe(1);
  });
});
