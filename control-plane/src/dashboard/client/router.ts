/// <reference lib="dom" />

export type RouteName =
  | 'projects'
  | 'project'
  | 'environment'
  | 'new-service'
  | 'service'
  | 'servers'
  | 'settings'
  | 'account'
  | 'users'
  | 'invite'
  | 'not-found';

export interface Route {
  name: RouteName;
  /** Path parameters, already decoded. */
  id: string;
  /** The service page's tab. */
  tab: ServiceTab;
  /** Routes with the same key are one page: it updates in place instead of being rebuilt. */
  key: string;
}

export type ServiceTab = 'deployments' | 'overview' | 'logs' | 'backups';
const TABS: ServiceTab[] = ['deployments', 'overview', 'logs', 'backups'];

export function parseRoute(hash: string): Route {
  const parts = hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter((p) => p !== '')
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  const [first = '', id = '', rest = ''] = parts;
  const route = (name: RouteName, tab: ServiceTab = 'deployments'): Route => ({
    name,
    id,
    tab,
    key: `${name}:${id}`,
  });
  if (parts.length === 0 || (first === 'projects' && parts.length === 1)) return route('projects');
  if (first === 'servers' && parts.length === 1) return route('servers');
  if (first === 'settings' && parts.length === 1) return route('settings');
  if (first === 'account' && parts.length === 1) return route('account');
  if (first === 'users' && parts.length === 1) return route('users');
  if (first === 'invite' && parts.length === 2) return route('invite');
  if (first === 'projects' && parts.length === 2) return route('project');
  if (first === 'environments' && parts.length === 2) return route('environment');
  if (first === 'environments' && parts.length === 3 && rest === 'new-service') {
    return route('new-service');
  }
  if (first === 'services' && (parts.length === 2 || parts.length === 3)) {
    const tab = (TABS as string[]).includes(rest) ? (rest as ServiceTab) : 'deployments';
    if (parts.length === 3 && tab !== rest) return route('not-found');
    return route('service', tab);
  }
  return route('not-found');
}

export const href = {
  projects: () => '#/projects',
  project: (id: string) => `#/projects/${encodeURIComponent(id)}`,
  environment: (id: string) => `#/environments/${encodeURIComponent(id)}`,
  newService: (environmentId: string) =>
    `#/environments/${encodeURIComponent(environmentId)}/new-service`,
  service: (id: string, tab: ServiceTab = 'deployments') =>
    `#/services/${encodeURIComponent(id)}/${tab}`,
  servers: () => '#/servers',
  settings: () => '#/settings',
  account: () => '#/account',
  users: () => '#/users',
};

export function navigate(hash: string): void {
  if (location.hash === hash) return;
  location.hash = hash;
}
