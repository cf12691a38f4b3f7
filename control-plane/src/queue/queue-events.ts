import { EventEmitter } from 'node:events';
import type { DeploymentRecord, JobRecord } from '../store/records.js';

export interface QueueEventMap {
  /** A job or its deployment changed (status, times, result). */
  job: [job: JobRecord, deployment: DeploymentRecord | undefined];
  /** A job that had started or was queued reached its outcome (emitted once, after `job`). */
  ended: [job: JobRecord, deployment: DeploymentRecord | undefined];
  /** A service's status or current deployment changed. */
  service: [serviceId: string];
  /** A backup's status or progress changed. */
  backup: [backupId: string];
}

/** Change notifications for live views: log streams and the dashboard's event stream. */
export class QueueEvents extends EventEmitter<QueueEventMap> {
  constructor() {
    super();
    // Every open log stream listens; there can be many.
    this.setMaxListeners(0);
  }
}
