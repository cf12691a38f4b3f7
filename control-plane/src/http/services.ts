import { patchServiceBodySchema } from '@berth/protocol';
import { Hono } from 'hono';
import { notFound } from '../errors.js';
import { isCronExpression } from '../upkeep/schedule.js';
import { invalidFields, readBody } from './body.js';
import type { AppDeps } from './deps.js';
import { canSecrets } from './access-control.js';
import { serviceViewIn } from './views.js';

export function serviceRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  const { store } = deps;

  app.get('/services/:id', async (c) => {
    const service = await store.services.get(c.req.param('id'));
    if (!service) throw notFound('service', c.req.param('id'));
    return c.json(serviceViewIn(store, service, { secrets: canSecrets(c) }));
  });

  // The env values alone, for those who may read secrets: the dashboard's Reveal, and scripts.
  // Audited as a secret read; callers without the right get 403 here and `********` elsewhere.
  app.get('/services/:id/env', (c) => {
    const service = store.services.config(c.req.param('id'));
    if (!service) throw notFound('service', c.req.param('id'));
    return c.json({ env: service.env });
  });

  app.patch('/services/:id', async (c) => {
    const id = c.req.param('id');
    if (!store.services.config(id)) throw notFound('service', id);
    const patch = await readBody(c, patchServiceBodySchema);
    const cron = patch.backup?.schedule;
    if (cron && !isCronExpression(cron)) {
      throw invalidFields([{ path: 'backup.schedule', message: 'is not a valid cron expression' }]);
    }
    const before = store.services.config(id)?.domains ?? [];
    const updated = await store.services.update(id, patch);
    if (!updated) throw notFound('service', id);
    if (patch.backup) deps.backupSchedules?.sync();
    if (JSON.stringify(before) !== JSON.stringify(updated.domains ?? [])) {
      deps.proxySync?.serviceChanged(id);
    }
    return c.json(serviceViewIn(store, updated, { secrets: canSecrets(c) }));
  });

  return app;
}
