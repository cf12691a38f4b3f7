import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { AgentMessageInput, DatabaseEngine, JobSpec } from '@berth/protocol';
import type { DatabaseJobDeps } from '../../agent/src/database/backup.js';
import { createBackupTransfer } from '../../agent/src/database/backup-transfer.js';
import { mustRun, waitReady, type DbTarget } from '../../agent/src/database/db-client.js';
import {
  credentialsFor,
  sqlCommand,
  redisCommand,
} from '../../agent/src/database/dump-commands.js';
import { createDockerEngine } from '../../agent/src/docker/docker-engine.js';
import { LABELS, type Engine, type ExecStreamRequest } from '../../agent/src/docker/engine.js';
import type { JobContext } from '../../agent/src/jobs/job-context.js';
import { uniqueId } from './app-fixture.js';
import { BackupFilesServer } from './backup-files-server.js';

/** The agent's database machinery against the real engine and a stand-in control plane. */
export class DatabaseHarness {
  readonly serviceIds: string[] = [];
  readonly execs: ExecStreamRequest[] = [];
  readonly messages: AgentMessageInput[] = [];
  readonly lines: string[] = [];
  readonly engine: Engine;
  readonly server: BackupFilesServer;
  deps!: DatabaseJobDeps;
  private readonly agentId = `agt_${uniqueId()}`;
  private readonly keys = generateKeyPairSync('ed25519');

  constructor() {
    const real = createDockerEngine();
    // Every command the agent runs in a container, to check no secret reaches argv.
    this.engine = {
      ...real,
      execStream: (id, request) => {
        this.execs.push(request);
        return real.execStream(id, request);
      },
    };
    this.server = new BackupFilesServer(this.agentId, this.keys.publicKey);
  }

  async start(): Promise<void> {
    const baseUrl = await this.server.start();
    this.deps = {
      files: createBackupTransfer({
        baseUrl,
        identity: () =>
          Promise.resolve({ agentId: this.agentId, privateKey: this.keys.privateKey }),
      }),
      send: (message) => {
        this.messages.push(message);
        return true;
      },
    };
  }

  async stop(): Promise<void> {
    for (const serviceId of this.serviceIds) {
      for (const c of await this.engine.listContainers({ [LABELS.service]: serviceId })) {
        await this.engine.removeContainer(c.id).catch(() => undefined);
      }
    }
    await this.server.close();
  }

  /** A running database container labelled as a Berth service (no network: all goes through exec). */
  async startService(options: {
    engine: DatabaseEngine;
    image: string;
    env: Record<string, string>;
    containerEnv?: Record<string, string>;
    cmd?: string[];
    files?: { directory: string; name: string; content: string }[];
  }): Promise<Service> {
    const serviceId = `svc_db${uniqueId()}`;
    this.serviceIds.push(serviceId);
    const containerId = await this.engine.createThrowawayContainer({
      name: `berth-dbtest-${serviceId}`,
      image: options.image,
      env: options.containerEnv ?? options.env,
      labels: { [LABELS.service]: serviceId },
      ...(options.cmd ? { cmd: options.cmd } : {}),
    });
    for (const file of options.files ?? []) {
      const content = Buffer.from(file.content);
      await this.engine.putFile(containerId, file.directory, {
        name: file.name,
        sizeBytes: content.length,
        mode: 0o644,
        content: Readable.from([content]),
      });
    }
    await this.engine.startContainer(containerId);
    const target: DbTarget = {
      engine: this.engine,
      containerId,
      credentials: credentialsFor(options.engine, options.env),
      signal: new AbortController().signal,
    };
    await waitReady(target, {
      timeoutMs: 180_000,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      now: Date.now,
    });
    const service = {
      serviceId,
      containerId,
      target,
      spec: {
        id: serviceId,
        name: `db-${options.engine}`,
        source: { type: 'database' as const, engine: options.engine, image: options.image },
        ports: [],
        env: options.env,
        healthcheck: { type: 'running' as const, seconds: 0 },
      },
      sql: async (sql: string) =>
        (await mustRun(target, sqlCommand(target.credentials, sql), sql)).trim(),
      redis: async (...args: string[]) =>
        (await mustRun(target, redisCommand(target.credentials, args), args.join(' '))).trim(),
    };
    return service;
  }

  /** A job context as the runner builds it, for one backup or restore job. */
  context(service: Service, job: Pick<JobSpec, 'kind' | 'backup' | 'restore'>): JobContext {
    const spec: JobSpec = {
      jobId: `job_${uniqueId()}`,
      service: service.spec,
      deadlineAt: new Date(Date.now() + 600_000).toISOString(),
      ...job,
    };
    return {
      spec,
      engine: this.engine,
      signal: new AbortController().signal,
      workDir: mkdtempSync(join(tmpdir(), 'berth-dbjobs-')),
      log: (_stream, text) => this.lines.push(text),
      logRoom: () => null,
      phase: () => undefined,
      setPhase: () => undefined,
      recordStopped: () => Promise.resolve(),
      report: () => undefined,
      now: Date.now,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    };
  }

  /** Throwaway containers still around for a service (none once a verification ended). */
  async throwaways(serviceId: string): Promise<number> {
    const all = await this.engine.listContainers({ [LABELS.service]: serviceId });
    return all.filter((c) => c.labels[LABELS.throwaway] !== undefined).length;
  }
}

export interface Service {
  serviceId: string;
  containerId: string;
  target: DbTarget;
  spec: JobSpec['service'];
  sql(sql: string): Promise<string>;
  redis(...args: string[]): Promise<string>;
}
