import type { Service } from '@berth/protocol';

/**
 * Why Stop must wait, or null when it may go ahead. A database that is exposed
 * publicly must be unexposed first; the API answers 409 EXPOSED for the same case.
 */
export function stopBlocker(service: Service): string | null {
  if (service.source.type === 'database' && service.exposed === true) {
    const port = service.publicPort ? ` on port ${service.publicPort}` : '';
    return `${service.name} is a database exposed publicly${port}. Unexpose it before stopping it.`;
  }
  return null;
}
