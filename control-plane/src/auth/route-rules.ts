import type { Store } from '../store/store.js';
import type { ProjectPermission } from './permissions.js';

/**
 * What a route needs. A project permission applies to the project its `:id` leads to; `owner` is
 * owner-only work; `member` is anyone signed in (the handler shows only what they may see);
 * `self` is the caller's own account, never through an API token.
 */
export type Need = ProjectPermission | 'owner' | 'member' | 'self';

/** What a route's `:id` names, to find the project it belongs to. */
export type Target = 'project' | 'environment' | 'service' | 'deployment' | 'job' | 'backup';

export interface RouteRule {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Hono-style path under the API, e.g. `/api/v1/services/:id`. */
  path: string;
  /** The audit log's name for it, e.g. `service.deploy`. */
  action: string;
  need: Need;
  target?: Target;
}

const rule = (
  method: RouteRule['method'],
  path: string,
  action: string,
  need: Need,
  target?: Target,
): RouteRule => ({ method, path: `/api/v1${path}`, action, need, ...(target ? { target } : {}) });

/**
 * Every API route and what it needs. A route missing here is refused (403) for everyone: the
 * table fails closed, and a unit test checks it names every route the app serves.
 */
export const ROUTE_RULES: readonly RouteRule[] = [
  // Servers and enrollment: the owner's.
  rule('POST', '/join-tokens', 'join-token.create', 'owner'),
  rule('GET', '/servers', 'server.list', 'member'),
  rule('GET', '/servers/:id', 'server.read', 'member'),
  rule('DELETE', '/servers/:id', 'server.delete', 'owner'),
  // Projects and environments.
  rule('POST', '/projects', 'project.create', 'owner'),
  rule('GET', '/projects', 'project.list', 'member'),
  rule('GET', '/projects/:id', 'project.read', 'read', 'project'),
  rule('POST', '/projects/:id/environments', 'environment.create', 'configure', 'project'),
  rule('GET', '/projects/:id/environments', 'environment.list', 'read', 'project'),
  rule('GET', '/environments/:id', 'environment.read', 'read', 'environment'),
  rule('POST', '/environments/:id/services', 'service.create', 'configure', 'environment'),
  rule('GET', '/environments/:id/services', 'service.list', 'read', 'environment'),
  // Services.
  rule('GET', '/services/:id', 'service.read', 'read', 'service'),
  rule('PATCH', '/services/:id', 'service.update', 'configure', 'service'),
  rule('POST', '/services/:id/deployments', 'service.deploy', 'deploy', 'service'),
  rule('POST', '/services/:id/restart', 'service.restart', 'deploy', 'service'),
  rule('POST', '/services/:id/stop', 'service.stop', 'deploy', 'service'),
  rule('GET', '/services/:id/deployments', 'deployment.list', 'read', 'service'),
  rule('GET', '/services/:id/logs', 'service.logs', 'read', 'service'),
  rule('POST', '/services/:id/expose', 'service.expose', 'configure', 'service'),
  rule('POST', '/services/:id/unexpose', 'service.unexpose', 'configure', 'service'),
  rule('POST', '/services/:id/backups', 'backup.create', 'deploy', 'service'),
  rule('GET', '/services/:id/backups', 'backup.list', 'read', 'service'),
  rule('GET', '/services/:id/env', 'secret.reveal', 'secrets', 'service'),
  rule('GET', '/services/:id/webhook', 'secret.reveal', 'secrets', 'service'),
  rule('POST', '/services/:id/webhook/rotate', 'webhook.rotate', 'configure', 'service'),
  rule('GET', '/services/:id/webhook/deliveries', 'webhook.deliveries', 'read', 'service'),
  // Deployments, jobs, backups.
  rule('GET', '/deployments/:id', 'deployment.read', 'read', 'deployment'),
  rule('GET', '/deployments/:id/logs', 'deployment.logs', 'read', 'deployment'),
  rule('POST', '/deployments/:id/rollback', 'deployment.rollback', 'deploy', 'deployment'),
  rule('POST', '/deployments/:id/cancel', 'deployment.cancel', 'deploy', 'deployment'),
  rule('GET', '/jobs/:id', 'job.read', 'read', 'job'),
  rule('GET', '/backups/:id', 'backup.read', 'read', 'backup'),
  // A dump holds every row of the database: a secret.
  rule('GET', '/backups/:id/download', 'backup.download', 'secrets', 'backup'),
  rule('POST', '/backups/:id/restore', 'backup.restore', 'deploy', 'backup'),
  rule('GET', '/events', 'event.stream', 'member'),
  // Notifications belong to a project.
  rule('POST', '/projects/:id/notifications', 'notification.create', 'configure', 'project'),
  rule('GET', '/projects/:id/notifications', 'notification.list', 'read', 'project'),
  rule(
    'DELETE',
    '/projects/:id/notifications/:targetId',
    'notification.delete',
    'configure',
    'project',
  ),
  rule(
    'GET',
    '/projects/:id/notifications/:targetId/deliveries',
    'notification.deliveries',
    'read',
    'project',
  ),
  // Credentials shared by all projects: anyone may list them (no secret is ever answered) to
  // pick one; only the owner adds, changes or removes them.
  rule('POST', '/registries', 'registry.create', 'owner'),
  rule('GET', '/registries', 'registry.list', 'member'),
  rule('GET', '/registries/:id', 'registry.read', 'member'),
  rule('PATCH', '/registries/:id', 'registry.update', 'owner'),
  rule('DELETE', '/registries/:id', 'registry.delete', 'owner'),
  rule('POST', '/git-credentials', 'git-credential.create', 'owner'),
  rule('GET', '/git-credentials', 'git-credential.list', 'member'),
  rule('GET', '/git-credentials/:id', 'git-credential.read', 'member'),
  rule('PATCH', '/git-credentials/:id', 'git-credential.update', 'owner'),
  rule('DELETE', '/git-credentials/:id', 'git-credential.delete', 'owner'),
  // Settings, users, the audit log.
  rule('POST', '/system/rotate-secret-key', 'system.rotate-secret-key', 'owner'),
  rule('GET', '/audit', 'audit.read', 'owner'),
  rule('GET', '/users', 'user.list', 'owner'),
  rule('PATCH', '/users/:id', 'user.update', 'owner'),
  rule('DELETE', '/users/:id', 'user.delete', 'owner'),
  rule('GET', '/invites', 'invite.list', 'owner'),
  rule('POST', '/invites', 'invite.create', 'owner'),
  rule('DELETE', '/invites/:id', 'invite.delete', 'owner'),
  // The caller's own account.
  rule('GET', '/users/me', 'user.me', 'member'),
  rule('PUT', '/users/me/password', 'user.password', 'self'),
  rule('POST', '/users/me/totp', 'user.totp-start', 'self'),
  rule('POST', '/users/me/totp/confirm', 'user.totp-enable', 'self'),
  rule('DELETE', '/users/me/totp', 'user.totp-disable', 'self'),
  rule('DELETE', '/sessions', 'session.sign-out-everywhere', 'self'),
  rule('GET', '/tokens', 'token.list', 'self'),
  rule('POST', '/tokens', 'token.create', 'self'),
  rule('DELETE', '/tokens/:id', 'token.revoke', 'self'),
];

interface CompiledRule {
  rule: RouteRule;
  pattern: RegExp;
}

function compile(rules: readonly RouteRule[]): CompiledRule[] {
  return rules.map((entry) => ({
    rule: entry,
    pattern: new RegExp(
      `^${entry.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[a-zA-Z]+/g, '([^/]+)')}/?$`,
    ),
  }));
}

const COMPILED = compile(ROUTE_RULES);

/** The rule for a request and the `:id` it names; literal segments win (`/users/me`). */
export function findRule(
  method: string,
  path: string,
): { rule: RouteRule; id: string | undefined } | undefined {
  const wanted = method === 'HEAD' ? 'GET' : method;
  let found: { rule: RouteRule; id: string | undefined; literal: number } | undefined;
  for (const { rule: entry, pattern } of COMPILED) {
    if (entry.method !== wanted) continue;
    const match = pattern.exec(path);
    if (!match) continue;
    const literal = entry.path.split('/').filter((part) => part && !part.startsWith(':')).length;
    if (!found || literal > found.literal) {
      found = { rule: entry, id: match[1] && decodeURIComponent(match[1]), literal };
    }
  }
  return found && { rule: found.rule, id: found.id };
}

/** The project a route's target belongs to; undefined when the target does not exist. */
export async function projectOf(
  store: Store,
  target: Target,
  id: string,
): Promise<string | undefined> {
  switch (target) {
    case 'project':
      return store.projects.get(id)?.id;
    case 'environment':
      return store.environments.get(id)?.projectId;
    case 'service':
      return projectOfService(store, id);
    case 'deployment': {
      const deployment = await store.history.deployment(id);
      return deployment && projectOfService(store, deployment.serviceId);
    }
    case 'job': {
      const job = await store.history.job(id);
      return job && projectOfService(store, job.serviceId);
    }
    case 'backup': {
      const backup = await store.history.backup(id);
      return backup && projectOfService(store, backup.serviceId);
    }
  }
}

export function projectOfService(store: Store, serviceId: string): string | undefined {
  const service = store.services.config(serviceId);
  return service && store.environments.get(service.environmentId)?.projectId;
}
