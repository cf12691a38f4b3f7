import type { Sleep } from '../clock.js';
import type { JobQueue } from './job-queue.js';

export interface LeaseLoopOptions {
  signal: AbortSignal;
  queue: Pick<JobQueue, 'expire' | 'kick'>;
  sleep: Sleep;
  intervalMs: number;
  /** Extra time past a job's deadline for the agent to report it stopped, in milliseconds. */
  deadlineGraceMs: number;
}

/**
 * Ends jobs whose agent went silent or that overran their deadline, so no job
 * stays running forever, and retries dispatch as servers come and go.
 */
export async function runLeaseLoop(options: LeaseLoopOptions): Promise<void> {
  while (!options.signal.aborted) {
    await options.queue.expire(options.deadlineGraceMs);
    void options.queue.kick();
    await options.sleep(options.intervalMs, options.signal);
  }
}
