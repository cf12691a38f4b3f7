import type { Domain, PortMapping, Source } from '@berth/protocol';
import { BerthError } from '../errors.js';
import type { Data } from './records.js';

/** Where a service is, for a message that names it: `"web" in project "shop" (production)`. */
function describeService(data: Data, service: Data['services'][number]): string {
  const environment = data.environments.find((e) => e.id === service.environmentId);
  const project = environment && data.projects.find((p) => p.id === environment.projectId);
  const place = project ? ` in project "${project.name}" (${environment.name})` : '';
  return `"${service.name}" (${service.id})${place}`;
}

/**
 * Refuses domains a service cannot have: any on a database (its clients speak the engine's
 * protocol, not HTTP), any beside host ports (a release behind the proxy runs next to the one
 * it replaces, which two containers cannot do on one host port), and a host that another
 * service, of any project, already answers to.
 */
export function checkDomains(
  data: Data,
  service: { id: string; source: Source; ports: readonly PortMapping[] },
  domains: readonly Domain[],
): void {
  if (domains.length === 0) return;
  if (service.source.type === 'database') {
    throw new BerthError(
      'INVALID_INPUT',
      'A database service cannot have domains: the proxy serves HTTP. Remove "domains", or expose the database on a port instead',
      { fields: [{ path: 'domains', message: 'not allowed on a database service' }] },
    );
  }
  if (service.ports.length > 0) {
    throw new BerthError(
      'INVALID_INPUT',
      'A service with domains publishes no host ports: the proxy reaches it on its network, and its releases switch without downtime. Send "ports": [] with the domains',
      { fields: [{ path: 'domains', message: 'not allowed beside host ports' }] },
    );
  }
  const hosts = new Set(domains.map((domain) => domain.host));
  for (const other of data.services) {
    if (other.id === service.id) continue;
    const taken = other.domains?.find((domain) => hosts.has(domain.host));
    if (!taken) continue;
    throw new BerthError(
      'CONFLICT',
      `"${taken.host}" is already a domain of service ${describeService(data, other)}; remove it there first or pick another host`,
    );
  }
}
