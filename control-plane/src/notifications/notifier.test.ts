import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../log.js';
import { QueueEvents } from '../queue/queue-events.js';
import type { DeploymentRecord, JobRecord } from '../store/records.js';
import { openMemoryStore } from '../store/store.js';
import { fakeClock } from '../testing/fake-clock.js';
import { Notifier } from './notifier.js';
import type { Post } from './send.js';
import { NotificationTargets } from './targets.js';

async function setup(answers: number[] = [200]) {
  const clock = fakeClock();
  const store = await openMemoryStore({ now: clock.now });
  const project = await store.projects.create({ name: 'shop' });
  const environment = await store.environments.create({
    projectId: project.id,
    name: 'prod',
    serverId: 'srv_a',
  });
  const service = await store.services.create(environment.id, {
    name: 'web',
    source: {
      type: 'git',
      repository: 'https://example.com/a.git',
      ref: 'main',
      dockerfile: 'Dockerfile',
      context: '.',
    },
    ports: [],
    env: {},
    healthcheck: { type: 'running', seconds: 1 },
  });
  const targets = new NotificationTargets(store.db, clock.now);
  const posted: Parameters<Post>[0][] = [];
  const events = new QueueEvents();
  const notifier = new Notifier({
    store,
    events,
    log: silentLogger,
    now: clock.now,
    sleep: async (ms) => clock.advance(ms),
    random: () => 0,
    policy: { attempts: 5, baseDelayMs: 1000, maxDelayMs: 16_000 },
    post: async (request) => {
      posted.push(request);
      return { status: answers[Math.min(posted.length - 1, answers.length - 1)]! };
    },
  });
  notifier.start();
  const end = (status: 'failed' | 'succeeded') => {
    const job = {
      id: 'job_1',
      serviceId: service.id,
      kind: 'deploy',
      status,
      finishedAt: '2025-01-01T00:00:05.000Z',
    } as JobRecord;
    const deployment = {
      id: 'dep_1',
      number: 3,
      trigger: 'push',
      status,
      source: {
        type: 'git',
        repository: 'https://example.com/a.git',
        ref: 'main',
        commit: 'c'.repeat(40),
      },
      ...(status === 'failed' ? { error: 'the health check failed' } : {}),
    } as DeploymentRecord;
    events.emit('ended', job, deployment);
  };
  return { store, project, service, targets, notifier, posted, end };
}

describe('Notifier', () => {
  it('sends a failed deployment to the targets that asked, signing the generic webhook', async () => {
    const { project, targets, notifier, posted, end } = await setup();
    const hook = await targets.create(project.id, {
      type: 'webhook',
      url: 'https://receiver.example.com/hook',
      events: ['deployment.failed'],
    });
    await targets.create(project.id, {
      type: 'slack',
      url: 'https://hooks.slack.com/services/T/B/secret',
      events: ['deployment.failed'],
    });
    await targets.create(project.id, {
      type: 'discord',
      url: 'https://discord.com/api/webhooks/1/secret',
      events: ['deployment.succeeded'],
    });
    end('failed');
    await notifier.idle();

    expect(posted.map((p) => p.url).sort()).toEqual([
      'https://hooks.slack.com/services/T/B/secret',
      'https://receiver.example.com/hook',
    ]);
    const webhook = posted.find((p) => p.url === 'https://receiver.example.com/hook')!;
    const signature = createHmac('sha256', hook.secret).update(webhook.body).digest('hex');
    expect(webhook.headers['x-berth-signature']).toBe(`sha256=${signature}`);
    expect(JSON.parse(webhook.body)).toMatchObject({
      event: 'deployment.failed',
      project: { name: 'shop' },
      service: { name: 'web' },
      deployment: { id: 'dep_1', number: 3, trigger: 'push', error: 'the health check failed' },
    });
    const slack = JSON.parse(posted.find((p) => p.url.includes('slack'))!.body);
    expect(slack).toEqual({
      text: 'Deployment #3 of shop/prod/web (commit cccccccccccc) failed: the health check failed',
    });
    expect(targets.deliveries(hook.id)).toMatchObject([
      {
        event: 'deployment.failed',
        subjectId: 'dep_1',
        status: 'delivered',
        attempts: [{ httpStatus: 200 }],
      },
    ]);
  });

  it('logs every attempt of a delivery that never succeeds, and sends a Discord message', async () => {
    const { project, targets, notifier, posted, end } = await setup([503]);
    const discord = await targets.create(project.id, {
      type: 'discord',
      url: 'https://discord.com/api/webhooks/1/secret',
      events: ['deployment.succeeded'],
    });
    end('succeeded');
    await notifier.idle();
    expect(posted).toHaveLength(5);
    expect(JSON.parse(posted[0]!.body)).toEqual({
      content: 'Deployment #3 of shop/prod/web (commit cccccccccccc) succeeded',
    });
    const [delivery] = targets.deliveries(discord.id);
    expect(delivery?.status).toBe('failed');
    expect(delivery?.attempts.map((a) => a.httpStatus)).toEqual([503, 503, 503, 503, 503]);
  });
});
