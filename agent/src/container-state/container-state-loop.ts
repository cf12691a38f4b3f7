import type { AgentMessageInput, ContainerState } from '@berth/protocol';
import { backoffDelayMs } from '../connection/backoff.js';
import { LABELS, type ContainerSummary, type Engine } from '../docker/engine.js';
import type { Logger } from '../log.js';
import type { Sleep } from '../time.js';

export interface ContainerStateLoopDeps {
  signal: AbortSignal;
  engine: Engine;
  send(message: AgentMessageInput): boolean;
  logger: Logger;
  sleep: Sleep;
  now?: () => number;
  /**
   * Called when the engine answers again after its event stream broke (the
   * engine restarted), with the time it broke; returns how many containers it
   * started, so the state is reported again.
   */
  onEngineBack?: (lostAtMs: number) => Promise<number>;
}

/**
 * Event actions that leave a container's state as it was: commands run in it (a database's
 * health check runs one every few hundred ms while a release starts), files copied in or out,
 * terminals attached. They are not worth a Docker call and a report each.
 */
const STATELESS_ACTIONS = new Set([
  'archive-path',
  'extract-to-dir',
  'attach',
  'detach',
  'resize',
  'top',
  'copy',
  'export',
  'commit',
]);

/** True for an event that may have changed what `state.report` says about its container. */
export function changesState(action: string): boolean {
  // exec_create, exec_start, exec_die carry the command after a colon.
  if (action.startsWith('exec_')) return false;
  return !STATELESS_ACTIONS.has(action.split(':')[0]!.trim());
}

function toReport(container: ContainerSummary & { exitCode?: number }): ContainerState | null {
  const serviceId = container.labels[LABELS.service];
  const deploymentId = container.labels[LABELS.deployment];
  if (!serviceId || !deploymentId) return null;
  return {
    serviceId,
    deploymentId,
    containerId: container.id,
    state: container.state,
    ...(container.exitCode !== undefined ? { exitCode: container.exitCode } : {}),
  };
}

/** Sends every Berth container's state and the kept deployment images. */
export async function sendFullStateReport(
  deps: Pick<ContainerStateLoopDeps, 'engine' | 'send'>,
): Promise<void> {
  const containers = await deps.engine.listContainers({ [LABELS.service]: '' });
  const details = await Promise.all(containers.map((c) => deps.engine.inspectContainer(c.id)));
  const images = (await deps.engine.listImages({})).filter(
    (i) => LABELS.service in i.labels || i.tags.some((t) => t.startsWith('berth/')),
  );
  deps.send({
    type: 'state.report',
    full: true,
    containers: details.flatMap((d) =>
      d ? [toReport(d)].filter((r): r is ContainerState => r !== null) : [],
    ),
    imageIds: images.map((i) => i.id),
  });
}

/**
 * Watches Docker events for Berth containers and reports each change, so the
 * control plane's service status tells the truth (crashed, stopped by hand…).
 */
export async function runContainerStateLoop(deps: ContainerStateLoopDeps): Promise<void> {
  const now = deps.now ?? Date.now;
  let attempt = 0;
  let failing = false;
  let lostAt: number | null = null;
  while (!deps.signal.aborted) {
    try {
      await sendFullStateReport(deps);
      if (failing) deps.logger.info('Docker answers again; watching its events');
      failing = false;
      if (lostAt !== null && deps.onEngineBack) {
        const started = await deps.onEngineBack(lostAt);
        if (started > 0) await sendFullStateReport(deps);
      }
      lostAt = null;
      await deps.engine.watchEvents(deps.signal, (event) => {
        if (!changesState(event.action)) return;
        void deps.engine
          .inspectContainer(event.containerId)
          .then((details) => {
            const report = details
              ? toReport(details)
              : toReport({
                  id: event.containerId,
                  name: '',
                  imageId: '',
                  state: 'removing',
                  labels: event.labels,
                });
            if (report) deps.send({ type: 'state.report', full: false, containers: [report] });
          })
          .catch(() => undefined);
      });
      attempt = 0;
      if (!deps.signal.aborted) lostAt ??= now();
    } catch (err) {
      lostAt ??= now();
      if (!failing)
        deps.logger.warn(
          `cannot watch Docker events: ${err instanceof Error ? err.message : String(err)}`,
        );
      failing = true;
      attempt += 1;
    }
    if (!deps.signal.aborted)
      await deps.sleep(
        backoffDelayMs({ attempt, baseMs: 1_000, capMs: 30_000, random: Math.random }),
        deps.signal,
      );
  }
}
