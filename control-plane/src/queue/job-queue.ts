import type { AgentMessage, CacheMode, HeldJob, ServiceStatus } from '@berth/protocol';
import { isoTime } from '../clock.js';
import { BerthError, notFound } from '../errors.js';
import type { LogFiles } from '../store/log-files.js';
import type { DeploymentRecord, JobRecord, ServiceRecord } from '../store/records.js';
import {
  queueDeployment,
  queueRestart,
  queueStop,
  rollbackOrigin,
  type ActionDeps,
  type QueuedAction,
} from './actions.js';
import { dispatchQueued, type DispatchDeps } from './dispatcher.js';
import { finishJob, requeueJob, statusFromContainer, type JobEnd } from './finish-job.js';
import type { QueueEvents } from './queue-events.js';
import { findDeployment, findJob, isFinal, servicesOn } from './records-access.js';

export interface JobQueueDeps extends DispatchDeps, ActionDeps {
  logs: LogFiles;
  events: QueueEvents;
  /** How long a queued job may wait for its offline server before it fails, in milliseconds. */
  queueTimeoutMs: number;
}

type Message<T extends AgentMessage['type']> = Extract<AgentMessage, { type: T }>;

/**
 * The persisted job queue: every action becomes a job, jobs run one at a time
 * per service on their server's agent, and every outcome is recorded once.
 */
export class JobQueue {
  #dispatching: Promise<void> = Promise.resolve();
  #again = false;
  #scheduled = false;

  constructor(private readonly deps: JobQueueDeps) {}

  // ----- actions (HTTP) -----

  async deploy(serviceId: string, cache: CacheMode): Promise<QueuedAction> {
    return this.#queued(await queueDeployment(this.deps, serviceId, { cache }));
  }

  async rollback(deploymentId: string): Promise<QueuedAction> {
    const origin = rollbackOrigin(this.deps.store, deploymentId);
    return this.#queued(
      await queueDeployment(this.deps, origin.serviceId, {
        cache: 'use-existing',
        rollbackOf: origin,
      }),
    );
  }

  async restart(serviceId: string): Promise<QueuedAction> {
    return this.#queued(await queueRestart(this.deps, serviceId));
  }

  async stop(serviceId: string): Promise<QueuedAction> {
    return this.#queued(await queueStop(this.deps, serviceId));
  }

  /** Cancels a queued deployment at once, or asks the agent to stop a running one. */
  async cancelDeployment(deploymentId: string): Promise<DeploymentRecord> {
    const { store, now } = this.deps;
    const deployment = findDeployment(store.db.data, deploymentId);
    if (!deployment) throw notFound('deployment', deploymentId);
    const job = findJob(store.db.data, deployment.jobId);
    if (!job || isFinal(job)) {
      throw new BerthError(
        'ALREADY_FINISHED',
        `Deployment #${deployment.number} has already finished (${deployment.status})`,
        {
          status: 409,
        },
      );
    }
    if (job.status === 'queued') {
      await store.db.mutate((data) =>
        finishJob(
          data,
          job.id,
          { status: 'cancelled', error: 'Cancelled before it started' },
          now(),
        ),
      );
    } else {
      await store.db.mutate((data) => {
        const live = findJob(data, job.id);
        if (live) live.cancelRequestedAt = isoTime(now());
      });
      this.deps.sessions.send(job.serverId, { type: 'job.cancel', jobId: job.id });
    }
    this.#changed(job.id);
    this.kick();
    return structuredClone(findDeployment(store.db.data, deploymentId)!);
  }

  // ----- agent events (hub) -----

  /** After a handshake: jobs the agent never got go back to the queue; cancels are repeated. */
  async handleSessionOpen(serverId: string, held: HeldJob[]): Promise<void> {
    const known = new Set(held.map((j) => j.jobId));
    const requeued: string[] = [];
    await this.deps.store.db.mutate((data) => {
      for (const job of data.jobs) {
        if (job.serverId !== serverId || job.status !== 'running' || known.has(job.id)) continue;
        requeueJob(data, job);
        requeued.push(job.id);
      }
    });
    for (const id of requeued)
      this.deps.log.info(`job ${id} was never received by server ${serverId}; queued again`);
    for (const job of this.deps.store.db.data.jobs) {
      if (job.serverId === serverId && job.status === 'running' && job.cancelRequestedAt) {
        this.deps.sessions.send(serverId, { type: 'job.cancel', jobId: job.id });
      }
    }
    this.kick();
  }

  async handleMessage(serverId: string, message: AgentMessage): Promise<void> {
    switch (message.type) {
      case 'job.accept':
        return this.#onAccept(message);
      case 'job.status':
        return this.#onStatus(message);
      case 'job.finished':
        return this.#onFinished(serverId, message);
      case 'log.batch':
        return this.#onLogBatch(serverId, message);
      case 'state.report':
        return this.#onStateReport(serverId, message);
      case 'hello':
      case 'heartbeat':
      case 'container.logs.lines':
      case 'error':
        return;
    }
  }

  async #onAccept(message: Message<'job.accept'>): Promise<void> {
    await this.deps.store.db.mutate((data) => {
      const job = findJob(data, message.jobId);
      const deployment = findDeployment(data, job?.deploymentId);
      if (job?.status === 'running' && deployment?.status === 'queued')
        deployment.status = 'building';
    });
    this.#changed(message.jobId);
  }

  /** A running deployment moved on, or resolved its commit or digest early. */
  async #onStatus(message: Message<'job.status'>): Promise<void> {
    await this.deps.store.db.mutate((data) => {
      const job = findJob(data, message.jobId);
      const deployment = findDeployment(data, job?.deploymentId);
      if (job?.status !== 'running' || !deployment) return;
      if (message.deploymentStatus) deployment.status = message.deploymentStatus;
      const { commit, digest } = message.result ?? {};
      if (deployment.source.type === 'git' && commit) deployment.source.commit = commit;
      if (deployment.source.type === 'image' && digest) deployment.source.digest = digest;
    });
    this.#changed(message.jobId);
  }

  async #onFinished(serverId: string, message: Message<'job.finished'>): Promise<void> {
    // Lines sent before job.finished are stored before the deployment shows as ended.
    await this.deps.logs.append(message.jobId, []);
    const end: JobEnd = {
      status: message.status,
      result: message.result,
      ...(message.error ? { error: message.error } : {}),
    };
    const changed = await this.deps.store.db.mutate((data) =>
      finishJob(data, message.jobId, end, this.deps.now()),
    );
    this.deps.sessions.send(serverId, { type: 'job.ack', jobId: message.jobId });
    if (changed) {
      const job = findJob(this.deps.store.db.data, message.jobId);
      this.deps.log.info(
        `job ${message.jobId} ${message.status}${message.error ? `: ${message.error}` : ''}`,
      );
      this.#changed(message.jobId);
      if (job) this.deps.events.emit('service', job.serviceId);
    }
    this.kick();
  }

  async #onLogBatch(serverId: string, message: Message<'log.batch'>): Promise<void> {
    const job = findJob(this.deps.store.db.data, message.jobId);
    const seq = job
      ? await this.deps.logs.append(message.jobId, message.lines)
      : // An unknown job's lines have nowhere to go; acknowledge them so the agent can let go.
        Math.max(...message.lines.map((l) => l.seq));
    this.deps.sessions.send(serverId, { type: 'log.ack', jobId: message.jobId, seq });
  }

  async #onStateReport(serverId: string, message: Message<'state.report'>): Promise<void> {
    const changedServices = await this.deps.store.db.mutate((data) => {
      if (message.imageIds) {
        data.keptImages[serverId] = {
          imageIds: message.imageIds,
          reportedAt: isoTime(this.deps.now()),
        };
      }
      const busy = new Set(data.jobs.filter((j) => j.status === 'running').map((j) => j.serviceId));
      const changed: string[] = [];
      const setStatus = (service: ServiceRecord, status: ServiceStatus) => {
        if (service.status === status) return;
        service.status = status;
        changed.push(service.id);
      };
      for (const container of message.containers) {
        const service = data.services.find((s) => s.id === container.serviceId);
        if (!service || busy.has(service.id)) continue;
        if (service.currentDeploymentId === container.deploymentId) {
          setStatus(service, statusFromContainer(container));
        }
      }
      if (message.full) {
        // A current release with no container left on its server is not running.
        const listed = new Set(message.containers.map((c) => c.deploymentId));
        for (const service of servicesOn(data, serverId)) {
          if (busy.has(service.id) || !service.currentDeploymentId) continue;
          if (!listed.has(service.currentDeploymentId)) setStatus(service, 'stopped');
        }
      }
      return changed;
    });
    for (const id of changedServices) this.deps.events.emit('service', id);
  }

  // ----- time (lease loop) -----

  /**
   * Ends running jobs whose agent went silent past its liveness window or that
   * passed their deadline, and queued jobs that waited longer than the queue
   * timeout for a server that stayed offline. Writes only when one ends.
   */
  async expire(graceMs: number): Promise<void> {
    const { store, now } = this.deps;
    const current = now();
    const reasons = new Map<string, { error: string; lost: boolean }>();
    for (const job of store.db.data.jobs) {
      const reason = this.#expiry(job, current, graceMs);
      if (reason) reasons.set(job.id, reason);
    }
    const ended: JobRecord[] = [];
    if (reasons.size > 0) {
      await store.db.mutate((data) => {
        for (const [jobId, { error, lost }] of reasons) {
          if (finishJob(data, jobId, { status: 'failed', error, lost }, current)) {
            const job = findJob(data, jobId);
            if (job) ended.push(structuredClone(job));
          }
        }
      });
    }
    await this.#markUnreachableServices();
    for (const job of ended) {
      this.deps.log.warn(`job ${job.id} failed: ${job.error ?? ''}`);
      this.deps.sessions.send(job.serverId, { type: 'job.cancel', jobId: job.id });
      this.#changed(job.id);
      this.deps.events.emit('service', job.serviceId);
    }
    if (ended.length > 0) this.kick();
  }

  #expiry(job: JobRecord, nowMs: number, graceMs: number): { error: string; lost: boolean } | null {
    if (job.status !== 'running' && job.status !== 'queued') return null;
    const server = this.deps.store.db.data.servers.find((s) => s.id === job.serverId);
    const offline =
      !this.deps.sessions.isConnected(job.serverId) && (!server || server.status === 'offline');
    if (job.status === 'queued') {
      const waitedMs = nowMs - Date.parse(job.createdAt);
      if (!offline || waitedMs <= this.deps.queueTimeoutMs) return null;
      const minutes = Math.round(waitedMs / 60_000);
      return {
        error: `never started: its server ${server?.name ?? job.serverId} stayed offline for the ${minutes} minute(s) it waited`,
        lost: false,
      };
    }
    if (offline)
      return {
        error: 'agent lost: its server stopped answering before the job finished',
        lost: true,
      };
    if (nowMs > Date.parse(job.deadlineAt) + graceMs) {
      return {
        error: `the job passed its deadline (${job.deadlineAt}) and was stopped`,
        lost: false,
      };
    }
    return null;
  }

  /** Services on an offline server show `unknown` until their agent reports again. */
  async #markUnreachableServices(): Promise<void> {
    const { store, sessions } = this.deps;
    const offline = store.db.data.servers.filter(
      (s) => s.status === 'offline' && !sessions.isConnected(s.id),
    );
    const stale = offline.flatMap((server) =>
      servicesOn(store.db.data, server.id).filter((s) =>
        ['running', 'stopped', 'failed'].includes(s.status),
      ),
    );
    if (stale.length === 0) return;
    await store.db.mutate((data) => {
      for (const { id } of stale) {
        const service = data.services.find((s) => s.id === id);
        if (service) service.status = 'unknown';
      }
    });
    for (const { id } of stale) this.deps.events.emit('service', id);
  }

  /** Starts whatever may start now; calls coalesce while a dispatch runs. */
  kick(): void {
    if (this.#scheduled) {
      this.#again = true;
      return;
    }
    this.#scheduled = true;
    this.#dispatching = this.#dispatching
      .then(async () => {
        do {
          this.#again = false;
          const started = await dispatchQueued(this.deps);
          for (const job of started) {
            this.#changed(job.id);
            if (job.kind === 'deploy') this.deps.events.emit('service', job.serviceId);
          }
        } while (this.#again);
      })
      .catch((err: unknown) =>
        this.deps.log.error(`dispatch failed: ${err instanceof Error ? err.message : String(err)}`),
      )
      .finally(() => {
        this.#scheduled = false;
      });
  }

  #queued(action: QueuedAction): QueuedAction {
    this.#changed(action.job.id);
    this.kick();
    return action;
  }

  #changed(jobId: string): void {
    const data = this.deps.store.db.data;
    const job = findJob(data, jobId);
    if (job)
      this.deps.events.emit(
        'job',
        structuredClone(job),
        structuredClone(findDeployment(data, job.deploymentId)),
      );
  }
}
