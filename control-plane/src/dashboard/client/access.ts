import type { ProjectGrants, ProjectRole, User } from '@berth/protocol';

// Who is signed in, and what the dashboard offers them. The server decides (403); this only
// hides what the user's role cannot do, so nobody is offered a button bound to fail.

/** As the server's `ProjectPermission`: read, deploy, configure (change), secrets (read them). */
export type Permission = 'read' | 'deploy' | 'configure' | 'secrets';

const ROLE_PERMISSIONS: Record<ProjectRole, readonly Permission[]> = {
  admin: ['read', 'deploy', 'configure', 'secrets'],
  deployer: ['read', 'deploy'],
  viewer: ['read'],
};

export const ROLE_LABELS: Record<ProjectRole, string> = {
  admin: 'Admin',
  deployer: 'Deployer',
  viewer: 'Viewer',
};

/** The key of a grant to every project, present and future. */
export const ALL_PROJECTS = '*';

/** A user's role in a project: the owner is admin everywhere; `*` grants every project. */
export function roleIn(user: User, projectId: string): ProjectRole | undefined {
  if (user.role === 'owner') return 'admin';
  return user.projects[projectId] ?? user.projects[ALL_PROJECTS];
}

export function userCan(user: User, projectId: string, permission: Permission): boolean {
  if (user.disabled) return false;
  const role = roleIn(user, projectId);
  return role !== undefined && ROLE_PERMISSIONS[role].includes(permission);
}

/** The grants as "all projects: Viewer, Shop: Admin", naming projects where known. */
export function grantsSummary(grants: ProjectGrants, projectNames: Map<string, string>): string {
  const entries = Object.entries(grants).sort(([a], [b]) =>
    a === ALL_PROJECTS ? -1 : b === ALL_PROJECTS ? 1 : a.localeCompare(b),
  );
  if (entries.length === 0) return 'no projects';
  return entries
    .map(([id, role]) => {
      const name = id === ALL_PROJECTS ? 'all projects' : (projectNames.get(id) ?? id);
      return `${name}: ${ROLE_LABELS[role]}`;
    })
    .join(', ');
}

/** Editor rows back to grants; a later row for the same project wins, blank rows are skipped. */
export function grantsFromRows(rows: { projectId: string; role: ProjectRole }[]): ProjectGrants {
  const grants: ProjectGrants = {};
  for (const row of rows) if (row.projectId !== '') grants[row.projectId] = row.role;
  return grants;
}

let current: User | null = null;

/** Remembers who signed in (from GET /session, the sign-in answer, or an accepted invite). */
export function setCurrentUser(user: User | null): void {
  current = user;
}

export function currentUser(): User | null {
  return current;
}

/** Whether the signed-in user may do `permission` in the project. */
export function canIn(projectId: string | undefined, permission: Permission): boolean {
  if (!current) return false;
  if (projectId === undefined) return current.role === 'owner' && !current.disabled;
  return userCan(current, projectId, permission);
}

/** Owner-only work: servers, credentials, users, invites, settings. */
export function isOwner(): boolean {
  return current?.role === 'owner' && !current.disabled;
}
