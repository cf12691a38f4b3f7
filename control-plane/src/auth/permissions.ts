import type { Actor, ProjectRole, TokenScope } from '@berth/protocol';
import type { ApiTokenRecord, UserRecord } from '../store/records.js';

/**
 * What can be done inside a project. `read`: see it (never a secret). `deploy`: deploy, redeploy,
 * restart, stop, rollback, cancel, back up and restore. `configure`: change services, sources,
 * environments, domains and notifications. `secrets`: read env values and other secrets.
 */
export type ProjectPermission = 'read' | 'deploy' | 'configure' | 'secrets';

const ROLE_PERMISSIONS: Record<ProjectRole, ReadonlySet<ProjectPermission>> = {
  admin: new Set(['read', 'deploy', 'configure', 'secrets']),
  deployer: new Set(['read', 'deploy']),
  viewer: new Set(['read']),
};

/** A token's scopes cap what its user may do; they never add to it. */
const SCOPE_PERMISSIONS: Record<TokenScope, ReadonlySet<ProjectPermission>> = {
  read: ROLE_PERMISSIONS.viewer,
  deploy: ROLE_PERMISSIONS.deployer,
  admin: ROLE_PERMISSIONS.admin,
};

/** Who a request acts as: a signed-in user, a user's API token, or the admin token (the owner). */
export interface Principal {
  via: 'session' | 'token' | 'admin-token';
  user: UserRecord;
  token?: ApiTokenRecord;
}

export function actorOf(principal: Principal): Actor {
  if (principal.token) {
    return {
      type: 'token',
      id: principal.token.id,
      name: principal.token.name,
      userId: principal.user.id,
    };
  }
  if (principal.via === 'admin-token') {
    return { type: 'admin-token', id: principal.user.id, name: principal.user.name };
  }
  return { type: 'user', id: principal.user.id, name: principal.user.name };
}

/** The user's role in a project: the owner is admin everywhere; `*` grants every project. */
export function roleIn(user: UserRecord, projectId: string): ProjectRole | undefined {
  if (user.role === 'owner') return 'admin';
  return user.projects[projectId] ?? user.projects['*'];
}

/** Whether the principal may do `permission` in the project. */
export function can(
  principal: Principal,
  permission: ProjectPermission,
  projectId: string,
): boolean {
  if (principal.user.disabled) return false;
  const role = roleIn(principal.user, projectId);
  if (!role || !ROLE_PERMISSIONS[role].has(permission)) return false;
  const token = principal.token;
  if (!token) return true;
  if (token.projectId !== undefined && token.projectId !== projectId) return false;
  return token.scopes.some((scope) => SCOPE_PERMISSIONS[scope].has(permission));
}

/** Owner-only work (users, servers, registries, settings): the owner, and owner tokens with `admin`. */
export function isOwner(principal: Principal): boolean {
  if (principal.user.role !== 'owner' || principal.user.disabled) return false;
  const token = principal.token;
  return !token || (token.projectId === undefined && token.scopes.includes('admin'));
}

/** Whether the principal may see the project at all. */
export function canSee(principal: Principal, projectId: string): boolean {
  return can(principal, 'read', projectId);
}
