import { Hono } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { z } from 'zod';
import { notFound } from '../errors.js';
import { rollbackOrigin } from '../queue/actions.js';
import type { QueueEvents } from '../queue/queue-events.js';
import { principalOf } from './access-control.js';
import { can, type Principal } from '../auth/permissions.js';
import { projectOfService } from '../auth/route-rules.js';
import type { DeploymentRecord, JobRecord, ServiceRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { describeBodyIssues, invalidFields } from './body.js';
import { backupView, deploymentView, jobView, serviceViewIn } from './views.js';

/** A comment line every so often keeps proxies from closing a quiet stream, in milliseconds. */
const KEEPALIVE_MS = 15_000;
/** How many deployments the snapshot holds; older ones come from the history endpoint. */
const SNAPSHOT_LIMIT = 20;

export interface EventDeps {
  store: Store;
  events: QueueEvents;
}

const querySchema = z.object({ serviceId: z.string().min(1).optional() });

/**
 * `GET /events?serviceId=`: a `text/event-stream` of what changes, so views update
 * without polling. With `serviceId` it starts with one `snapshot` event (the
 * service and its newest deployments), then sends `deployment`, `job` and
 * `service` events for that service only (and `backup` events: a backup's status or live
 * progress changed); without it, those events for all.
 * Each deployment carries `rollbackAvailable`: it succeeded and its image is still kept.
 */
export function eventRoutes(deps: EventDeps): Hono {
  const app = new Hono();
  const { store, events } = deps;

  const withRollback = async (deployment: DeploymentRecord) => ({
    ...deploymentView(deployment),
    rollbackAvailable: await canRollBack(store, deployment),
  });

  app.get('/events', (c) => {
    const parsed = querySchema.safeParse(c.req.query());
    if (!parsed.success) throw invalidFields(describeBodyIssues(parsed.error));
    const { serviceId } = parsed.data;
    const signedIn = principalOf(c);
    // The stream stays open for hours: each event is checked against the user and token as
    // they are now, so a role taken away, a user disabled or a token revoked stops it at once.
    const principal = (): Principal | undefined => {
      const user = store.access.user(signedIn.user.id);
      if (!user || user.disabled) return undefined;
      const token = signedIn.token && store.access.tokenByHash(signedIn.token.tokenHash);
      if (signedIn.token && !token) return undefined;
      return { ...signedIn, user, ...(token ? { token } : {}) };
    };
    // Only services of projects the caller may see, and their secrets only where allowed.
    const allowed = (id: string, permission: 'read' | 'secrets') => {
      const projectId = projectOfService(store, id);
      const now = principal();
      return projectId !== undefined && now !== undefined && can(now, permission, projectId);
    };
    if (serviceId && !allowed(serviceId, 'read')) throw notFound('service', serviceId);
    const wanted = (id: string) =>
      (serviceId === undefined || id === serviceId) && allowed(id, 'read');
    const viewOf = (service: ServiceRecord) =>
      serviceViewIn(store, service, { secrets: allowed(service.id, 'secrets') });

    return streamSSE(c, async (sse) => {
      // Writes are chained so events leave in the order they happened.
      let chain = Promise.resolve();
      // Data that needs a store read is read in turn, so events still leave in order.
      const send = (event: string, data: unknown | (() => Promise<unknown>)) => {
        chain = chain
          .then(async () => write(sse, event, typeof data === 'function' ? await data() : data))
          .catch(() => undefined);
      };
      // A job can change its service too (a deploy starting sets it deploying); send it when it did.
      const lastSent = new Map<string, string>();
      const onService = (id: string) => {
        if (!wanted(id)) return;
        chain = chain
          .then(async () => {
            const service = await store.services.get(id);
            if (!service) return;
            const view = viewOf(service);
            const json = JSON.stringify(view);
            if (lastSent.get(id) === json) return;
            lastSent.set(id, json);
            await write(sse, 'service', view);
          })
          .catch(() => undefined);
      };
      const onJob = (job: JobRecord, deployment: DeploymentRecord | undefined) => {
        if (!wanted(job.serviceId)) return;
        if (deployment) send('deployment', () => withRollback(deployment));
        send('job', jobView(job));
        onService(job.serviceId);
      };
      const onBackup = (backupId: string) => {
        chain = chain
          .then(async () => {
            const backup = await store.history.backup(backupId);
            if (backup && wanted(backup.serviceId)) await write(sse, 'backup', backupView(backup));
          })
          .catch(() => undefined);
      };
      events.on('job', onJob);
      events.on('service', onService);
      events.on('backup', onBackup);
      try {
        const service = serviceId ? await store.services.get(serviceId) : undefined;
        if (service) {
          lastSent.set(service.id, JSON.stringify(viewOf(service)));
          const list = await store.history.deployments(service.id, { limit: SNAPSHOT_LIMIT });
          const oldest = list.at(-1);
          send('snapshot', {
            service: viewOf(service),
            deployments: await Promise.all(list.map(withRollback)),
            hasMore:
              oldest !== undefined &&
              (await store.history.hasDeploymentsBefore(service.id, oldest.number)),
          });
        } else {
          send('ready', {});
        }
        await new Promise<void>((resolve) => {
          sse.onAbort(resolve);
          const keepalive = setInterval(() => {
            chain = chain
              .then(async () => {
                if (!sse.aborted && !sse.closed) await sse.write(': keepalive\n\n');
              })
              .catch(() => undefined);
          }, KEEPALIVE_MS);
          keepalive.unref();
          sse.onAbort(() => clearInterval(keepalive));
        });
      } finally {
        events.off('job', onJob);
        events.off('service', onService);
        events.off('backup', onBackup);
      }
    });
  });

  return app;
}

async function write(sse: SSEStreamingApi, event: string, data: unknown): Promise<void> {
  if (sse.aborted || sse.closed) return;
  await sse.writeSSE({ event, data: JSON.stringify(data) });
}

/** Whether a rollback to this deployment would be accepted now. */
async function canRollBack(store: Store, deployment: DeploymentRecord): Promise<boolean> {
  if (deployment.status !== 'succeeded') return false;
  try {
    await rollbackOrigin(store, deployment.id);
    return true;
  } catch {
    return false;
  }
}
