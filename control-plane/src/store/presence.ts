import type { ServerStatus } from '@berth/protocol';
import type { Adapter } from 'lowdb';
import { z } from 'zod';

/** What a restart needs to know about each server: when it was last seen and whether it was online. */
export const presenceSnapshotSchema = z.object({
  version: z.literal(1),
  servers: z.record(
    z.string(),
    z.object({ lastSeenAt: z.number().nullable(), online: z.boolean() }),
  ),
});
export type PresenceSnapshot = z.infer<typeof presenceSnapshotSchema>;

export interface Presence {
  status: ServerStatus;
  /** ms since the epoch; null when the agent never connected. */
  lastSeenMs: number | null;
}

export interface PresenceOptions {
  /** A change of status is written within this, in milliseconds. */
  statusWriteMs?: number;
  /** Last-seen times alone are written within this, in milliseconds. */
  lastSeenWriteMs?: number;
  onWriteError?: (err: unknown) => void;
}

/**
 * Online status and last-seen times of every server. They change on every heartbeat, so they live
 * in memory and are written as one small snapshot in batches: status changes within seconds,
 * last-seen times at most once a minute. Never through the configuration file.
 */
export class PresenceBook {
  readonly #map = new Map<string, Presence>();
  readonly #adapter: Adapter<PresenceSnapshot>;
  readonly #statusWriteMs: number;
  readonly #lastSeenWriteMs: number;
  readonly #onWriteError: (err: unknown) => void;
  #timer: NodeJS.Timeout | null = null;
  #timerDueAt = Infinity;
  #writing: Promise<void> | null = null;
  #dirty = false;

  private constructor(adapter: Adapter<PresenceSnapshot>, options: PresenceOptions) {
    this.#adapter = adapter;
    this.#statusWriteMs = options.statusWriteMs ?? 1_000;
    this.#lastSeenWriteMs = options.lastSeenWriteMs ?? 60_000;
    this.#onWriteError = options.onWriteError ?? (() => undefined);
  }

  /** Reads the last snapshot. Servers online when it was written come back as `reconnecting`. */
  static async open(
    adapter: Adapter<PresenceSnapshot>,
    options: PresenceOptions = {},
  ): Promise<{ book: PresenceBook; found: boolean }> {
    const book = new PresenceBook(adapter, options);
    const parsed = presenceSnapshotSchema.safeParse(await adapter.read());
    // An unreadable snapshot costs only last-seen times; servers then start offline.
    if (parsed.success) {
      for (const [id, entry] of Object.entries(parsed.data.servers)) {
        book.#map.set(id, {
          status: entry.online ? 'reconnecting' : 'offline',
          lastSeenMs: entry.lastSeenAt,
        });
      }
    }
    return { book, found: parsed.success };
  }

  get(id: string): Presence | undefined {
    return this.#map.get(id);
  }

  entries(): IterableIterator<[string, Presence]> {
    return this.#map.entries();
  }

  /** Starts tracking a server, unless it already is. */
  add(id: string, presence: Presence): void {
    if (this.#map.has(id)) return;
    this.#map.set(id, presence);
    this.#changed(this.#statusWriteMs);
  }

  remove(id: string): void {
    if (this.#map.delete(id)) this.#changed(this.#statusWriteMs);
  }

  seen(id: string, at: number): void {
    const presence = this.#map.get(id);
    if (!presence) return;
    presence.lastSeenMs = at;
    this.#changed(this.#lastSeenWriteMs);
  }

  /** Returns whether the status changed. */
  setStatus(id: string, status: ServerStatus): boolean {
    const presence = this.#map.get(id);
    if (!presence || presence.status === status) return false;
    presence.status = status;
    this.#changed(this.#statusWriteMs);
    return true;
  }

  /** Writes any pending change now. */
  async flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
      this.#timerDueAt = Infinity;
    }
    await this.#write();
  }

  #changed(withinMs: number): void {
    this.#dirty = true;
    const dueAt = Date.now() + withinMs;
    if (this.#timer && this.#timerDueAt <= dueAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerDueAt = dueAt;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#timerDueAt = Infinity;
      this.#write().catch(this.#onWriteError);
    }, withinMs);
    this.#timer.unref();
  }

  async #write(): Promise<void> {
    while (this.#writing) await this.#writing;
    if (!this.#dirty) return;
    this.#dirty = false;
    const servers: PresenceSnapshot['servers'] = {};
    for (const [id, presence] of this.#map) {
      // A server still reconnecting was online before the restart, and still counts as such.
      servers[id] = { lastSeenAt: presence.lastSeenMs, online: presence.status !== 'offline' };
    }
    this.#writing = this.#adapter.write({ version: 1, servers });
    try {
      await this.#writing;
    } catch (err) {
      this.#dirty = true;
      throw err;
    } finally {
      this.#writing = null;
    }
  }
}
