import { DEFAULT_DRAIN_SECONDS } from '@berth/protocol';
import { LABELS, type ContainerSummary } from '../docker/engine.js';
import { shortId, type JobContext } from './job-context.js';
import { joinRouteNetwork } from './route-network.js';

export type SwitchOutcome = { ok: true } | { ok: false; reason: string };

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isUp(container: ContainerSummary): boolean {
  return container.state === 'running' || container.state === 'restarting';
}

/**
 * Moves a proxied service's traffic to its new, healthy container: it joins the route network
 * under the service's route alias, and only then does the previous release stop, with the
 * service's drain time to finish the requests it has. The proxy resolves the alias per dial,
 * so new connections reach the new container while the old one finishes; no request is
 * refused. Not joined (the engine refused): nothing changed, and the old release serves on.
 */
export async function switchTraffic(
  ctx: JobContext,
  options: {
    containerId: string;
    routeEnvironment: string;
    /** Every container of the previous release(s), running or not: all go. */
    previous: ContainerSummary[];
    /** Runs alongside the drain (reading the new container's output). */
    whileDraining: () => Promise<void>;
  },
): Promise<SwitchOutcome> {
  const { engine, spec } = ctx;
  const { containerId } = options;
  ctx.phase('switch');
  try {
    const network = await joinRouteNetwork(engine, {
      environmentId: options.routeEnvironment,
      serviceId: spec.service.id,
      containerId,
    });
    ctx.log(
      'system',
      `Switched traffic to deployment #${spec.deployment!.number} (container ${shortId(containerId)} on ${network})`,
    );
  } catch (err) {
    return {
      ok: false,
      reason: `the new container could not join the route network: ${message(err)}`,
    };
  }

  ctx.phase('drain');
  const drainSeconds = spec.service.drainSeconds ?? DEFAULT_DRAIN_SECONDS;
  const serving = options.previous.filter(isUp);
  if (serving.length > 0) {
    ctx.log('system', `Draining the previous release (up to ${drainSeconds} s)`);
  }
  // Traffic has moved: a previous release that will not stop or go is reported, not undone.
  const drains = serving.map(async (old) => {
    const number = old.labels[LABELS.number] ?? '?';
    const startedAt = ctx.now();
    try {
      await engine.stopContainer(old.id, drainSeconds);
      ctx.log(
        'system',
        `Drained deployment #${number} in ${Math.max(0, ctx.now() - startedAt)} ms`,
      );
    } catch (err) {
      ctx.log('system', `Could not stop deployment #${number} gracefully: ${message(err)}`);
    }
  });
  await Promise.all([options.whileDraining().catch(() => undefined), ...drains]);

  ctx.phase('cleanup');
  for (const old of options.previous) {
    await engine.removeContainer(old.id).catch((err: unknown) => {
      ctx.log('system', `Could not remove container ${shortId(old.id)}: ${message(err)}`);
    });
  }
  return { ok: true };
}
