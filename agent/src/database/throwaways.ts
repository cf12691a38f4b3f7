import { LABELS } from '../docker/engine.js';
import type { JobContext } from '../jobs/job-context.js';

/**
 * Removes throwaway containers a verification left behind for this service (an agent that
 * stopped mid-verification). Jobs of one service run one at a time, so none is in use.
 */
export async function removeLeftoverThrowaways(ctx: JobContext): Promise<void> {
  const containers = await ctx.engine.listContainers({
    [LABELS.service]: ctx.spec.service.id,
    [LABELS.throwaway]: '',
  });
  for (const container of containers) {
    ctx.log(
      'system',
      `Removing the throwaway container ${container.name} left by an earlier verification`,
    );
    await ctx.engine.removeContainer(container.id);
  }
}
