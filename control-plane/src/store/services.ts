import {
  DEFAULT_BACKUP_SETTINGS,
  DEFAULT_DRAIN_SECONDS,
  type CreateServiceBody,
  type PatchServiceBody,
  type Source,
} from '@berth/protocol';
import { randomBytes } from 'node:crypto';
import { isoTime, type Now } from '../clock.js';
import { newId } from '../crypto.js';
import { databaseEnv } from '../databases/credentials.js';
import { BerthError } from '../errors.js';
import type { Database } from './database.js';
import { checkSourceCredential } from './git-credentials.js';
import type { HistoryStore } from './history.js';
import { checkDomains } from './service-domains.js';
import type { ServiceConfigRecord, ServiceRecord, ServiceState } from './records.js';

function withState(config: ServiceConfigRecord, state: ServiceState): ServiceRecord {
  return {
    ...structuredClone(config),
    status: state.status,
    primaryAction: state.primaryAction,
    currentDeploymentId: state.currentDeploymentId,
  };
}

function engineOf(source: Source): string | undefined {
  return source.type === 'database' ? source.engine : undefined;
}

function pushNeedsGit(): BerthError {
  return new BerthError('INVALID_INPUT', 'Only git services can deploy on push', {
    fields: [{ path: 'deployOnPush', message: 'only for git services' }],
  });
}

/** A database stays a database of its engine: its data volume holds that engine's files. */
function checkPatch(record: ServiceConfigRecord, patch: PatchServiceBody): void {
  const engine = engineOf(record.source);
  if (patch.source !== undefined && engineOf(patch.source) !== engine) {
    throw new BerthError(
      'INVALID_INPUT',
      engine
        ? `This service is a ${engine} database; its source can change version or image, not engine or type. Create a new service instead`
        : 'A service cannot become a database; create a database service instead',
      { fields: [{ path: 'source', message: 'cannot change the kind of service' }] },
    );
  }
  const source = patch.source ?? record.source;
  if (patch.deployOnPush === true && source.type !== 'git') throw pushNeedsGit();
  if (patch.backup !== undefined && !engine) {
    throw new BerthError('INVALID_INPUT', 'Only database services have backups', {
      fields: [{ path: 'backup', message: 'only for database services' }],
    });
  }
}

/** Services: their configuration from db.json, joined with their run state from the history. */
export class ServiceRecords {
  readonly #db: Database;
  readonly #history: HistoryStore;
  readonly #now: Now;

  constructor(db: Database, history: HistoryStore, now: Now) {
    this.#db = db;
    this.#history = history;
    this.#now = now;
  }

  async create(environmentId: string, body: CreateServiceBody): Promise<ServiceRecord> {
    if (body.deployOnPush && body.source.type !== 'git') throw pushNeedsGit();
    const database = body.source.type === 'database' ? body.source : undefined;
    const record: ServiceConfigRecord = {
      id: newId('svc'),
      environmentId,
      name: body.name,
      source: body.source,
      ports: body.ports,
      env: database ? databaseEnv(database, body.env) : body.env,
      healthcheck: body.healthcheck,
      domains: body.domains ?? [],
      drainSeconds: body.drainSeconds ?? DEFAULT_DRAIN_SECONDS,
      ...(body.source.type === 'git' ? { deployOnPush: body.deployOnPush ?? false } : {}),
      ...(database ? { exposed: false, backup: { ...DEFAULT_BACKUP_SETTINGS } } : {}),
      createdAt: isoTime(this.#now()),
    };
    await this.#db.mutate((data) => {
      checkSourceCredential(data, record.source);
      checkDomains(data, record, record.domains ?? []);
      data.services.push(record);
    });
    return withState(record, await this.#history.serviceState(record.id));
  }

  async listByEnvironment(environmentId: string): Promise<ServiceRecord[]> {
    const configs = this.#db.data.services.filter((s) => s.environmentId === environmentId);
    const states = await this.#history.serviceStates(configs.map((s) => s.id));
    return configs.map((config) => withState(config, states.get(config.id)!));
  }

  async get(id: string): Promise<ServiceRecord | undefined> {
    const config = this.config(id);
    return config && withState(config, await this.#history.serviceState(id));
  }

  /** The configuration alone, without a read of the history. */
  config(id: string): ServiceConfigRecord | undefined {
    const record = this.#db.data.services.find((service) => service.id === id);
    return record && structuredClone(record);
  }

  /** The configurations of the services whose environment runs on this server. */
  configsOnServer(serverId: string): ServiceConfigRecord[] {
    const { environments, services } = this.#db.data;
    const here = new Set(environments.filter((e) => e.serverId === serverId).map((e) => e.id));
    return structuredClone(services.filter((s) => here.has(s.environmentId)));
  }

  /** Records whether a database is published on its server, and on which port. */
  async setExposure(id: string, publicPort: number | null): Promise<void> {
    await this.#db.mutate((data) => {
      const record = data.services.find((service) => service.id === id);
      if (!record) return;
      record.exposed = publicPort !== null;
      if (publicPort === null) delete record.publicPort;
      else record.publicPort = publicPort;
    });
  }

  /**
   * The secret that signs this service's push webhooks, made on first use; with `rotate`, a new
   * one replaces it. Undefined when the id is unknown.
   */
  async webhookSecret(id: string, options: { rotate?: boolean } = {}): Promise<string | undefined> {
    const current = this.#db.data.services.find((service) => service.id === id);
    if (!current) return undefined;
    if (current.webhookSecret && !options.rotate) return current.webhookSecret;
    const secret = randomBytes(32).toString('hex');
    await this.#db.mutate((data) => {
      const record = data.services.find((service) => service.id === id);
      if (record) record.webhookSecret = secret;
    });
    return secret;
  }

  /** Every service configuration, for the backup schedules. */
  all(): ServiceConfigRecord[] {
    return structuredClone(this.#db.data.services);
  }

  /** Every service id, for upkeep that walks them all. */
  ids(): string[] {
    return this.#db.data.services.map((s) => s.id);
  }

  /** Replaces the given fields (the dashboard's "Save"); undefined when the id is unknown. */
  async update(id: string, patch: PatchServiceBody): Promise<ServiceRecord | undefined> {
    const config = await this.#db.mutate((data) => {
      const record = data.services.find((service) => service.id === id);
      if (!record) return undefined;
      checkPatch(record, patch);
      if (patch.source !== undefined) checkSourceCredential(data, patch.source);
      if (patch.domains !== undefined || patch.ports !== undefined) {
        checkDomains(
          data,
          { id, source: patch.source ?? record.source, ports: patch.ports ?? record.ports },
          patch.domains ?? record.domains ?? [],
        );
      }
      if (patch.source !== undefined) record.source = patch.source;
      if (patch.backup !== undefined) record.backup = patch.backup;
      if (patch.ports !== undefined) record.ports = patch.ports;
      if (patch.env !== undefined) record.env = patch.env;
      if (patch.healthcheck !== undefined) record.healthcheck = patch.healthcheck;
      if (patch.deployOnPush !== undefined) record.deployOnPush = patch.deployOnPush;
      if (record.source.type !== 'git') delete record.deployOnPush;
      if (patch.domains !== undefined) record.domains = patch.domains;
      if (patch.drainSeconds !== undefined) record.drainSeconds = patch.drainSeconds;
      return structuredClone(record);
    });
    return config && withState(config, await this.#history.serviceState(id));
  }
}
