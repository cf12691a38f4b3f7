import type { Database as LmdbDatabase } from 'lmdb';
import type { RecordSealer } from '../secrets/record-sealer.js';
import type { JobRecord } from './records.js';

/**
 * The history's `jobs` table with the secret fields of each job (the env values deployed) sealed
 * on disk and plain in the records it hands out.
 */
export class SealedJobTable {
  readonly #table: LmdbDatabase<JobRecord, string>;
  readonly #sealer: RecordSealer | undefined;
  readonly #path: string;

  /** Without a sealer the values are stored as they are (tests that need no key). */
  constructor(
    table: LmdbDatabase<JobRecord, string>,
    sealer: RecordSealer | undefined,
    path: string,
  ) {
    this.#table = table;
    this.#sealer = sealer;
    this.#path = path;
  }

  get(jobId: string): JobRecord | undefined {
    const stored = this.#table.get(jobId);
    if (!stored || !this.#sealer) return stored;
    return this.#sealer.open(stored, this.#where(jobId));
  }

  /** Joins the caller's write transaction, like the table's own `putSync`. */
  putSync(jobId: string, job: JobRecord): void {
    this.#table.putSync(jobId, this.#sealer ? this.#sealer.seal(job) : job);
  }

  removeSync(jobId: string): void {
    this.#table.removeSync(jobId);
  }

  ids(): string[] {
    return [...this.#table.getKeys()];
  }

  /** Seals a stored job again under the current key if it needs it; true when it was rewritten. */
  resealSync(jobId: string): boolean {
    const stored = this.#table.get(jobId);
    if (!stored || !this.#sealer?.needsResealing(stored)) return false;
    this.#table.putSync(jobId, this.#sealer.seal(this.#sealer.open(stored, this.#where(jobId))));
    return true;
  }

  #where(jobId: string): string {
    return `job ${jobId} in ${this.#path}`;
  }
}
