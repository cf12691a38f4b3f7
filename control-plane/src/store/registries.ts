import type { CreateRegistryBody, PatchRegistryBody } from '@berth/protocol';
import { isoTime, type Now } from '../clock.js';
import { newId } from '../crypto.js';
import { BerthError, notFound } from '../errors.js';
import type { Database } from './database.js';
import type { RegistryRecord } from './records.js';

/** Registry credentials, one per registry host, kept in db.json. */
export class RegistryRecords {
  readonly #db: Database;
  readonly #now: Now;

  constructor(db: Database, now: Now) {
    this.#db = db;
    this.#now = now;
  }

  /** Adds a credential; 409 when the host already has one (change it with PATCH instead). */
  create(input: CreateRegistryBody): Promise<RegistryRecord> {
    const record: RegistryRecord = {
      id: newId('reg'),
      host: input.host,
      username: input.username,
      password: input.password,
      createdAt: isoTime(this.#now()),
    };
    return this.#db.mutate((data) => {
      const existing = data.registries.find((registry) => registry.host === record.host);
      if (existing) {
        throw new BerthError(
          'CONFLICT',
          `${record.host} already has a credential (${existing.id}); change it with PATCH /api/v1/registries/${existing.id}`,
          { status: 409 },
        );
      }
      data.registries.push(record);
      return structuredClone(record);
    });
  }

  list(): RegistryRecord[] {
    return structuredClone(this.#db.data.registries);
  }

  get(id: string): RegistryRecord | undefined {
    const record = this.#db.data.registries.find((registry) => registry.id === id);
    return record && structuredClone(record);
  }

  update(id: string, patch: PatchRegistryBody): Promise<RegistryRecord> {
    return this.#db.mutate((data) => {
      const record = data.registries.find((registry) => registry.id === id);
      if (!record) throw notFound('registry', id);
      if (patch.username !== undefined) record.username = patch.username;
      if (patch.password !== undefined) record.password = patch.password;
      record.updatedAt = isoTime(this.#now());
      return structuredClone(record);
    });
  }

  /** Whether it was there to remove. */
  remove(id: string): Promise<boolean> {
    return this.#db.mutate((data) => {
      const before = data.registries.length;
      data.registries = data.registries.filter((registry) => registry.id !== id);
      return data.registries.length !== before;
    });
  }
}
