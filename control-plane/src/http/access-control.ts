import type { Context, MiddlewareHandler } from 'hono';
import { secretsEqual, sha256Hex } from '../crypto.js';
import { BerthError, notFound } from '../errors.js';
import type { AccessRecords } from '../store/access.js';
import type { Store } from '../store/store.js';
import { checkCsrf, sessionOf, type DashboardSessions } from './session.js';
import { runAs } from '../auth/current-actor.js';
import { actorOf, can, isOwner, type Principal } from '../auth/permissions.js';
import { findRule, projectOf, type RouteRule } from '../auth/route-rules.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** Who the request acts as; set on every authenticated `/api/*` request. */
    principal: Principal;
    /** The route's entry in ROUTE_RULES. */
    rule: RouteRule;
    /** The project the route's target belongs to, when it has one. */
    projectId: string;
  }
}

/** Personal API tokens start with this, so they are told apart from the admin token at once. */
export const API_TOKEN_PREFIX = 'berth_pat_';

const BEARER = /^Bearer +(\S+) *$/i;

export interface AccessControlDeps {
  store: Store;
  access: AccessRecords;
  adminToken: string;
  sessions: DashboardSessions;
  now: () => number;
}

/**
 * Authenticates every `/api/*` request (the admin token, a personal API token, or a dashboard
 * session whose changes carry its CSRF token) and then authorizes it by ROUTE_RULES: the role of
 * the user in the project the route's target belongs to, capped by the token's scopes.
 */
export function accessControl(deps: AccessControlDeps): MiddlewareHandler {
  return async (c, next) => {
    const principal = authenticate(c, deps);
    c.set('principal', principal);
    const found = findRule(c.req.method, c.req.path);
    if (!found) {
      throw new BerthError('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`);
    }
    const { rule, id } = found;
    c.set('rule', rule);
    await authorize(c, deps, principal, rule, id);
    await runAs(actorOf(principal), next);
  };
}

function authenticate(c: Context, deps: AccessControlDeps): Principal {
  const authorization = c.req.header('authorization');
  if (authorization === undefined) {
    const session = sessionOf(c, deps.sessions);
    if (session) {
      checkCsrf(c, session);
      const user = session.userId ? deps.access.user(session.userId) : deps.access.owner();
      if (user && !user.disabled) return { via: 'session', user };
    }
    throw new BerthError(
      'UNAUTHORIZED',
      'sign in, or send "Authorization: Bearer <token>" with a personal API token or the admin token',
    );
  }
  const sent = BEARER.exec(authorization)?.[1] ?? '';
  if (sent.startsWith(API_TOKEN_PREFIX)) {
    const token = deps.access.tokenByHash(sha256Hex(sent));
    const user = token && deps.access.user(token.userId);
    if (token && user && !user.disabled) {
      if (token.expiresAt && Date.parse(token.expiresAt) <= deps.now()) {
        throw new BerthError(
          'UNAUTHORIZED',
          `API token "${token.name}" expired at ${token.expiresAt}; create a new one`,
        );
      }
      deps.access.touchToken(token.id);
      return { via: 'token', user, token };
    }
    throw new BerthError('UNAUTHORIZED', 'unknown or revoked API token; create a new one');
  }
  const owner = deps.access.owner();
  if (sent && owner && secretsEqual(sent, deps.adminToken))
    return { via: 'admin-token', user: owner };
  throw new BerthError(
    'UNAUTHORIZED',
    'missing or wrong token; send "Authorization: Bearer <token>" with a personal API token, or the admin token from BERTH_ADMIN_TOKEN or $BERTH_DATA_DIR/admin-token',
  );
}

async function authorize(
  c: Context,
  deps: AccessControlDeps,
  principal: Principal,
  rule: RouteRule,
  id: string | undefined,
): Promise<void> {
  switch (rule.need) {
    case 'member':
      return;
    case 'self':
      if (principal.via === 'token') {
        throw forbidden(`API tokens cannot ${rule.action}; sign in to the dashboard instead`);
      }
      return;
    case 'owner':
      if (!isOwner(principal)) throw forbidden(`only the owner may ${rule.action}`);
      return;
    case 'read':
    case 'deploy':
    case 'configure':
    case 'secrets': {
      if (!rule.target || id === undefined) throw forbidden(`no target for ${rule.action}`);
      const projectId = await projectOf(deps.store, rule.target, id);
      // A target in no project the caller may see is answered as missing, whether it exists or not.
      if (projectId === undefined || !can(principal, 'read', projectId)) {
        throw notFound(rule.target, id);
      }
      c.set('projectId', projectId);
      if (!can(principal, rule.need, projectId)) {
        const how = principal.token ? 'this token' : `your role in project ${projectId}`;
        throw forbidden(`${how} does not allow ${rule.action} (it needs "${rule.need}")`);
      }
    }
  }
}

function forbidden(message: string): BerthError {
  return new BerthError('FORBIDDEN', message);
}

/** The principal of an authenticated request. */
export function principalOf(c: Context): Principal {
  return c.get('principal');
}

/** Whether the request may read the secrets of the project its route's target belongs to. */
export function canSecrets(c: Context): boolean {
  const projectId = c.get('projectId');
  return projectId !== undefined && can(principalOf(c), 'secrets', projectId);
}
