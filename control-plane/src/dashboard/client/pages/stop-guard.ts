import type { Service } from '@berth/protocol';

/**
 * Fields a database service will carry once Berth runs databases. They are not
 * in the API yet; the hook reads them when present.
 */
interface Exposable {
  kind?: string;
  type?: string;
  exposed?: boolean;
}

/**
 * Why Stop must wait, or null when it may go ahead. A database that is exposed
 * publicly must be unexposed first; the API answers 409 EXPOSED for the same case.
 */
export function stopBlocker(service: Service): string | null {
  const candidate = service as Service & Exposable;
  const isDatabase = candidate.kind === 'database' || candidate.type === 'database';
  if (isDatabase && candidate.exposed === true) {
    return `${service.name} is a database exposed to the internet. Unexpose it before stopping it.`;
  }
  return null;
}
