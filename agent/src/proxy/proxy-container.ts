import { createHash } from 'node:crypto';
import { routeNetworkName } from '@berth/protocol';
import type { ProxyConfig } from '../config.js';
import type { ContainerSpec, ContainerSummary, Engine } from '../docker/engine.js';
import { ENVIRONMENT_LABEL } from '../jobs/service-container.js';
import type { Logger } from '../log.js';
import { CADDY_CONFIG_FILE, PROXY_MOUNT } from './caddy-config.js';

export const PROXY_CONTAINER_NAME = 'berth-proxy';
/** Marks the proxy container. It has no berth.service label: no job, report or prune sees it. */
export const PROXY_LABEL = 'berth.proxy';
/** A digest of what the container was created with; another digest means recreate it. */
export const PROXY_SPEC_LABEL = 'berth.proxy-spec';
/** The agent proxy folder the container mounts: another agent on the same engine has another. */
export const PROXY_DIR_LABEL = 'berth.proxy-dir';

const CONTAINER_HTTP_PORT = 80;
const CONTAINER_HTTPS_PORT = 443;

/** A digest of the settings the proxy container is created with. */
export function proxySpecDigest(config: ProxyConfig, proxyDir: string): string {
  return createHash('sha256')
    .update(
      JSON.stringify([config.image, config.bind, config.httpPort, config.httpsPort, proxyDir]),
    )
    .digest('hex')
    .slice(0, 16);
}

/** The proxy container: Caddy reading its config from the agent's proxy folder. */
export function proxyContainerSpec(options: {
  imageId: string;
  proxyDir: string;
  config: ProxyConfig;
}): ContainerSpec {
  const { config } = options;
  const digest = proxySpecDigest(config, options.proxyDir);
  return {
    name: PROXY_CONTAINER_NAME,
    image: options.imageId,
    env: {},
    labels: { [PROXY_LABEL]: '1', [PROXY_SPEC_LABEL]: digest, [PROXY_DIR_LABEL]: options.proxyDir },
    ports: [
      { container: CONTAINER_HTTP_PORT, host: config.httpPort, hostIp: config.bind },
      { container: CONTAINER_HTTPS_PORT, host: config.httpsPort, hostIp: config.bind },
    ],
    cmd: ['caddy', 'run', '--config', `${PROXY_MOUNT}/${CADDY_CONFIG_FILE}`],
    binds: [{ hostPath: options.proxyDir, path: PROXY_MOUNT }],
    restart: 'unless-stopped',
  };
}

/** The proxy container, running or not, or null when there is none. */
export async function findProxyContainer(engine: Engine): Promise<ContainerSummary | null> {
  const found = await engine.listContainers({ [PROXY_LABEL]: '1' });
  return found.find((c) => c.state !== 'removing') ?? null;
}

/** The proxy image's id, pulled first when the engine does not have it. */
export async function ensureProxyImage(options: {
  engine: Engine;
  reference: string;
  signal: AbortSignal;
  logger: Logger;
}): Promise<string> {
  const { engine, reference } = options;
  const present = await engine.inspectImage(reference);
  if (present) return present.id;
  options.logger.info(`pulling the proxy image ${reference}`);
  await engine.pullImage(reference, { signal: options.signal, onLine: () => undefined });
  const pulled = await engine.inspectImage(reference);
  if (!pulled) throw new Error(`the proxy image ${reference} is missing after its pull`);
  return pulled.id;
}

/** Attaches the proxy to each environment's route network, creating the network if needed. */
export async function attachRouteNetworks(
  engine: Engine,
  containerId: string,
  environmentIds: Iterable<string>,
): Promise<void> {
  for (const environmentId of new Set(environmentIds)) {
    const network = routeNetworkName(environmentId);
    await engine.ensureNetwork(network, { [ENVIRONMENT_LABEL]: environmentId });
    await engine.connectNetwork(network, containerId, []);
  }
}
