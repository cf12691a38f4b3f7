import { createDeploymentBodySchema } from '@berth/protocol';
import { Hono } from 'hono';
import { z } from 'zod';
import { notFound } from '../errors.js';
import type { ContainerLogRelay } from '../hub/container-log-relay.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { QueueEvents } from '../queue/queue-events.js';
import type { LogFiles } from '../store/log-files.js';
import type { Store } from '../store/store.js';
import { invalidFields, parseQuery, readBody } from './body.js';
import { containerLogResponse, deploymentLogResponse } from './log-streams.js';
import { acceptedView, deploymentView, jobView } from './views.js';

export interface DeploymentDeps {
  store: Store;
  queue: JobQueue;
  logs: LogFiles;
  events: QueueEvents;
  containerLogs: ContainerLogRelay;
}

const historyQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** A deployment number or id: list the ones older than it. */
  before: z.string().min(1).max(128).optional(),
});

const flag = z
  .enum(['1', 'true', '0', 'false'])
  .optional()
  .transform((value) => value === '1' || value === 'true');

const deploymentLogQuerySchema = z.object({
  after: z.coerce.number().int().min(0).default(0),
  follow: flag,
  /** At most this many lines; paging with `after`. */
  limit: z.coerce.number().int().min(1).optional(),
  /** Only the last this many lines. */
  tail: z.coerce.number().int().min(0).optional(),
  /** `text`: the lines' text only, as a file to download. */
  format: z.enum(['ndjson', 'text']).default('ndjson'),
});

const serviceLogQuerySchema = z.object({
  tail: z.coerce.number().int().min(0).max(10_000).default(100),
  follow: flag,
});

/** The cursor as a deployment number: given as a number, or as the id of one of the service's deployments. */
async function beforeNumber(
  store: Store,
  serviceId: string,
  before: string | undefined,
): Promise<number | undefined> {
  if (before === undefined) return undefined;
  if (/^\d+$/.test(before)) return Number(before);
  const deployment = await store.history.deployment(before);
  if (!deployment || deployment.serviceId !== serviceId) {
    throw invalidFields([
      {
        path: 'before',
        message: 'must be a deployment number or the id of one of this service’s deployments',
      },
    ]);
  }
  return deployment.number;
}

export function deploymentRoutes(deps: DeploymentDeps): Hono {
  const app = new Hono();
  const { store, queue } = deps;

  const serviceOr404 = (id: string) => {
    const service = store.services.config(id);
    if (!service) throw notFound('service', id);
    return service;
  };
  const deploymentOr404 = async (id: string) => {
    const deployment = await store.history.deployment(id);
    if (!deployment) throw notFound('deployment', id);
    return deployment;
  };

  app.post('/services/:id/deployments', async (c) => {
    serviceOr404(c.req.param('id'));
    const body = await readBody(c, createDeploymentBodySchema);
    return c.json(acceptedView(await queue.deploy(c.req.param('id'), body.cache)), 202);
  });

  app.post('/services/:id/restart', async (c) => {
    serviceOr404(c.req.param('id'));
    return c.json(acceptedView(await queue.restart(c.req.param('id'))), 202);
  });

  app.post('/services/:id/stop', async (c) => {
    serviceOr404(c.req.param('id'));
    // Databases, the only services that can be exposed publicly, answer EXPOSED here once they exist.
    return c.json(acceptedView(await queue.stop(c.req.param('id'))), 202);
  });

  app.post('/deployments/:id/rollback', async (c) =>
    c.json(acceptedView(await queue.rollback(c.req.param('id'))), 202),
  );

  app.post('/deployments/:id/cancel', async (c) =>
    c.json(acceptedView(await queue.cancelDeployment(c.req.param('id'))), 202),
  );

  app.get('/jobs/:id', async (c) => {
    const job = await store.history.job(c.req.param('id'));
    if (!job) throw notFound('job', c.req.param('id'));
    return c.json(jobView(job));
  });

  app.get('/services/:id/deployments', async (c) => {
    serviceOr404(c.req.param('id'));
    const query = parseQuery(c, historyQuerySchema);
    const before = await beforeNumber(store, c.req.param('id'), query.before);
    const list = await store.history.deployments(c.req.param('id'), {
      limit: query.limit,
      ...(before === undefined ? {} : { beforeNumber: before }),
    });
    return c.json(list.map(deploymentView));
  });

  app.get('/deployments/:id', async (c) =>
    c.json(deploymentView(await deploymentOr404(c.req.param('id')))),
  );

  app.get('/deployments/:id/logs', async (c) => {
    const deployment = await deploymentOr404(c.req.param('id'));
    const query = parseQuery(c, deploymentLogQuerySchema);
    return deploymentLogResponse(c, deps, { deployment, ...query });
  });

  app.get('/services/:id/logs', (c) => {
    const service = serviceOr404(c.req.param('id'));
    const environment = store.environments.get(service.environmentId);
    if (!environment) throw notFound('environment', service.environmentId);
    const query = parseQuery(c, serviceLogQuerySchema);
    return containerLogResponse(c, deps, {
      serverId: environment.serverId,
      serviceId: service.id,
      ...query,
    });
  });

  return app;
}
