import type { WebhookDelivery } from '@berth/protocol';
import type { Database } from '../store/database.js';
import type { WebhookDeliveryRecord } from '../store/records.js';

/** Deliveries kept per service, newest first; older ones are dropped. */
export const DELIVERIES_KEPT = 100;
/**
 * Of those, at most this many refused ones: unsigned requests can come from anyone, and must
 * not push out the signed deliveries whose ids guard against repeats.
 */
export const REFUSED_KEPT = 20;

/**
 * The last push webhook deliveries of each service, in db.json: few (bounded per service),
 * small, and written once per delivery, so they need no history store.
 */
export class WebhookDeliveries {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Newest first. */
  list(serviceId: string): WebhookDelivery[] {
    return this.#db.data.webhookDeliveries
      .filter((d) => d.serviceId === serviceId)
      .reverse()
      .map(({ serviceId: _serviceId, ...view }) => structuredClone(view));
  }

  /** Whether a signed delivery with this id was already received for the service. */
  seen(serviceId: string, deliveryId: string): boolean {
    return this.#db.data.webhookDeliveries.some(
      (d) => d.serviceId === serviceId && d.deliveryId === deliveryId && d.outcome !== 'refused',
    );
  }

  /**
   * Records a delivery. It counts for `seen` at once, before the write is on disk, so a
   * repeat that arrives meanwhile is caught.
   */
  add(serviceId: string, delivery: WebhookDelivery): Promise<void> {
    return this.#db.mutate((data) => {
      data.webhookDeliveries.push({ ...delivery, serviceId });
      data.webhookDeliveries = bounded(data.webhookDeliveries, serviceId);
    });
  }

  /** Changes a recorded delivery (its outcome once the deployment is queued). */
  update(id: string, change: Partial<WebhookDelivery>): Promise<void> {
    return this.#db.mutate((data) => {
      const record = data.webhookDeliveries.find((d) => d.id === id);
      if (record) Object.assign(record, change);
    });
  }

  /** Drops a deleted service's deliveries. */
  forget(serviceId: string): Promise<void> {
    return this.#db.mutate((data) => {
      data.webhookDeliveries = data.webhookDeliveries.filter((d) => d.serviceId !== serviceId);
    });
  }
}

function bounded(all: WebhookDeliveryRecord[], serviceId: string): WebhookDeliveryRecord[] {
  let kept = 0;
  let refused = 0;
  const drop = new Set<WebhookDeliveryRecord>();
  for (let i = all.length - 1; i >= 0; i--) {
    const delivery = all[i]!;
    if (delivery.serviceId !== serviceId) continue;
    const isRefused = delivery.outcome === 'refused';
    if (kept >= DELIVERIES_KEPT || (isRefused && refused >= REFUSED_KEPT)) {
      drop.add(delivery);
      continue;
    }
    kept++;
    if (isRefused) refused++;
  }
  return drop.size === 0 ? all : all.filter((d) => !drop.has(d));
}
