import type { JobResult } from '@berth/protocol';
import { LABELS, type ContainerSummary, type Engine } from '../docker/engine.js';
import { requestedPublicPort } from '../database/expose-port.js';
import {
  checkServiceHealth,
  createServiceContainer,
  describeServiceHealthcheck,
} from './service-container.js';
import { cancelledReason, shortId, type JobContext, type JobOutcome } from './job-context.js';
import { proxiedEnvironment } from './route-network.js';
import { switchTraffic } from './switch-traffic.js';

export interface ReleaseImage {
  imageId: string;
  commit?: string;
  digest?: string;
}

/** Seconds a container gets to stop before it is killed. */
export const STOP_TIMEOUT_SECONDS = 10;
const OUTPUT_LINES = 50;

export function containerName(serviceId: string, number: number): string {
  return `berth-${serviceId}-${number}`.replace(/[^a-zA-Z0-9_.-]/g, '-');
}

function isUp(container: ContainerSummary): boolean {
  return container.state === 'running' || container.state === 'restarting';
}

async function logContainerOutput(
  ctx: JobContext,
  containerId: string,
  heading: string,
): Promise<void> {
  const lines = await ctx.engine.containerLogs(containerId, OUTPUT_LINES).catch(() => []);
  if (lines.length === 0) {
    ctx.log('system', `${heading}: (none)`);
    return;
  }
  ctx.log('system', `${heading}:`);
  for (const line of lines) ctx.log(line.stream, line.text, line.continued);
}

/** Stops (when up) and removes containers, one after the other. */
async function removeContainers(engine: Engine, containers: ContainerSummary[]): Promise<void> {
  for (const old of containers) {
    if (isUp(old)) await engine.stopContainer(old.id, STOP_TIMEOUT_SECONDS);
    await engine.removeContainer(old.id);
  }
}

export interface ReleaseOptions {
  /**
   * A restart of the current deployment in a fresh container: containers of that same
   * deployment are the release to replace, not leftovers of an earlier attempt.
   */
  restart?: boolean;
}

/** The new container's name; a restart's differs from the container it replaces. */
function newContainerName(ctx: JobContext, restart: boolean): string {
  const { service, deployment } = ctx.spec;
  const name = containerName(service.id, deployment!.number);
  return restart ? `${name}-${ctx.now().toString(36)}` : name;
}

/**
 * Starts the new release, checks its health, and either makes it current (removing
 * the previous container, keeping its image) or puts the previous release back.
 * A proxied service's new release joins the route network only once healthy, and the
 * previous one then drains: the proxy always has a healthy release to dial.
 */
export async function release(
  ctx: JobContext,
  image: ReleaseImage,
  options: ReleaseOptions = {},
): Promise<JobOutcome> {
  const { engine, spec } = ctx;
  const { service } = spec;
  const deployment = spec.deployment!;
  const restart = options.restart === true;
  const result: JobResult = {
    imageId: image.imageId,
    ...(image.commit ? { commit: image.commit } : {}),
    ...(image.digest ? { digest: image.digest } : {}),
  };

  ctx.phase('create');
  const existing = await engine.listContainers({ [LABELS.service]: service.id });
  const ofThisDeployment = (c: ContainerSummary) => c.labels[LABELS.deployment] === deployment.id;
  if (!restart) {
    for (const stale of existing.filter(ofThisDeployment)) await engine.removeContainer(stale.id);
  }
  const previous = restart ? existing : existing.filter((c) => !ofThisDeployment(c));
  const serving = previous.filter(isUp);

  // Host ports can be bound by one container at a time, and a database's data volume must
  // never have two: hand them over. Otherwise the old release serves until the new is healthy.
  const publicPort = await requestedPublicPort(ctx);
  const isDatabase = service.source.type === 'database';
  const routeEnvironment = proxiedEnvironment(service);
  const handover =
    !routeEnvironment && (service.ports.length > 0 || isDatabase) && serving.length > 0;
  // The journal notes which containers are about to stop while the new one is created; a
  // proxied release notes them too, so an agent that dies mid-release puts them back.
  const noteStopped = handover || (routeEnvironment && serving.length > 0);
  const [containerId] = await Promise.all([
    createServiceContainer(ctx, {
      name: newContainerName(ctx, restart),
      imageId: image.imageId,
      deployment,
      publicPort,
    }),
    noteStopped ? ctx.recordStopped(serving.map((c) => c.id)) : undefined,
  ]);
  result.containerId = containerId;
  if (publicPort !== undefined) result.publicPort = publicPort;

  let stoppedAt = ctx.now();
  if (handover) {
    ctx.phase('switch');
    ctx.log(
      'system',
      `Stopping the current release to hand over its ${isDatabase ? 'data volume' : 'ports'}`,
    );
    stoppedAt = ctx.now();
    for (const old of serving) await engine.stopContainer(old.id, STOP_TIMEOUT_SECONDS);
  }

  let failure: string | undefined;
  let heading = 'Health check failed';
  let answeredAt = ctx.now();
  try {
    ctx.phase('start');
    ctx.log(
      'system',
      `Starting container ${shortId(containerId)} from image ${shortId(image.imageId)}`,
    );
    await engine.startContainer(containerId);
    answeredAt = ctx.now();
    ctx.phase('healthcheck');
    ctx.log('system', `Health check: ${describeServiceHealthcheck(service)}`);
    const health = await checkServiceHealth(ctx, containerId);
    if (health.ok) answeredAt = Math.max(answeredAt, health.answeredAt);
    else failure = health.reason;
  } catch (err) {
    failure = `the container could not start: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (!failure && ctx.signal.aborted) failure = 'cancelled';

  if (!failure && routeEnvironment) {
    ctx.log('system', 'Health check passed');
    const switched = await switchTraffic(ctx, {
      containerId,
      routeEnvironment,
      previous,
      whileDraining: () => logContainerOutput(ctx, containerId, 'Output of the new container'),
    });
    if (switched.ok) {
      result.unavailableMs = 0;
      ctx.log('system', `Deployment #${deployment.number} is live`);
      return { status: 'succeeded', result };
    }
    heading = 'Switching traffic failed';
    failure = switched.reason;
  }
  if (!failure) {
    ctx.phase('cleanup');
    // The new container's output is read while the previous release goes.
    const [output, removal] = await Promise.allSettled([
      logContainerOutput(ctx, containerId, 'Output of the new container'),
      removeContainers(engine, previous),
    ]);
    if (output.status === 'rejected') throw output.reason;
    if (removal.status === 'rejected') throw removal.reason;
    ctx.log('system', 'Health check passed');
    if (handover) {
      result.unavailableMs = Math.max(0, answeredAt - stoppedAt);
      ctx.log(
        'system',
        `Switched releases; the service was unavailable for ${result.unavailableMs} ms`,
      );
    } else {
      result.unavailableMs = 0;
    }
    ctx.log('system', `Deployment #${deployment.number} is live`);
    return { status: 'succeeded', result };
  }

  ctx.phase('restore');
  await logContainerOutput(ctx, containerId, 'Output of the new container');
  const aborted = ctx.signal.aborted;
  ctx.log(
    'system',
    aborted ? `Cancelled: ${cancelledReason(ctx.signal)}` : `${heading}: ${failure}`,
  );
  await engine.stopContainer(containerId, STOP_TIMEOUT_SECONDS).catch(() => undefined);
  await engine.removeContainer(containerId).catch(() => undefined);
  delete result.containerId;

  let restored = '';
  for (const old of serving) {
    const number = old.labels[LABELS.number] ?? '?';
    try {
      if (handover) await engine.startContainer(old.id);
      ctx.log('system', `Restored deployment #${number}`);
      restored = ` Deployment #${number} was restored and is serving.`;
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      ctx.log('system', `Could not restore deployment #${number}: ${why}`);
      restored = ` Restoring deployment #${number} failed: ${why}.`;
    }
  }
  if (aborted)
    return {
      status: 'cancelled',
      error: `${cancelledReason(ctx.signal)}.${restored}`.trim(),
      result,
    };
  return { status: 'failed', error: `${heading}: ${failure}.${restored}`, result };
}
