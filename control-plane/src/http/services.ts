import { patchServiceBodySchema } from '@berth/protocol';
import { Hono } from 'hono';
import { notFound } from '../errors.js';
import { readBody } from './body.js';
import type { AppDeps } from './deps.js';
import { serviceView } from './views.js';

export function serviceRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  const { store } = deps;

  app.get('/services/:id', async (c) => {
    const service = await store.services.get(c.req.param('id'));
    if (!service) throw notFound('service', c.req.param('id'));
    return c.json(serviceView(service));
  });

  app.patch('/services/:id', async (c) => {
    const id = c.req.param('id');
    if (!store.services.config(id)) throw notFound('service', id);
    const patch = await readBody(c, patchServiceBodySchema);
    const updated = await store.services.update(id, patch);
    if (!updated) throw notFound('service', id);
    return c.json(serviceView(updated));
  });

  return app;
}
