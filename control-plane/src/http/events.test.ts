import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../log.js';
import { QueueEvents } from '../queue/queue-events.js';
import type { DeploymentRecord, JobRecord, UserRecord } from '../store/records.js';
import { openMemoryStore, type Store } from '../store/store.js';
import { createErrorHandler } from './errors.js';
import { eventRoutes } from './events.js';

interface SseEvent {
  event: string;
  data: unknown;
}

const readers: ReadableStreamDefaultReader<string>[] = [];

/** Reads a text/event-stream answer event by event. */
function sseReader(res: Response) {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  readers.push(reader);
  return async function next(): Promise<SseEvent> {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) return { event, data: JSON.parse(data) };
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('the stream ended');
      buffer += value;
    }
  };
}

/** `as` picks who reads the stream; the owner by default. */
async function setup(as?: (store: Store, projectId: string) => Promise<UserRecord>) {
  const store = await openMemoryStore();
  const project = await store.projects.create({ name: 'shop' });
  const environment = await store.environments.create({
    projectId: project.id,
    name: 'production',
    serverId: 'srv_1',
  });
  const create = (name: string) =>
    store.services.create(environment.id, {
      name,
      source: { type: 'image', image: 'nginx:1.27' },
      ports: [],
      env: {},
      healthcheck: { type: 'running', seconds: 3 },
    });
  const web = await create('web');
  const other = await create('worker');
  const events = new QueueEvents();
  // Mounted as in the app, so errors become JSON answers.
  const app = new Hono().onError(createErrorHandler(silentLogger));
  // As access control would have let the reader in.
  const user = as ? await as(store, project.id) : store.access.owner()!;
  app.use('*', async (c, next) => {
    c.set('principal', { via: as ? 'session' : 'admin-token', user });
    await next();
  });
  app.route('/', eventRoutes({ store, events }));
  return { store, events, web, other, app, environment, user };
}

function records(
  store: Store,
  serviceId: string,
  number: number,
  status: DeploymentRecord['status'],
) {
  const job: JobRecord = {
    id: `job_${serviceId}_${number}`,
    serviceId,
    kind: 'deploy',
    status: status === 'succeeded' ? 'succeeded' : 'running',
    deploymentId: `dep_${serviceId}_${number}`,
    createdAt: '2025-01-01T00:00:00.000Z',
    serverId: 'srv_1',
    service: {
      id: serviceId,
      name: 'x',
      source: { type: 'image', image: 'nginx:1.27' },
      ports: [],
      env: {},
      healthcheck: { type: 'running', seconds: 3 },
    },
    deadlineAt: '2025-01-01T01:00:00.000Z',
  };
  const deployment: DeploymentRecord = {
    id: `dep_${serviceId}_${number}`,
    serviceId,
    number,
    status,
    cache: 'use-existing',
    trigger: 'deploy',
    source: { type: 'image', image: 'nginx:1.27' },
    ...(status === 'succeeded'
      ? { imageId: `sha256:${number}`, finishedAt: '2025-01-01T00:01:00.000Z' }
      : {}),
    createdAt: '2025-01-01T00:00:00.000Z',
    jobId: job.id,
  };
  return { job, deployment };
}

// Cancelling the body is how a client that goes away looks to the stream.
afterEach(async () => {
  await Promise.all(readers.splice(0).map((reader) => reader.cancel()));
});

describe('GET /events', () => {
  it('starts with a snapshot of the service and its newest deployments, each saying whether it can be rolled back', async () => {
    const { store, web, app } = await setup();
    const first = records(store, web.id, 1, 'succeeded');
    const second = records(store, web.id, 2, 'building');
    for (const r of [first, second]) await store.history.enqueue(web.id, () => r);
    const res = await app.request(`/events?serviceId=${web.id}`);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const next = sseReader(res);
    const snapshot = await next();
    expect(snapshot.event).toBe('snapshot');
    const data = snapshot.data as {
      service: { name: string };
      deployments: { number: number; rollbackAvailable: boolean; jobId?: string }[];
      hasMore: boolean;
    };
    expect(data.service.name).toBe('web');
    expect(data.deployments.map((d) => [d.number, d.rollbackAvailable])).toEqual([
      [2, false],
      [1, true],
    ]);
    expect(data.deployments[0]).not.toHaveProperty('jobId');
    expect(data.hasMore).toBe(false);
  });

  it("sends that service's deployment, job and service changes, and nothing of other services", async () => {
    const { store, events, web, other, app } = await setup();
    const next = sseReader(await app.request(`/events?serviceId=${web.id}`));
    expect((await next()).event).toBe('snapshot');

    const elsewhere = records(store, other.id, 1, 'building');
    events.emit('job', elsewhere.job, elsewhere.deployment);
    events.emit('service', other.id);
    const mine = records(store, web.id, 1, 'building');
    await store.services.update(web.id, {});
    await store.history.updateServices([web.id], (_id, state) => {
      state.status = 'deploying';
    });
    events.emit('job', mine.job, mine.deployment);

    const deployment = await next();
    expect(deployment.event).toBe('deployment');
    expect(deployment.data).toMatchObject({
      id: mine.deployment.id,
      status: 'building',
      rollbackAvailable: false,
    });
    const job = await next();
    expect(job).toMatchObject({ event: 'job', data: { id: mine.job.id, kind: 'deploy' } });
    // The job moved the service to deploying; the stream says so once.
    const service = await next();
    expect(service).toMatchObject({ event: 'service', data: { id: web.id, status: 'deploying' } });
    events.emit('service', web.id);
    events.emit('job', mine.job, undefined);
    expect((await next()).event).toBe('job');
  });

  it('never sends a viewer a secret, and stops the moment the viewer is disabled', async () => {
    const { store, events, web, app, user } = await setup(async (store, projectId) => {
      await store.access.createInvite({
        tokenHash: 'hash',
        projects: { [projectId]: 'viewer' },
        createdBy: 'usr_owner',
      });
      return store.access.acceptInvite({ tokenHash: 'hash', name: 'val', passwordHash: 'x' });
    });
    await store.services.update(web.id, { env: { API_KEY: 'secret-in-the-stream' } });
    const next = sseReader(await app.request('/events'));
    expect((await next()).event).toBe('ready');
    const mine = records(store, web.id, 1, 'building');
    events.emit('job', mine.job, mine.deployment);
    const seen = [await next(), await next(), await next()];
    expect(seen.map((e) => e.event)).toEqual(['deployment', 'job', 'service']);
    expect(seen[2]!.data).toMatchObject({ env: { API_KEY: '********' }, secretsHidden: true });
    expect(JSON.stringify(seen)).not.toContain('secret-in-the-stream');

    await store.access.updateUser(user.id, (record) => {
      record.disabled = true;
    });
    events.emit('job', mine.job, mine.deployment);
    const after = await Promise.race([
      next().then(() => 'an event'),
      new Promise((resolve) => setTimeout(() => resolve('nothing'), 200)),
    ]);
    expect(after).toBe('nothing');
  });

  it('answers 404 for an unknown service, and stops listening when the client goes away', async () => {
    const { events, app } = await setup();
    expect((await app.request('/events?serviceId=svc_nope')).status).toBe(404);
    const next = sseReader(await app.request('/events'));
    expect((await next()).event).toBe('ready');
    expect(events.listenerCount('job')).toBe(1);
    await readers.pop()!.cancel();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events.listenerCount('job')).toBe(0);
    expect(events.listenerCount('service')).toBe(0);
  });
});

describe('GET /events with markup in names', () => {
  it('sends a name exactly as typed, as JSON data on one line: the dashboard shows it as text', async () => {
    const { store, app, environment } = await setup();
    const name = '<img src=x onerror=alert(1)>';
    const service = await store.services.create(environment.id, {
      name,
      source: { type: 'image', image: 'nginx:1.27' },
      ports: [],
      env: { NOTE: '</script><script>alert(2)</script>' },
      healthcheck: { type: 'running', seconds: 3 },
    });
    const res = await app.request(`/events?serviceId=${service.id}`);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    readers.push(reader);
    let text = '';
    while (!text.includes('\n\n')) text += (await reader.read()).value ?? '';
    const block = text.slice(0, text.indexOf('\n\n'));
    const dataLines = block.split('\n').filter((line) => line.startsWith('data: '));
    expect(dataLines).toHaveLength(1);
    const snapshot = JSON.parse(dataLines[0]!.slice('data: '.length));
    expect(snapshot.service.name).toBe(name);
    expect(snapshot.service.env.NOTE).toBe('</script><script>alert(2)</script>');
  });
});
