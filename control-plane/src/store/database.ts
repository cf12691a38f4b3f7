import { Low, type Adapter } from 'lowdb';
import { BerthError } from '../errors.js';
import { dataSchema, emptyData, summarizeDataIssues, type Data } from './records.js';

export interface DatabaseOptions {
  /** Names the storage in error messages, e.g. the path of db.json. */
  label: string;
  /** Longest delay of a lazy write (heartbeat bookkeeping), in milliseconds. */
  lazyWriteMs?: number;
  /** Called when a lazy write fails; prompt writes reject to their caller instead. */
  onLazyWriteError?: (err: unknown) => void;
}

/**
 * Holds the records in memory and persists them through lowdb. Writes never overlap: while one is
 * running, later changes are folded into the next one.
 */
export class Database {
  readonly #low: Low<Data>;
  readonly #lazyWriteMs: number;
  readonly #onLazyWriteError: (err: unknown) => void;
  #dirty = false;
  #pending: Promise<void> | null = null;
  #lazyTimer: NodeJS.Timeout | null = null;

  private constructor(low: Low<Data>, options: DatabaseOptions) {
    this.#low = low;
    this.#lazyWriteMs = options.lazyWriteMs ?? 1000;
    this.#onLazyWriteError = options.onLazyWriteError ?? (() => undefined);
  }

  static async open(adapter: Adapter<Data>, options: DatabaseOptions): Promise<Database> {
    const low = new Low<Data>(adapter, emptyData());
    await low.read();
    const parsed = dataSchema.safeParse(low.data);
    if (!parsed.success) {
      const fields = summarizeDataIssues(parsed.error);
      throw new BerthError(
        'DATA_CORRUPT',
        `${options.label} does not hold valid Berth data (${fields}); restore it from a backup`,
      );
    }
    low.data = parsed.data;
    return new Database(low, options);
  }

  /** The live records. Change them only inside `mutate` or `mutateLazy`. */
  get data(): Readonly<Data> {
    return this.#low.data;
  }

  /**
   * Applies `change` and resolves once it is on disk. `change` must validate before it modifies
   * anything: a throw rejects without writing.
   */
  async mutate<T>(change: (data: Data) => T): Promise<T> {
    const result = change(this.#low.data);
    await this.#persist();
    return result;
  }

  /** Applies `change` now and writes it within `lazyWriteMs`, folding frequent updates together. */
  mutateLazy(change: (data: Data) => void): void {
    change(this.#low.data);
    if (this.#lazyTimer) return;
    this.#lazyTimer = setTimeout(() => {
      this.#lazyTimer = null;
      this.#persist().catch(this.#onLazyWriteError);
    }, this.#lazyWriteMs);
    this.#lazyTimer.unref();
  }

  /** Writes any lazy change now. */
  async flush(): Promise<void> {
    if (this.#lazyTimer) {
      clearTimeout(this.#lazyTimer);
      this.#lazyTimer = null;
      await this.#persist();
    }
    await this.#pending;
  }

  #persist(): Promise<void> {
    this.#dirty = true;
    this.#pending ??= this.#drain();
    return this.#pending;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#dirty) {
        this.#dirty = false;
        await this.#low.write();
      }
    } catch (err) {
      // Keep the change pending so the next write carries it.
      this.#dirty = true;
      throw err;
    } finally {
      this.#pending = null;
    }
  }
}
