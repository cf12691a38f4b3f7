import { createNotificationBodySchema } from '@berth/protocol';
import { Hono } from 'hono';
import { notFound } from '../errors.js';
import { NotificationTargets, targetView } from '../notifications/targets.js';
import { readBody } from './body.js';
import type { AppDeps } from './deps.js';

/** A project's notification targets, and each target's delivery log. */
export function notificationRoutes(deps: Pick<AppDeps, 'store' | 'now'>): Hono {
  const app = new Hono();
  const { store } = deps;
  const targets = new NotificationTargets(store.db, deps.now);
  const projectOr404 = (id: string) => {
    const project = store.projects.get(id);
    if (!project) throw notFound('project', id);
    return project;
  };
  const targetOr404 = (projectId: string, id: string) => {
    const target = targets.get(id);
    if (!target || target.projectId !== projectId) throw notFound('notification target', id);
    return target;
  };

  app.post('/projects/:id/notifications', async (c) => {
    const project = projectOr404(c.req.param('id'));
    const body = await readBody(c, createNotificationBodySchema);
    const target = await targets.create(project.id, body);
    // The only answer that carries the signing secret; Slack and Discord targets have no use for it.
    return c.json(
      { ...targetView(target), ...(target.type === 'webhook' ? { secret: target.secret } : {}) },
      201,
    );
  });

  app.get('/projects/:id/notifications', (c) => {
    const project = projectOr404(c.req.param('id'));
    return c.json(targets.list(project.id).map(targetView));
  });

  app.delete('/projects/:id/notifications/:targetId', async (c) => {
    const project = projectOr404(c.req.param('id'));
    const target = targetOr404(project.id, c.req.param('targetId'));
    await targets.remove(target.id);
    return c.body(null, 204);
  });

  app.get('/projects/:id/notifications/:targetId/deliveries', (c) => {
    const project = projectOr404(c.req.param('id'));
    const target = targetOr404(project.id, c.req.param('targetId'));
    return c.json(targets.deliveries(target.id));
  });
  return app;
}
