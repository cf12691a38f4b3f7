import {
  databaseImage,
  registryHostOf,
  type JobSpec,
  type RegistryAuth,
  type Source,
} from '@berth/protocol';
import type { RegistryRecord } from '../store/records.js';

/**
 * The credentials a deploy job may need, and no others. An image (or a database's image) pulls
 * from one host: its credential, if there is one. A git build pulls the Dockerfile's base images,
 * which only the agent reads after the checkout: it gets every credential and uses those whose
 * host a FROM line names. A rollback or a restart runs an image already on the node: none.
 */
export function registryAuthFor(
  spec: Pick<JobSpec, 'kind' | 'deployment' | 'service'>,
  registries: readonly RegistryRecord[],
): RegistryAuth[] {
  const deployment = spec.deployment;
  if (spec.kind !== 'deploy' || !deployment || deployment.imageId) return [];
  const source: Source = deployment.source ?? spec.service.source;
  const wanted =
    source.type === 'git'
      ? () => true
      : (host: string) =>
          host === registryHostOf(source.type === 'image' ? source.image : databaseImage(source));
  return registries
    .filter((registry) => wanted(registry.host))
    .map(({ host, username, password }) => ({ host, username, password }));
}
