import type { Adapter } from 'lowdb';
import type { RecordSealer } from '../secrets/record-sealer.js';

/**
 * A lowdb adapter that seals the secret fields on write and opens them on read, around the
 * adapter that stores the text (an AtomicJsonFile for db.json). The file holds only ciphertext;
 * the records in memory are plain.
 */
export class SealedJsonFile<T> implements Adapter<T> {
  readonly #inner: Adapter<T>;
  readonly #sealer: RecordSealer;
  readonly #label: string;

  constructor(inner: Adapter<T>, sealer: RecordSealer, label: string) {
    this.#inner = inner;
    this.#sealer = sealer;
    this.#label = label;
  }

  async read(): Promise<T | null> {
    const stored = await this.#inner.read();
    return stored === null ? null : this.#sealer.open(stored, this.#label);
  }

  write(data: T): Promise<void> {
    return this.#inner.write(this.#sealer.seal(data));
  }

  /** Seals the file again under the current key: plain fields and those under older keys. */
  async rewrite(): Promise<void> {
    const data = await this.read();
    if (data !== null) await this.write(data);
  }

  /** Whether the stored form of the file has a field that is not sealed. */
  hasPlainFields(stored: unknown): boolean {
    return this.#sealer.hasPlainFields(stored);
  }
}
