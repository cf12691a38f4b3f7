import { LABELS, type Engine } from '../docker/engine.js';
import type { Journal } from '../jobs/journal.js';

export interface PruneResult {
  removed: string[];
  kept: string[];
}

/**
 * Keeps the images of the last `keep` successful deployments of each service, and
 * those any container uses; removes Berth's other images (its `berth/` tags and
 * built images). Images pulled from a registry keep their own tags.
 */
export async function pruneImages(
  engine: Engine,
  journal: Journal,
  keep: number,
): Promise<PruneResult> {
  const successes = new Map<string, { number: number; imageId: string }[]>();
  for (const entry of journal.all()) {
    if (entry.kind !== 'deploy' || entry.status !== 'succeeded' || !entry.result.imageId) continue;
    const list = successes.get(entry.serviceId) ?? [];
    list.push({ number: entry.deploymentNumber ?? 0, imageId: entry.result.imageId });
    successes.set(entry.serviceId, list);
  }
  const keepIds = new Set<string>();
  for (const list of successes.values()) {
    list.sort((a, b) => b.number - a.number);
    for (const item of list.slice(0, keep)) keepIds.add(item.imageId);
  }
  for (const container of await engine.listContainers({ [LABELS.service]: '' }))
    keepIds.add(container.imageId);

  const removed: string[] = [];
  const kept: string[] = [];
  for (const image of await engine.listImages({})) {
    const berthTags = image.tags.filter((t) => t.startsWith('berth/'));
    const built = LABELS.service in image.labels;
    if (!built && berthTags.length === 0) continue;
    if (keepIds.has(image.id)) {
      kept.push(image.id);
      continue;
    }
    for (const tag of berthTags) await engine.removeImage(tag);
    const otherTags = image.tags.length - berthTags.length;
    if (built && otherTags === 0) await engine.removeImage(image.id);
    removed.push(image.id);
  }
  return { removed, kept };
}
