import type { MiddlewareHandler } from 'hono';
import { secretsEqual } from '../crypto.js';
import { BerthError } from '../errors.js';

const BEARER = /^Bearer +(\S+) *$/i;

/** Lets a request through only with `Authorization: Bearer <admin token>`. */
export function requireAdminToken(adminToken: string): MiddlewareHandler {
  return async (c, next) => {
    const match = BEARER.exec(c.req.header('authorization') ?? '');
    if (!match?.[1] || !secretsEqual(match[1], adminToken)) {
      throw new BerthError(
        'UNAUTHORIZED',
        'missing or wrong admin token; send "Authorization: Bearer <token>" with the token from BERTH_ADMIN_TOKEN or $BERTH_DATA_DIR/admin-token',
      );
    }
    await next();
  };
}
