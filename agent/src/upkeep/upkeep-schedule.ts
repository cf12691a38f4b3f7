import cron from 'node-cron';
import type { Engine } from '../docker/engine.js';
import type { Journal } from '../jobs/journal.js';
import type { Logger } from '../log.js';
import { pruneImages } from './prune-images.js';

export interface UpkeepOptions {
  engine: Engine;
  journal: Journal;
  logger: Logger;
  /** A node-cron expression (5 fields, or 6 with seconds). */
  schedule: string;
  keepImages: number;
  /** Called after images were removed, to report the kept set. */
  onPruned: () => void;
  /** True while jobs run: pruning waits for a quiet moment. */
  busy: () => boolean;
}

/** Schedules image pruning; returns a function that stops it. */
export function startUpkeep(options: UpkeepOptions): () => void {
  let running = false;
  const task = cron.schedule(options.schedule, async () => {
    if (running || options.busy()) return;
    running = true;
    try {
      const { removed } = await pruneImages(options.engine, options.journal, options.keepImages);
      if (removed.length > 0) {
        options.logger.info(`upkeep: removed ${removed.length} old deployment image(s)`);
        options.onPruned();
      }
    } catch (err) {
      options.logger.warn(
        `upkeep: pruning images failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    } finally {
      running = false;
    }
  });
  return () => {
    void task.stop();
  };
}
