import type { CacheMode, ExposeBody, HeldJob, RestoreBody } from '@berth/protocol';
import type { BackupRecord } from '../store/records.js';
import { describeError } from '../errors.js';
import type { AgentHandlers } from '../hub/agent-routes.js';
import { isFinalStatus } from '../store/records.js';
import {
  cancelDeployment,
  queueDeployment,
  queueRestart,
  queueStop,
  rollbackOrigin,
  type QueuedAction,
} from './actions.js';
import {
  onAccept,
  onFinished,
  onLogBatch,
  onStateReport,
  onStatus,
  reconcileSession,
} from './agent-reports.js';
import type { QueueDeps } from './context.js';
import { onBackupProgress } from './backup-progress.js';
import {
  queueBackup,
  queueExpose,
  queueRestore,
  queueUnexpose,
  type QueuedBackup,
} from './databases.js';
import { dispatchQueued } from './dispatcher.js';
import { expireJobs } from './expiry.js';

export type JobQueueDeps = QueueDeps;

/**
 * The persisted job queue: every action becomes a job, jobs run one at a time per service on
 * their server's agent, and every outcome is recorded once. This class only routes; the work is
 * in actions, agent-reports, expiry and dispatcher.
 */
export class JobQueue {
  readonly #deps: QueueDeps;
  #dispatching: Promise<void> = Promise.resolve();
  #again = false;
  #scheduled = false;

  constructor(deps: QueueDeps) {
    this.#deps = deps;
    // A finished job's log bookkeeping is let go, whichever way it ended.
    deps.events.on('job', (job) => {
      if (isFinalStatus(job.status)) deps.logs.forget(job.id);
    });
  }

  // ----- actions (HTTP) -----

  deploy(serviceId: string, cache: CacheMode): Promise<QueuedAction> {
    return this.#queued(queueDeployment(this.#deps, serviceId, { cache }));
  }

  /** A Redeploy with the existing cache of exactly the pushed commit. */
  deployPush(serviceId: string, commit: string): Promise<QueuedAction> {
    return this.#queued(
      queueDeployment(this.#deps, serviceId, { cache: 'use-existing', pushedCommit: commit }),
    );
  }

  async rollback(deploymentId: string): Promise<QueuedAction> {
    const origin = await rollbackOrigin(this.#deps.store, deploymentId);
    return this.#queued(
      queueDeployment(this.#deps, origin.serviceId, { cache: 'use-existing', rollbackOf: origin }),
    );
  }

  restart(serviceId: string): Promise<QueuedAction> {
    return this.#queued(queueRestart(this.#deps, serviceId));
  }

  stop(serviceId: string): Promise<QueuedAction> {
    return this.#queued(queueStop(this.#deps, serviceId));
  }

  expose(serviceId: string, body: ExposeBody): Promise<QueuedAction> {
    return this.#queued(queueExpose(this.#deps, serviceId, body));
  }

  unexpose(serviceId: string): Promise<QueuedAction> {
    return this.#queued(queueUnexpose(this.#deps, serviceId));
  }

  async backup(serviceId: string, trigger: BackupRecord['trigger']): Promise<QueuedBackup> {
    const queued = await this.#queued(queueBackup(this.#deps, serviceId, trigger));
    return { ...queued, backup: queued.backup! };
  }

  restore(backupId: string, body: RestoreBody): Promise<QueuedAction> {
    return this.#queued(queueRestore(this.#deps, backupId, body));
  }

  /** Cancels a queued deployment at once, or asks the agent to stop a running one. */
  async cancelDeployment(deploymentId: string): Promise<QueuedAction> {
    const cancelled = await cancelDeployment(this.#deps, deploymentId);
    void this.kick();
    return cancelled;
  }

  // ----- agent events (hub) -----

  async handleSessionOpen(serverId: string, held: HeldJob[]): Promise<void> {
    await reconcileSession(this.#deps, serverId, held);
    void this.kick();
  }

  /** The agent frames the queue owns, keyed by type, for the hub's route table. */
  agentHandlers(): AgentHandlers {
    return {
      'job.accept': (_serverId, message) => onAccept(this.#deps, message),
      'job.status': (_serverId, message) => onStatus(this.#deps, message),
      'job.finished': async (serverId, message) => {
        await onFinished(this.#deps, serverId, message);
        void this.kick();
      },
      'log.batch': (serverId, message) => onLogBatch(this.#deps, serverId, message),
      'log.runs': (serverId, message) => onLogBatch(this.#deps, serverId, message),
      'state.report': (serverId, message) => onStateReport(this.#deps, serverId, message),
      'backup.progress': (serverId, message) => onBackupProgress(this.#deps, serverId, message),
    };
  }

  // ----- time (lease loop) -----

  async expire(deadlineGraceMs: number): Promise<void> {
    if ((await expireJobs(this.#deps, deadlineGraceMs)) > 0) void this.kick();
  }

  /**
   * Starts whatever may start now. Calls made while a pass runs fold into one more pass; the
   * promise resolves once the pass that covers this call is done.
   */
  kick(): Promise<void> {
    if (this.#scheduled) {
      this.#again = true;
      return this.#dispatching;
    }
    this.#scheduled = true;
    this.#dispatching = this.#dispatching.then(async () => {
      try {
        do {
          this.#again = false;
          await dispatchQueued(this.#deps);
        } while (this.#again);
      } catch (err) {
        this.#deps.log.error(`dispatch failed: ${describeError(err)}`);
      } finally {
        // Cleared in the same step as the last check, so no kick can fall in between.
        this.#scheduled = false;
      }
    });
    return this.#dispatching;
  }

  async #queued(action: Promise<QueuedAction>): Promise<QueuedAction> {
    const queued = await action;
    this.#deps.events.emit('job', queued.job, queued.deployment);
    if (queued.backup) this.#deps.events.emit('backup', queued.backup.id);
    void this.kick();
    return queued;
  }
}
