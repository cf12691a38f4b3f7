import { databaseImage } from '@berth/protocol';
import { LABELS } from '../docker/engine.js';
import { AgentError } from '../errors.js';
import { shortId, type JobContext, type JobOutcome } from './job-context.js';
import { release, type ReleaseImage } from './release.js';
import { imageFromGit, imageFromRegistry } from './image-for-deploy.js';
import { proxiedEnvironment } from './route-network.js';

async function resolveImage(ctx: JobContext): Promise<ReleaseImage> {
  const deployment = ctx.spec.deployment!;
  if (deployment.imageId) {
    // A rollback: run that deployment's exact image again, no fetch, no build.
    ctx.phase('reuse');
    const image = await ctx.engine.inspectImage(deployment.imageId);
    if (!image) {
      throw new AgentError(
        'IMAGE_GONE',
        `Image ${shortId(deployment.imageId)} is no longer on this node, so it cannot be deployed again`,
      );
    }
    ctx.log('system', `Rolling back to image ${shortId(image.id)}`);
    const source = deployment.source;
    return {
      imageId: image.id,
      ...(source && 'commit' in source && source.commit ? { commit: source.commit } : {}),
      ...(source && 'digest' in source && source.digest ? { digest: source.digest } : {}),
    };
  }
  const source = deployment.source ?? ctx.spec.service.source;
  switch (source.type) {
    case 'git':
      return imageFromGit(ctx, source);
    case 'image':
      return imageFromRegistry(ctx, source);
    case 'database':
      return imageFromRegistry(ctx, { type: 'image', image: databaseImage(source) });
  }
}

export async function runDeployJob(ctx: JobContext): Promise<JobOutcome> {
  const deployment = ctx.spec.deployment;
  if (!deployment) throw new AgentError('INVALID_INPUT', 'The deploy job carries no deployment');
  ctx.log(
    'system',
    `Deployment #${deployment.number} (${deployment.trigger}, cache: ${deployment.cache})`,
  );
  const image = await resolveImage(ctx);
  ctx.setPhase('deploying');
  return release(ctx, image);
}

export async function runStopJob(ctx: JobContext): Promise<JobOutcome> {
  const containers = await ctx.engine.listContainers({ [LABELS.service]: ctx.spec.service.id });
  const running = containers.filter((c) => c.state === 'running' || c.state === 'restarting');
  if (running.length === 0) ctx.log('system', 'The service is not running; nothing to stop');
  for (const container of running) {
    ctx.log('system', `Stopping container ${shortId(container.id)}`);
    await ctx.engine.stopContainer(container.id, 10);
  }
  ctx.log('system', 'Stopped');
  return { status: 'succeeded', result: {} };
}

/**
 * Runs the current release again without rebuilding; recreates its container if it is gone.
 * A proxied service gets a fresh container of the same image beside the running one, which
 * takes over the traffic once healthy: stopping the one container would be an outage.
 */
export async function runRestartJob(ctx: JobContext): Promise<JobOutcome> {
  const current = ctx.spec.deployment;
  if (!current?.imageId)
    throw new AgentError('NO_DEPLOYMENT', 'There is no successful deployment to restart');
  if (proxiedEnvironment(ctx.spec.service)) {
    ctx.log(
      'system',
      `Restarting deployment #${current.number} in a new container; the current one serves until it is healthy`,
    );
    return release(ctx, { imageId: current.imageId }, { restart: true });
  }
  const containers = await ctx.engine.listContainers({ [LABELS.service]: ctx.spec.service.id });
  const own = containers.find((c) => c.labels[LABELS.deployment] === current.id);
  if (!own) {
    ctx.log(
      'system',
      `The container of deployment #${current.number} is gone; starting it again from its image`,
    );
    return release(ctx, { imageId: current.imageId });
  }
  ctx.log('system', `Restarting container ${shortId(own.id)} of deployment #${current.number}`);
  for (const other of containers) {
    if (other.id !== own.id && other.state === 'running')
      await ctx.engine.stopContainer(other.id, 10);
  }
  await ctx.engine.stopContainer(own.id, 10);
  await ctx.engine.startContainer(own.id);
  ctx.log('system', `Restarted`);
  return { status: 'succeeded', result: { containerId: own.id, imageId: current.imageId } };
}
