import { randomBytes } from 'node:crypto';
import type {
  CreateNotificationBody,
  NotificationDelivery,
  NotificationEvent,
  NotificationTarget,
} from '@berth/protocol';
import { isoTime, type Now } from '../clock.js';
import { newId } from '../crypto.js';
import type { Database } from '../store/database.js';
import type { NotificationTargetRecord } from '../store/records.js';
import { maskUrl } from './mask-url.js';

/** Deliveries kept per target, newest first. */
export const NOTIFICATION_DELIVERIES_KEPT = 50;

/** A target as listed: its URL masked, its secret left out. */
export function targetView(record: NotificationTargetRecord): NotificationTarget {
  const { secret: _secret, url, ...view } = record;
  return { ...structuredClone(view), url: maskUrl(url) };
}

/**
 * Notification targets of projects and their delivery logs, in db.json: a handful per project,
 * and a bounded log per target.
 */
export class NotificationTargets {
  readonly #db: Database;
  readonly #now: Now;

  constructor(db: Database, now: Now) {
    this.#db = db;
    this.#now = now;
  }

  async create(projectId: string, body: CreateNotificationBody): Promise<NotificationTargetRecord> {
    const record: NotificationTargetRecord = {
      id: newId('ntf'),
      projectId,
      type: body.type,
      url: body.url,
      events: body.events,
      createdAt: isoTime(this.#now()),
      secret: randomBytes(32).toString('hex'),
    };
    await this.#db.mutate((data) => {
      data.notificationTargets.push(record);
    });
    return structuredClone(record);
  }

  list(projectId: string): NotificationTargetRecord[] {
    return structuredClone(
      this.#db.data.notificationTargets.filter((t) => t.projectId === projectId),
    );
  }

  /** The project's targets that asked for this event. */
  subscribed(projectId: string, event: NotificationEvent): NotificationTargetRecord[] {
    return this.list(projectId).filter((target) => target.events.includes(event));
  }

  get(id: string): NotificationTargetRecord | undefined {
    const record = this.#db.data.notificationTargets.find((t) => t.id === id);
    return record && structuredClone(record);
  }

  /** Removes a target and its log; false when there was none. */
  remove(id: string): Promise<boolean> {
    return this.#db.mutate((data) => {
      const before = data.notificationTargets.length;
      data.notificationTargets = data.notificationTargets.filter((t) => t.id !== id);
      data.notificationDeliveries = data.notificationDeliveries.filter((d) => d.targetId !== id);
      return data.notificationTargets.length < before;
    });
  }

  /** Newest first. */
  deliveries(targetId: string): NotificationDelivery[] {
    return structuredClone(
      this.#db.data.notificationDeliveries.filter((d) => d.targetId === targetId).reverse(),
    );
  }

  /** Starts a delivery's log entry; older entries of the target beyond the bound are dropped. */
  startDelivery(delivery: NotificationDelivery): Promise<void> {
    return this.#db.mutate((data) => {
      if (!data.notificationTargets.some((t) => t.id === delivery.targetId)) return;
      data.notificationDeliveries.push(structuredClone(delivery));
      const mine = data.notificationDeliveries.filter((d) => d.targetId === delivery.targetId);
      const excess = mine.length - NOTIFICATION_DELIVERIES_KEPT;
      if (excess > 0) {
        const drop = new Set(mine.slice(0, excess));
        data.notificationDeliveries = data.notificationDeliveries.filter((d) => !drop.has(d));
      }
    });
  }

  /** Records one attempt, and the status it leaves the delivery in. */
  recordAttempt(
    deliveryId: string,
    attempt: NotificationDelivery['attempts'][number],
    status: NotificationDelivery['status'],
  ): Promise<void> {
    return this.#db.mutate((data) => {
      const record = data.notificationDeliveries.find((d) => d.id === deliveryId);
      if (!record) return;
      record.attempts.push(attempt);
      record.status = status;
    });
  }
}
