import { createRegistryBodySchema, patchRegistryBodySchema, type Registry } from '@berth/protocol';
import { Hono } from 'hono';
import { notFound } from '../errors.js';
import type { RegistryRecord } from '../store/records.js';
import { readBody } from './body.js';
import type { AppDeps } from './deps.js';

/** A credential as the API shows it: the password never leaves through the API. */
export function registryView(record: RegistryRecord): Registry {
  return { id: record.id, host: record.host, username: record.username };
}

/** Registry credentials: `/api/v1/registries`, behind the admin token. */
export function registryRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  const { store, log } = deps;

  app.post('/registries', async (c) => {
    const body = await readBody(c, createRegistryBodySchema);
    const record = await store.registries.create(body);
    log.info(`registry credential ${record.id} added for ${record.host} (user ${record.username})`);
    return c.json(registryView(record), 201);
  });

  app.get('/registries', (c) => c.json(store.registries.list().map(registryView)));

  app.get('/registries/:id', (c) => {
    const record = store.registries.get(c.req.param('id'));
    if (!record) throw notFound('registry', c.req.param('id'));
    return c.json(registryView(record));
  });

  app.patch('/registries/:id', async (c) => {
    const id = c.req.param('id');
    if (!store.registries.get(id)) throw notFound('registry', id);
    const record = await store.registries.update(id, await readBody(c, patchRegistryBodySchema));
    log.info(`registry credential ${record.id} for ${record.host} changed`);
    return c.json(registryView(record));
  });

  app.delete('/registries/:id', async (c) => {
    const id = c.req.param('id');
    if (!(await store.registries.remove(id))) throw notFound('registry', id);
    log.info(`registry credential ${id} removed`);
    return c.body(null, 204);
  });

  return app;
}
