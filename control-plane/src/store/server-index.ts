import { BerthError } from '../errors.js';
import type { ServerConfig } from './server-journal.js';

export interface ServerPage<T> {
  items: T[];
  /** Opaque; pass it back as `cursor` for the next page. Null on the last page. */
  nextCursor: string | null;
}

/**
 * Server configurations by id, and in enrollment order (createdAt, then id) for stable paging.
 * Lookups are O(1); a page is O(log n + its length + the servers its filter skips).
 */
export class ServerIndex {
  readonly #byId = new Map<string, ServerConfig>();
  readonly #ordered: ServerConfig[] = [];

  get size(): number {
    return this.#byId.size;
  }

  get(id: string): ServerConfig | undefined {
    return this.#byId.get(id);
  }

  all(): ServerConfig[] {
    return [...this.#ordered];
  }

  put(config: ServerConfig): void {
    const previous = this.#byId.get(config.id);
    this.#byId.set(config.id, config);
    if (previous) {
      this.#ordered[this.#position(previous)] = config;
      return;
    }
    // Enrollment times grow, so this is an append in all but odd cases.
    const at = this.#firstAfter(orderKey(config));
    if (at === this.#ordered.length) this.#ordered.push(config);
    else this.#ordered.splice(at, 0, config);
  }

  remove(id: string): void {
    const config = this.#byId.get(id);
    if (!config) return;
    this.#byId.delete(id);
    this.#ordered.splice(this.#position(config), 1);
  }

  page(options: {
    limit: number;
    cursor?: string;
    filter?: (config: ServerConfig) => boolean;
  }): ServerPage<ServerConfig> {
    const { limit, filter } = options;
    let index = options.cursor === undefined ? 0 : this.#firstAfter(decodeCursor(options.cursor));
    const items: ServerConfig[] = [];
    for (; index < this.#ordered.length && items.length < limit; index += 1) {
      const config = this.#ordered[index]!;
      if (!filter || filter(config)) items.push(config);
    }
    if (filter) {
      // Only say there is a next page when one really has a match.
      while (index < this.#ordered.length && !filter(this.#ordered[index]!)) index += 1;
    }
    const last = items.at(-1);
    const more = index < this.#ordered.length && last !== undefined;
    return { items, nextCursor: more ? encodeCursor(orderKey(last)) : null };
  }

  #position(config: ServerConfig): number {
    // The first entry not before it is the entry itself.
    const key = orderKey(config);
    let low = 0;
    let high = this.#ordered.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareKeys(orderKey(this.#ordered[mid]!), key) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Index of the first entry strictly after `key`. */
  #firstAfter(key: OrderKey): number {
    let low = 0;
    let high = this.#ordered.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareKeys(orderKey(this.#ordered[mid]!), key) <= 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

type OrderKey = [createdAt: string, id: string];

function orderKey(config: ServerConfig): OrderKey {
  return [config.createdAt, config.id];
}

function compareKeys(a: OrderKey, b: OrderKey): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}

function encodeCursor(key: OrderKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): OrderKey {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string'
    ) {
      return [value[0], value[1]];
    }
  } catch {
    // answered below
  }
  throw new BerthError(
    'INVALID_INPUT',
    'invalid request: cursor: not a cursor from a previous answer; start again without one',
    { fields: [{ path: 'cursor', message: 'not a cursor from a previous answer' }] },
  );
}
