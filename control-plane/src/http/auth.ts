import type { MiddlewareHandler } from 'hono';
import { secretsEqual } from '../crypto.js';
import { BerthError } from '../errors.js';
import { checkCsrf, sessionOf, type DashboardSessions } from './session.js';

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * Lets a request through only with `Authorization: Bearer <admin token>`, or,
 * when `sessions` is given, with a dashboard session cookie; a change made with
 * the cookie must also carry the session's CSRF token.
 */
export function requireAdminToken(
  adminToken: string,
  sessions?: DashboardSessions,
): MiddlewareHandler {
  return async (c, next) => {
    const authorization = c.req.header('authorization');
    const session = authorization === undefined && sessions ? sessionOf(c, sessions) : undefined;
    if (session) {
      checkCsrf(c, session);
      await next();
      return;
    }
    const match = BEARER.exec(authorization ?? '');
    if (!match?.[1] || !secretsEqual(match[1], adminToken)) {
      throw new BerthError(
        'UNAUTHORIZED',
        'missing or wrong admin token; send "Authorization: Bearer <token>" with the token from BERTH_ADMIN_TOKEN or $BERTH_DATA_DIR/admin-token',
      );
    }
    await next();
  };
}
