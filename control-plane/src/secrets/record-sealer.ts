import { forEachSecretField, mapSecretFields } from './secret-fields.js';
import { isSealed, sealedKeyId, type SecretBox } from './secret-box.js';

/**
 * Seals the secret fields of one kind of record on its way to disk and opens them on the way
 * back, so the rest of the control plane works with plain values in memory.
 */
export class RecordSealer {
  readonly #box: SecretBox;
  readonly #paths: readonly string[];

  constructor(box: SecretBox, paths: readonly string[]) {
    this.#box = box;
    this.#paths = paths;
  }

  /** A copy of a plain record with its secret fields sealed under the current key. */
  seal<T>(record: T): T {
    return mapSecretFields(record, this.#paths, (value) => this.#box.seal(value));
  }

  /**
   * A copy with its secret fields opened. A plain field, written before secrets were sealed,
   * is taken as it is; the start seals every one of them (see `needsResealing`).
   */
  open<T>(record: T, where: string): T {
    return mapSecretFields(record, this.#paths, (value, field) =>
      isSealed(value) ? this.#box.open(value, `${where} ${field}`) : value,
    );
  }

  /** Whether a stored record has a plain field or one sealed under another key than the current. */
  needsResealing(stored: unknown): boolean {
    let stale = false;
    forEachSecretField(stored, this.#paths, (value) => {
      if (sealedKeyId(value) !== this.#box.sealingKeyId) stale = true;
    });
    return stale;
  }

  /** Whether a stored record has a field that is not sealed. */
  hasPlainFields(stored: unknown): boolean {
    let plain = false;
    forEachSecretField(stored, this.#paths, (value) => {
      if (!isSealed(value)) plain = true;
    });
    return plain;
  }
}

/** The ids of the keys a stored record's fields are sealed under. */
export function sealedKeyIdsOf(stored: unknown, paths: readonly string[]): string[] {
  const ids = new Set<string>();
  forEachSecretField(stored, paths, (value) => {
    const id = sealedKeyId(value);
    if (id) ids.add(id);
  });
  return [...ids];
}
