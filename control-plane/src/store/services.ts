import type { CreateServiceBody, PatchServiceBody } from '@berth/protocol';
import { isoTime, type Now } from '../clock.js';
import { newId } from '../crypto.js';
import type { Database } from './database.js';
import type { ServiceRecord } from './records.js';

export class ServiceRecords {
  readonly #db: Database;
  readonly #now: Now;

  constructor(db: Database, now: Now) {
    this.#db = db;
    this.#now = now;
  }

  create(environmentId: string, body: CreateServiceBody): Promise<ServiceRecord> {
    const record: ServiceRecord = {
      id: newId('svc'),
      environmentId,
      name: body.name,
      source: body.source,
      ports: body.ports,
      env: body.env,
      healthcheck: body.healthcheck,
      status: 'never-deployed',
      primaryAction: 'deploy',
      currentDeploymentId: null,
      createdAt: isoTime(this.#now()),
    };
    return this.#db.mutate((data) => {
      data.services.push(record);
      return structuredClone(record);
    });
  }

  listByEnvironment(environmentId: string): ServiceRecord[] {
    return structuredClone(
      this.#db.data.services.filter((service) => service.environmentId === environmentId),
    );
  }

  get(id: string): ServiceRecord | undefined {
    const record = this.#db.data.services.find((service) => service.id === id);
    return record && structuredClone(record);
  }

  /** Replaces the given fields (the dashboard's "Save"); undefined when the id is unknown. */
  async update(id: string, patch: PatchServiceBody): Promise<ServiceRecord | undefined> {
    if (!this.get(id)) return undefined;
    return this.#db.mutate((data) => {
      const record = data.services.find((service) => service.id === id);
      if (!record) return undefined;
      if (patch.source !== undefined) record.source = patch.source;
      if (patch.ports !== undefined) record.ports = patch.ports;
      if (patch.env !== undefined) record.env = patch.env;
      if (patch.healthcheck !== undefined) record.healthcheck = patch.healthcheck;
      return structuredClone(record);
    });
  }
}
