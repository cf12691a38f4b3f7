import { createServiceBodySchema } from '@berth/protocol';
import { Hono } from 'hono';
import { notFound } from '../errors.js';
import { readBody } from './body.js';
import type { AppDeps } from './deps.js';
import { canSecrets } from './access-control.js';
import { environmentView, serviceViewIn } from './views.js';

export function environmentRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  const { store } = deps;

  app.get('/environments/:id', (c) => {
    const environment = store.environments.get(c.req.param('id'));
    if (!environment) throw notFound('environment', c.req.param('id'));
    return c.json(environmentView(environment));
  });

  app.post('/environments/:id/services', async (c) => {
    const environment = store.environments.get(c.req.param('id'));
    if (!environment) throw notFound('environment', c.req.param('id'));
    const body = await readBody(c, createServiceBodySchema);
    const service = await store.services.create(environment.id, body);
    if ((service.domains ?? []).length > 0) deps.proxySync?.serviceChanged(service.id);
    return c.json(serviceViewIn(store, service, { secrets: canSecrets(c) }), 201);
  });

  app.get('/environments/:id/services', async (c) => {
    const environment = store.environments.get(c.req.param('id'));
    if (!environment) throw notFound('environment', c.req.param('id'));
    return c.json(
      (await store.services.listByEnvironment(environment.id)).map((s) =>
        serviceViewIn(store, s, { secrets: canSecrets(c) }),
      ),
    );
  });

  return app;
}
