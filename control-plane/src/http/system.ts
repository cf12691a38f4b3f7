import { Hono } from 'hono';
import type { AppDeps } from './deps.js';
import { installRoutes } from './install.js';

/** Unauthenticated endpoints: health, metrics, the installer and the agent bundle. */
export function systemRoutes(deps: AppDeps): Hono {
  const app = new Hono();

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.get('/metrics', async (c) =>
    c.text(await deps.metrics.registry.render(), 200, {
      'Content-Type': deps.metrics.registry.contentType,
    }),
  );

  app.route(
    '/',
    installRoutes({
      release: deps.agentRelease,
      nodeRuntime: deps.nodeRuntime,
      publicUrl: deps.publicUrl,
    }),
  );

  return app;
}
