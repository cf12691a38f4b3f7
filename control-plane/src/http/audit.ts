import { auditQuerySchema, type AuditEntry } from '@berth/protocol';
import { Hono } from 'hono';
import type { AuditLog } from '../store/audit-log.js';
import { parseQuery } from './body.js';

/**
 * The audit log, read-only: `GET /audit?actor=&project=&action=&outcome=&since=&until=&before=&limit=`
 * answers the matching entries newest first. The next page is `before=<seq of the last entry>`.
 * Mounted under `/api/v1`; who may read it is decided by the authorization middleware.
 */
export function auditRoutes(deps: { audit: AuditLog }): Hono {
  const app = new Hono();

  app.get('/audit', async (c) => {
    const query = parseQuery(c, auditQuerySchema);
    const entries: AuditEntry[] = await deps.audit.query(query);
    return c.json(entries);
  });

  return app;
}
