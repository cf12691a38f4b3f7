import type { Logger } from '../log.js';
import { LABELS, type Engine } from './engine.js';
import type { Journal, JournalEntry } from './journal.js';

/**
 * Containers run without a Docker restart policy, so that a crash shows as
 * failed. A reboot stops them all, though, so when the agent starts it starts
 * again each service's current release that was meant to run and that stopped
 * before this boot. One that crashed or was stopped after boot stays as it is.
 */
export async function restoreAfterReboot(options: {
  engine: Engine;
  journal: Journal;
  logger: Logger;
  /** When the host booted, in epoch milliseconds. */
  bootedAtMs: number;
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
    if (!details?.finishedAt || Date.parse(details.finishedAt) >= options.bootedAtMs) continue;
    try {
      await engine.startContainer(current.id);
      restored.push(serviceId);
      logger.info(
        `started service ${serviceId} again after a reboot (deployment ${last.deploymentId})`,
      );
    } catch (err) {
      logger.warn(
        `could not start service ${serviceId} after a reboot: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  return restored;
}
