import type { Logger } from '../log.js';
import { LABELS, type Engine } from '../docker/engine.js';
import type { Journal, JournalEntry } from './journal.js';

/**
 * Containers run without a Docker restart policy, so that a crash shows as
 * failed. A reboot or a restart of the Docker engine stops them all, though.
 * This starts again each service's current release that was meant to run (its
 * last successful job was a deploy or restart, not a stop) and whose container
 * stopped inside the given window. One that crashed or was stopped at another
 * time stays as it is.
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
    if (!current || current.state === 'running') continue;
    const details = await engine.inspectContainer(current.id);
    const stoppedAt = details?.finishedAt ? Date.parse(details.finishedAt) : NaN;
    const [fromMs, toMs] = options.stoppedBetween;
    if (!(stoppedAt >= fromMs && stoppedAt < toMs)) continue;
    try {
      await engine.startContainer(current.id);
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
