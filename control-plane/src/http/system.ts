import { Hono } from 'hono';
import { BerthError } from '../errors.js';
import type { AppDeps } from './deps.js';

/** Unauthenticated endpoints: health, metrics, and the installer. */
export function systemRoutes(deps: AppDeps): Hono {
  const app = new Hono();

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.get('/metrics', (c) =>
    c.text(deps.metrics.registry.render(), 200, {
      'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
    }),
  );

  app.get('/install.sh', () => {
    throw new BerthError(
      'INTERNAL',
      'install.sh is not served by this version of the control plane yet',
      {
        status: 501,
      },
    );
  });

  return app;
}
