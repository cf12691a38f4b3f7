import cron from 'node-cron';

/** Hourly, at minute 17, away from the top of the hour when other cron jobs crowd. */
export const DEFAULT_RETENTION_SCHEDULE = '17 * * * *';

export function isCronExpression(expression: string): boolean {
  return cron.validate(expression);
}

/**
 * Runs `task` on a cron schedule, never two at once; returns a function that stops it. A failure
 * is reported and the next tick tries again.
 */
export function schedule(
  expression: string,
  task: () => Promise<void>,
  onError: (err: unknown) => void,
): () => void {
  let running = false;
  const scheduled = cron.schedule(expression, async () => {
    if (running) return;
    running = true;
    try {
      await task();
    } catch (err) {
      onError(err);
    } finally {
      running = false;
    }
  });
  return () => {
    void scheduled.stop();
  };
}
