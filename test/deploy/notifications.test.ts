import { createHmac } from 'node:crypto';
import type { NotificationDelivery, NotificationTarget } from '@berth/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/api.js';
import { REGISTRY, uniqueId } from '../support/app-fixture.js';
import {
  QUICK_CHECK,
  createService,
  deployAndWait,
  startStage,
  stopStage,
  type Stage,
} from '../support/deploy-helpers.js';
import { dockerOrSkip } from '../support/docker.js';
import { NotificationReceiver } from '../support/notification-receiver.js';
import { waitFor } from '../support/wait.js';

const hasDocker = dockerOrSkip();

describe.skipIf(!hasDocker)('notifications of finished deployments', () => {
  const run = uniqueId();
  let stage: Stage;
  let receiver: NotificationReceiver;

  const addTarget = async (body: Record<string, unknown>) => {
    const res = await api<NotificationTarget>(
      stage.cp,
      'POST',
      `/api/v1/projects/${stage.projectId}/notifications`,
      body,
    );
    expect(res.status).toBe(201);
    return res.body;
  };

  beforeAll(async () => {
    // `/flaky` fails twice, then takes the notification.
    receiver = await NotificationReceiver.start({ '/flaky': [500, 500, 200] });
    stage = await startStage('notify');
  });
  afterAll(async () => {
    await stopStage(stage);
    await receiver?.stop();
  });

  it('a failed deployment notifies signed webhooks, retrying a receiver that answers 500 twice', async () => {
    const signed = await addTarget({
      type: 'webhook',
      url: `${receiver.url}/hook?token=${run}`,
      events: ['deployment.failed'],
    });
    expect(signed.secret).toMatch(/^[0-9a-f]{64}$/);
    const flaky = await addTarget({ type: 'webhook', url: `${receiver.url}/flaky` });
    // Only asks for successes: it must hear nothing of a failure.
    await addTarget({
      type: 'slack',
      url: `${receiver.url}/services/T000/B000/slack-${run}`,
      events: ['deployment.succeeded'],
    });

    const listed = await api<NotificationTarget[]>(
      stage.cp,
      'GET',
      `/api/v1/projects/${stage.projectId}/notifications`,
    );
    expect(listed.body).toHaveLength(3);
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain(signed.secret!);
    expect(text).not.toContain(`slack-${run}`);
    expect(text).not.toContain(`token=${run}`);

    const service = await createService(stage, {
      name: 'missing',
      source: { type: 'image', image: `${REGISTRY}/berth-missing-${run}:nope` },
      healthcheck: QUICK_CHECK,
    });
    const deployment = await deployAndWait(stage, service.id, { expect: 'failed' });

    const [request] = await waitFor('the notification on /hook', async () => {
      const got = receiver.on(`/hook?token=${run}`);
      return got.length > 0 ? got : null;
    });
    const expected = createHmac('sha256', signed.secret!).update(request!.body).digest('hex');
    expect(request!.headers['x-berth-signature']).toBe(`sha256=${expected}`);
    expect(request!.headers['x-berth-event']).toBe('deployment.failed');
    expect(JSON.parse(request!.body)).toMatchObject({
      event: 'deployment.failed',
      service: { id: service.id, name: 'missing' },
      deployment: { id: deployment.id, number: deployment.number },
    });

    const flakyLog = await waitFor(
      'the flaky receiver to get the notification',
      async () => {
        const res = await api<NotificationDelivery[]>(
          stage.cp,
          'GET',
          `/api/v1/projects/${stage.projectId}/notifications/${flaky.id}/deliveries`,
        );
        return res.body[0]?.status === 'delivered' ? res.body : null;
      },
      { timeoutMs: 20_000 },
    );
    expect(flakyLog[0]?.attempts.map((attempt) => attempt.httpStatus)).toEqual([500, 500, 200]);
    const flakyRequests = receiver.on('/flaky');
    expect(flakyRequests).toHaveLength(3);
    // Each retry carries the same delivery id, so a receiver can drop repeats.
    expect(new Set(flakyRequests.map((r) => r.headers['x-berth-delivery'])).size).toBe(1);
    expect(receiver.requests.filter((r) => r.path.startsWith('/services/'))).toHaveLength(0);
  });

  it('refuses a target URL that is not http or https', async () => {
    const res = await api(stage.cp, 'POST', `/api/v1/projects/${stage.projectId}/notifications`, {
      type: 'discord',
      url: 'file:///etc/passwd',
    });
    expect(res.status).toBe(400);
  });
});
