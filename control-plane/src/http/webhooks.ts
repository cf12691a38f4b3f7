import type { Actor } from '@berth/protocol';
import { Hono } from 'hono';
import { ipOf, NO_AUDIT, outcomeOf } from './audit-trail.js';
import { runAs } from '../auth/current-actor.js';
import { projectOfService } from '../auth/route-rules.js';
import { BerthError, notFound } from '../errors.js';
import { WebhookDeliveries } from '../webhooks/deliveries.js';
import { receivePush } from '../webhooks/receive.js';
import type { AppDeps } from './deps.js';
import { publicUrlOf } from './public-url.js';

/** Largest webhook body accepted, in bytes; the app's body limit answers 413 before this. */
const MAX_WEBHOOK_BYTES = 1024 * 1024;

type WebhookDeps = Pick<AppDeps, 'store' | 'now' | 'log' | 'publicUrl' | 'audit'> &
  Required<Pick<AppDeps, 'deployments'>>;

/** `POST /webhooks/git/:serviceId`: no admin token; the signature made with the service's secret is the proof. */
export function gitWebhookRoutes(deps: WebhookDeps): Hono {
  const app = new Hono();
  const deliveries = new WebhookDeliveries(deps.store.db);
  app.post('/webhooks/git/:serviceId', async (c) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    if (body.byteLength > MAX_WEBHOOK_BYTES) {
      throw new BerthError('INVALID_INPUT', `the webhook body exceeds ${MAX_WEBHOOK_BYTES} bytes`, {
        status: 413,
      });
    }
    const serviceId = c.req.param('serviceId');
    const actor: Actor = { type: 'webhook', id: serviceId, name: 'push webhook' };
    const projectId = projectOfService(deps.store, serviceId);
    const record = (status: number, detail?: string) =>
      (deps.audit ?? NO_AUDIT).record({
        actor,
        action: 'service.push',
        target: { type: 'service', id: serviceId },
        ...(projectId ? { projectId } : {}),
        ...ipOf(c),
        outcome: outcomeOf(status),
        status,
        ...(detail ? { detail } : {}),
      });
    let received: Awaited<ReturnType<typeof receivePush>>;
    try {
      received = await runAs(actor, () =>
        receivePush(
          {
            store: deps.store,
            deliveries,
            queue: deps.deployments.queue,
            now: deps.now,
            log: deps.log,
          },
          { serviceId, header: (name) => c.req.header(name), body },
        ),
      );
    } catch (err) {
      record(
        err instanceof BerthError ? err.status : 500,
        err instanceof Error ? err.message : undefined,
      );
      throw err;
    }
    record(received.status);
    return c.json(received.delivery, received.status);
  });
  return app;
}

/** The webhook of a service as the admin API shows it: its URL, secret and deliveries. */
export function webhookRoutes(deps: WebhookDeps): Hono {
  const app = new Hono();
  const { store } = deps;
  const deliveries = new WebhookDeliveries(store.db);
  const gitServiceOr404 = (id: string) => {
    const service = store.services.config(id);
    if (!service) throw notFound('service', id);
    if (service.source.type !== 'git') {
      throw new BerthError(
        'CONFLICT',
        `${service.name} is not a git service; it has no push webhook`,
        {
          status: 409,
        },
      );
    }
    return service;
  };
  const info = (url: string, id: string, secret: string | undefined) => {
    if (secret === undefined) throw notFound('service', id);
    return { url: `${url}/webhooks/git/${id}`, secret };
  };

  app.get('/services/:id/webhook', async (c) => {
    const { id } = gitServiceOr404(c.req.param('id'));
    const secret = await store.services.webhookSecret(id);
    return c.json(info(publicUrlOf(c, deps.publicUrl), id, secret));
  });

  app.post('/services/:id/webhook/rotate', async (c) => {
    const { id } = gitServiceOr404(c.req.param('id'));
    const secret = await store.services.webhookSecret(id, { rotate: true });
    return c.json(info(publicUrlOf(c, deps.publicUrl), id, secret));
  });

  app.get('/services/:id/webhook/deliveries', (c) => {
    const { id } = gitServiceOr404(c.req.param('id'));
    return c.json(deliveries.list(id));
  });
  return app;
}
