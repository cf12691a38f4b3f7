import { LABELS, type ContainerSummary, type Engine } from '../docker/engine.js';
import { AgentError } from '../errors.js';
import { shortId, type JobContext, type JobOutcome } from '../jobs/job-context.js';
import { STOP_TIMEOUT_SECONDS, containerName } from '../jobs/release.js';
import { checkServiceHealth, createServiceContainer } from '../jobs/service-container.js';
import { pickPublicPort, type PickPortOptions } from './expose-port.js';

const isUp = (c: ContainerSummary) => c.state === 'running' || c.state === 'restarting';

/** The container of the current deployment: the one the control plane names, else the one running. */
function currentContainer(ctx: JobContext, containers: ContainerSummary[]) {
  const wanted = ctx.spec.currentDeploymentId ?? ctx.spec.deployment?.id;
  const number = (c: ContainerSummary) => Number(c.labels[LABELS.number] ?? 0);
  return (
    containers.find((c) => wanted !== undefined && c.labels[LABELS.deployment] === wanted) ??
    containers.find(isUp) ??
    [...containers].sort((a, b) => number(b) - number(a))[0]
  );
}

/**
 * Expose and Unexpose: the current container is recreated from the same image, env,
 * labels and data volume, with or without the public port. The old one stops before the
 * new one starts (one container per data volume) and comes back if the new one fails.
 */
export async function runExposeJob(
  ctx: JobContext,
  options: PickPortOptions = {},
): Promise<JobOutcome> {
  const { engine, spec } = ctx;
  const { service } = spec;
  const exposing = spec.kind === 'expose';
  const action = exposing ? 'Expose' : 'Unexpose';
  if (service.source.type !== 'database')
    throw new AgentError('CONFLICT', `${action} applies to database services only`);
  const containers = await engine.listContainers({ [LABELS.service]: service.id });
  const current = currentContainer(ctx, containers);
  if (!current) {
    throw new AgentError(
      'NO_DEPLOYMENT',
      `Service "${service.name}" has no container on this server yet: deploy the database first`,
    );
  }
  const deploymentId = current.labels[LABELS.deployment] ?? '';
  const number = Number(current.labels[LABELS.number] ?? 0);
  const publicPort = exposing
    ? (spec.expose?.port ?? (await pickPublicPort(engine, options)))
    : undefined;
  ctx.log(
    'system',
    exposing
      ? `Publishing the database on port ${publicPort} of the server (deployment #${number})`
      : `Removing the database's public port (deployment #${number})`,
  );
  // A new name: the current container keeps its own until it is removed.
  const name = `${containerName(service.id, number)}-${ctx.now().toString(36)}`;
  const containerId = await createServiceContainer(ctx, {
    name,
    imageId: current.imageId,
    deployment: { id: deploymentId, number },
    publicPort,
  });
  const result = { containerId, imageId: current.imageId, ...(publicPort ? { publicPort } : {}) };
  if (!isUp(current)) {
    // A stopped database stays stopped; the new container carries the port for its next start.
    await engine.removeContainer(current.id);
    ctx.log('system', 'The database is stopped; the change applies when it starts');
    return { status: 'succeeded', result };
  }

  ctx.log('system', `Stopping container ${shortId(current.id)} to hand over the data volume`);
  // Noted durably first: an agent restarted mid-way starts this container again.
  await ctx.recordStopped([current.id]);
  await engine.stopContainer(current.id, STOP_TIMEOUT_SECONDS);
  let failure: string | undefined;
  try {
    await engine.startContainer(containerId);
    const health = await checkServiceHealth(ctx, containerId);
    if (!health.ok) failure = `the database did not become ready: ${health.reason}`;
  } catch (err) {
    failure = `the container could not start: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (!failure) {
    await engine.removeContainer(current.id);
    ctx.log('system', exposing ? `Exposed on port ${publicPort}` : 'Unexposed');
    return { status: 'succeeded', result };
  }

  ctx.log('system', `${action} failed: ${failure}`);
  await engine.stopContainer(containerId, STOP_TIMEOUT_SECONDS).catch(() => undefined);
  await engine.removeContainer(containerId).catch(() => undefined);
  let restored = ' The database runs as before.';
  try {
    await engine.startContainer(current.id);
    ctx.log('system', `Started container ${shortId(current.id)} again`);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    ctx.log('system', `Could not start container ${shortId(current.id)} again: ${why}`);
    restored = ` Starting the previous container again failed: ${why}.`;
  }
  return { status: 'failed', error: `${action} failed: ${failure}.${restored}`, result: {} };
}

/**
 * After the agent restarted during an expose or unexpose: when nothing of the service
 * runs, the half-made container goes and the one the job stopped starts again.
 */
export async function recoverExposeJob(
  engine: Engine,
  entry: { serviceId: string; stoppedContainers: string[] },
  note: (text: string) => void,
): Promise<void> {
  if (entry.stoppedContainers.length === 0) return;
  const containers = await engine.listContainers({ [LABELS.service]: entry.serviceId });
  const stopped = containers.filter((c) => entry.stoppedContainers.includes(c.id));
  if (containers.some(isUp) || stopped.length === 0) return;
  for (const half of containers.filter((c) => !entry.stoppedContainers.includes(c.id))) {
    await engine.removeContainer(half.id);
  }
  for (const container of stopped) {
    await engine.startContainer(container.id);
    note(`Started container ${shortId(container.id)} again`);
  }
}
