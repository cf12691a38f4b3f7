import type { Logger } from '../log.js';
import { LABELS, type Engine } from '../docker/engine.js';
import type { Journal, JournalEntry } from './journal.js';
import { ROUTE_ENVIRONMENT_LABEL, joinRouteNetwork } from './route-network.js';

/**
 * Containers run without a Docker restart policy, so that a crash shows as
 * failed. A reboot or a restart of the Docker engine stops them all, though.
 * This starts again each service's current release that was meant to run (its
 * last successful job was a deploy or restart, not a stop) and whose container
 * stopped inside the given window. One that crashed or was stopped at another
 * time stays as it is. A proxied service's current release, started again or
 * running, is on its route network under its route alias afterwards.
 */
export async function restoreInterruptedServices(options: {
  engine: Engine;
  journal: Journal;
  logger: Logger;
  /** Containers that stopped in [fromMs, toMs) (epoch milliseconds) were stopped by the interruption. */
  stoppedBetween: [fromMs: number, toMs: number];
  /** For the log: "a reboot", "a restart of the Docker engine". */
  cause: string;
}): Promise<string[]> {
  const { engine, logger } = options;
  const desired = new Map<string, JournalEntry>();
  const done = options.journal
    .all()
    .filter((e) => e.status === 'succeeded')
    .sort((a, b) => a.updatedAt.localeCompare(b.updatedAt));
  for (const entry of done) desired.set(entry.serviceId, entry);

  const restored: string[] = [];
  for (const [serviceId, last] of desired) {
    if (last.kind === 'stop' || !last.deploymentId) continue;
    const containers = await engine.listContainers({ [LABELS.service]: serviceId });
    const current = containers.find((c) => c.labels[LABELS.deployment] === last.deploymentId);
    if (!current) continue;
    const environmentId = current.labels[ROUTE_ENVIRONMENT_LABEL];
    const route = environmentId ? { environmentId, serviceId, containerId: current.id } : null;
    if (current.state === 'running') {
      // A serving proxied release keeps its place on the route network (joining is idempotent).
      if (route) await rejoin(options, route);
      continue;
    }
    const details = await engine.inspectContainer(current.id);
    const stoppedAt = details?.finishedAt ? Date.parse(details.finishedAt) : NaN;
    const [fromMs, toMs] = options.stoppedBetween;
    if (!(stoppedAt >= fromMs && stoppedAt < toMs)) continue;
    try {
      await engine.startContainer(current.id);
      // Docker keeps the attachment of a stopped container; joining again is idempotent.
      if (route) await joinRouteNetwork(engine, route);
      restored.push(serviceId);
      logger.info(
        `started service ${serviceId} again after ${options.cause} (deployment ${last.deploymentId})`,
      );
    } catch (err) {
      logger.warn(
        `could not start service ${serviceId} after ${options.cause}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  return restored;
}

async function rejoin(
  options: { engine: Engine; logger: Logger },
  route: { environmentId: string; serviceId: string; containerId: string },
): Promise<void> {
  try {
    await joinRouteNetwork(options.engine, route);
  } catch (err) {
    options.logger.warn(
      `could not put service ${route.serviceId} back on its route network: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
