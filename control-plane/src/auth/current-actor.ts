import type { Actor } from '@berth/protocol';
import { AsyncLocalStorage } from 'node:async_hooks';

// Who the work in progress is done for. Access control runs each API request inside the caller's
// actor, webhooks inside theirs, so the jobs, deployments and backups queued deep in the queue
// record `triggeredBy` without every layer passing it along.

const storage = new AsyncLocalStorage<Actor>();

/** Nothing asked for it: work queued by the control plane itself (the backup schedule). */
export const SCHEDULE_ACTOR: Actor = { type: 'schedule', name: 'schedule' };

export function runAs<T>(actor: Actor, work: () => T): T {
  return storage.run(actor, work);
}

export function currentActor(): Actor {
  return storage.getStore() ?? SCHEDULE_ACTOR;
}
