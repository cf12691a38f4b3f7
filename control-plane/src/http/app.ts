import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { agentBackupRoutes, backupRoutes } from './backups.js';
import { dashboardRoutes } from './dashboard.js';
import { BerthError } from '../errors.js';
import { accessControl } from './access-control.js';
import { auditTrail, NO_AUDIT } from './audit-trail.js';
import { SignInLimiter } from '../auth/sign-in-limiter.js';
import type { AppDeps } from './deps.js';
import { deploymentRoutes } from './deployments.js';
import { enrollmentRoutes } from './enrollment.js';
import { environmentRoutes } from './environments.js';
import { eventRoutes } from './events.js';
import { createErrorHandler, errorResponse, notFoundHandler } from './errors.js';
import { gitCredentialRoutes } from './git-credentials.js';
import { joinTokenRoutes } from './join-tokens.js';
import { notificationRoutes } from './notifications.js';
import { projectRoutes } from './projects.js';
import { registryRoutes } from './registries.js';
import { secretKeyRoutes } from './secret-key.js';
import { serverRoutes } from './servers.js';
import { serviceRoutes } from './services.js';
import { auditRoutes } from './audit.js';
import { inviteRoutes } from './invites.js';
import { DashboardSessions } from './session.js';
import { signInRoutes } from './sign-in.js';
import { tokenRoutes } from './tokens.js';
import { userRoutes } from './users.js';
import { SessionRecords } from '../store/sessions.js';
import { systemRoutes } from './system.js';
import { gitWebhookRoutes, webhookRoutes } from './webhooks.js';

const MAX_BODY_BYTES = 1024 * 1024;
/** Backup uploads stream to disk, whatever their size. */
const UNLIMITED_BODY = /^\/agent\/v1\/backups\/[^/]+\/file$/;

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError(createErrorHandler(deps.log));
  app.notFound(notFoundHandler);

  app.use('*', async (c, next) => {
    await next();
    deps.metrics.httpRequests.inc({ method: c.req.method, status: String(c.res.status) });
  });
  const limitBody = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    // The answer goes before the body is read, so the connection cannot carry another
    // request: say so, and Node closes it once the answer is out.
    onError: (c) => {
      c.header('Connection', 'close');
      return errorResponse(
        c,
        new BerthError('INVALID_INPUT', `the request body exceeds ${MAX_BODY_BYTES} bytes`, {
          status: 413,
        }),
      );
    },
  });
  app.use('*', (c, next) => (UNLIMITED_BODY.test(c.req.path) ? next() : limitBody(c, next)));
  const sessions = new DashboardSessions(deps.now, {
    store: new SessionRecords(deps.store.db, deps.log),
  });
  const access = deps.store.access;
  const audit = deps.audit ?? NO_AUDIT;
  app.use('/api/*', auditTrail(audit));
  app.use(
    '/api/*',
    accessControl({
      store: deps.store,
      access,
      adminToken: deps.adminToken,
      sessions,
      now: deps.now,
    }),
  );

  app.route('/', systemRoutes(deps));
  app.route(
    '/',
    signInRoutes({
      adminToken: deps.adminToken,
      sessions,
      access,
      limiter: deps.signInLimiter ?? new SignInLimiter(deps.now),
      audit,
      now: deps.now,
    }),
  );
  app.route('/api/v1', userRoutes({ access, sessions, now: deps.now }));
  app.route('/api/v1', tokenRoutes({ access, store: deps.store }));
  if (deps.audit) app.route('/api/v1', auditRoutes({ audit: deps.audit }));
  app.route('/api/v1', inviteRoutes({ access, store: deps.store, publicUrl: deps.publicUrl }));
  app.route('/', dashboardRoutes());
  app.route('/', enrollmentRoutes(deps));
  for (const routes of [
    joinTokenRoutes,
    serverRoutes,
    projectRoutes,
    environmentRoutes,
    serviceRoutes,
    registryRoutes,
    gitCredentialRoutes,
    secretKeyRoutes,
    notificationRoutes,
  ]) {
    app.route('/api/v1', routes(deps));
  }
  if (deps.backups) {
    app.route('/', agentBackupRoutes(deps.backups));
    app.route('/api/v1', backupRoutes(deps.backups));
  }
  if (deps.deployments) {
    app.route('/api/v1', deploymentRoutes(deps.deployments));
    app.route('/api/v1', eventRoutes(deps.deployments));
    app.route('/', gitWebhookRoutes({ ...deps, deployments: deps.deployments }));
    app.route('/api/v1', webhookRoutes({ ...deps, deployments: deps.deployments }));
  }
  return app;
}
