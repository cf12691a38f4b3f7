import { routeAlias, routeNetworkName, type JobSpec } from '@berth/protocol';
import { LABELS, type Engine } from '../docker/engine.js';

/** The proxy container's name; the proxy manager (agent/src/proxy) creates it. */
export const PROXY_CONTAINER_NAME = 'berth-proxy';

/**
 * Label on a proxied service's containers naming its environment, so that a container started
 * again after a reboot can join its route network without the job spec.
 */
export const ROUTE_ENVIRONMENT_LABEL = 'berth.route-environment';

type ServiceSpec = JobSpec['service'];

/**
 * The environment whose route network carries the service's traffic, when the proxy serves it:
 * it has a domain, publishes no host ports and is not a database. Otherwise undefined, and its
 * releases hand over ports or data volume as before.
 */
export function proxiedEnvironment(service: ServiceSpec): string | undefined {
  if (!service.environmentId) return undefined;
  if ((service.domains?.length ?? 0) === 0) return undefined;
  if (service.ports.length > 0 || service.source.type === 'database') return undefined;
  return service.environmentId;
}

/** Creates the environment's route network unless it exists; answers its name. */
async function ensureRouteNetwork(engine: Engine, environmentId: string): Promise<string> {
  const network = routeNetworkName(environmentId);
  await engine.ensureNetwork(network, { 'berth.environment': environmentId });
  return network;
}

/**
 * Puts a container on its environment's route network under the service's route alias, so the
 * proxy's next dial may reach it; the proxy joins the network too. A proxy that is not there yet
 * is fine: the proxy manager attaches it to every route network when it starts it.
 */
export async function joinRouteNetwork(
  engine: Engine,
  target: { environmentId: string; serviceId: string; containerId: string },
): Promise<string> {
  const network = await ensureRouteNetwork(engine, target.environmentId);
  try {
    await engine.connectNetwork(network, PROXY_CONTAINER_NAME, []);
  } catch (err) {
    // A proxy that is missing or going away (stopped, being removed) is expected: the proxy
    // manager attaches the proxy it starts again to every route network. Only a running proxy
    // that cannot join is the engine's failure, and is reported.
    const going = err instanceof Error && err.message.includes('marked for removal');
    const proxy = await engine.inspectContainer(PROXY_CONTAINER_NAME).catch(() => null);
    if (proxy?.state === 'running' && !going) throw err;
  }
  await engine.connectNetwork(network, target.containerId, [routeAlias(target.serviceId)]);
  return network;
}

/**
 * Routes a service whose current release is on no route network yet: one deployed before it
 * had a domain. Nothing happens while any running container of the service is on its route
 * network, so a release in progress (which joins only once healthy) is never pre-empted.
 * Answers whether the current release joined.
 */
export async function joinCurrentRelease(
  engine: Engine,
  route: { serviceId: string; environmentId: string; currentDeploymentId?: string | undefined },
): Promise<boolean> {
  if (!route.currentDeploymentId) return false;
  const network = routeNetworkName(route.environmentId);
  const running = (await engine.listContainers({ [LABELS.service]: route.serviceId })).filter(
    (c) => c.state === 'running',
  );
  for (const container of running) {
    const details = await engine.inspectContainer(container.id);
    if (details?.networks.includes(network)) return false;
  }
  const current = running.find((c) => c.labels[LABELS.deployment] === route.currentDeploymentId);
  if (!current) return false;
  await joinRouteNetwork(engine, {
    environmentId: route.environmentId,
    serviceId: route.serviceId,
    containerId: current.id,
  });
  return true;
}
