import { mkdirSync } from 'node:fs';
import { removeLeftoverGitAccess } from '../git/git-access.js';
import type { AgentMessageInput, HeldJob, JobSpec } from '@berth/protocol';
import type { BackupTransfer } from '../database/backup-transfer.js';
import { runBackupJob, runRestoreJob } from '../database/database-jobs.js';
import type { Logger } from '../log.js';
import type { LogSpool } from '../logs/log-spool.js';
import { systemSleep, type Sleep } from '../time.js';
import { recoverExposeJob, runExposeJob } from '../database/expose-job.js';
import { runDeployJob, runRestartJob, runStopJob } from './deploy-job.js';
import { STOP_TIMEOUT_SECONDS } from './release.js';
import { LABELS, type Engine } from '../docker/engine.js';
import { AgentError } from '../errors.js';
import { cancelledReason, type JobContext, type JobOutcome } from './job-context.js';
import type { Journal, JournalEntry } from './journal.js';
import { gitSecrets } from '../git/git-access.js';
import { redactor } from '../logs/redact.js';
import { registrySecrets } from './registry-auth.js';
import { PhaseTimeline } from './timeline.js';
import { ROUTE_ENVIRONMENT_LABEL } from './route-network.js';

export interface JobRunnerDeps {
  engine: Engine;
  journal: Journal;
  spool: LogSpool;
  /** Returns false when not connected; unconfirmed outcomes are sent again on reconnect. */
  send(message: AgentMessageInput): boolean;
  workDir: string;
  logger: Logger;
  /** Backup files on the control plane; without it, backup and restore jobs fail. */
  files?: BackupTransfer;
  now?: () => number;
  sleep?: Sleep;
  /** Called after each job has ended (recorded, reported, and no longer running). */
  onJobEnded?: () => void;
}

async function restorePrevious(
  engine: Engine,
  entry: JournalEntry,
  note: (text: string) => void,
): Promise<void> {
  if (entry.stoppedContainers.length === 0) return;
  const containers = await engine.listContainers({ [LABELS.service]: entry.serviceId });
  // A restart's new container shares its deployment with the one it replaces: that one stays.
  const halves = containers.filter(
    (c) =>
      c.labels[LABELS.deployment] === entry.deploymentId && !entry.stoppedContainers.includes(c.id),
  );
  const previous = containers.filter((c) => entry.stoppedContainers.includes(c.id));
  // A proxied release cut off after its predecessor was removed is all that is left: it stays.
  if (previous.length === 0 && halves.some((c) => ROUTE_ENVIRONMENT_LABEL in c.labels)) return;
  for (const half of halves) {
    await engine.stopContainer(half.id, STOP_TIMEOUT_SECONDS);
    await engine.removeContainer(half.id);
  }
  for (const old of previous) {
    if (old.state !== 'running') await engine.startContainer(old.id);
    note(`Restored deployment #${old.labels[LABELS.number] ?? '?'}`);
  }
}

/**
 * Runs the jobs the control plane assigns: each job at most once (the journal is
 * checked first), one at a time per service, cancellable while it runs.
 */
export class JobRunner {
  private readonly running = new Map<string, AbortController>();
  private readonly serviceChains = new Map<string, Promise<void>>();
  private readonly now: () => number;
  private readonly sleep: Sleep;
  #draining = false;

  constructor(private readonly deps: JobRunnerDeps) {
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? systemSleep;
    mkdirSync(deps.workDir, { recursive: true, mode: 0o700 });
    removeLeftoverGitAccess(deps.workDir);
  }

  /**
   * Jobs the journal says were running when the agent stopped end failed. A deploy
   * (or a proxied service's restart) may have been cut off mid-switch: its new
   * container goes, and the previous release it noted is started again if stopped.
   */
  async recover(): Promise<void> {
    for (const entry of this.deps.journal.all()) {
      if (entry.status !== 'running') continue;
      const note = (text: string) => this.deps.spool.append(entry.jobId, 'system', text);
      note('The agent restarted while this job was running; it did not finish');
      const undo =
        entry.kind === 'deploy' || entry.kind === 'restart'
          ? restorePrevious
          : entry.kind === 'expose' || entry.kind === 'unexpose'
            ? recoverExposeJob
            : undefined;
      if (undo) {
        await undo(this.deps.engine, entry, note).catch((err: unknown) =>
          note(
            `Could not check the previous release: ${err instanceof Error ? err.message : String(err)}`,
          ),
        );
      }
      this.deps.spool.finish(entry.jobId);
      await this.deps.journal.update(entry.jobId, {
        status: 'failed',
        error: 'The agent restarted while this job was running',
        lastSeq: this.deps.spool.lastSeq(entry.jobId),
      });
    }
  }

  get runningCount(): number {
    return this.running.size;
  }

  /** What the hello message reports, so the control plane can reconcile. */
  heldJobs(): HeldJob[] {
    return this.deps.journal
      .all()
      .filter((e) => e.status === 'running' || !e.confirmed)
      .map((e) => ({ jobId: e.jobId, status: e.status }));
  }

  /** After every (re)connect: resend unacknowledged log lines and unconfirmed outcomes. */
  onConnected(): void {
    this.deps.spool.resendAll();
    for (const entry of this.deps.journal.all()) {
      if (entry.status !== 'running' && !entry.confirmed) this.sendFinished(entry);
    }
  }

  /**
   * Takes no new jobs and resolves once the running ones have finished. A job
   * assigned meanwhile is not recorded, so after the restart the control plane
   * sees it was never received and queues it again.
   */
  async drain(): Promise<void> {
    this.#draining = true;
    while (this.serviceChains.size > 0) await Promise.allSettled([...this.serviceChains.values()]);
  }

  handleAssign(spec: JobSpec): void {
    if (this.#draining && !this.deps.journal.get(spec.jobId)) {
      this.deps.logger.info(`job ${spec.jobId}: not started, the agent is stopping`);
      return;
    }
    const known = this.deps.journal.get(spec.jobId);
    if (known) {
      // Delivered again: never run twice, just tell what happened.
      if (known.status === 'running') this.deps.send({ type: 'job.accept', jobId: spec.jobId });
      else this.sendFinished(known);
      return;
    }
    const controller = new AbortController();
    this.running.set(spec.jobId, controller);
    const entry: JournalEntry = {
      jobId: spec.jobId,
      serviceId: spec.service.id,
      kind: spec.kind,
      status: 'running',
      result: {},
      lastSeq: 0,
      stoppedContainers: [],
      confirmed: false,
      updatedAt: new Date(this.now()).toISOString(),
      ...(spec.deployment
        ? { deploymentId: spec.deployment.id, deploymentNumber: spec.deployment.number }
        : {}),
    };
    const previous = this.serviceChains.get(spec.service.id) ?? Promise.resolve();
    const chain = previous
      .then(() => this.deps.journal.put(entry))
      .then(() => {
        this.deps.send({ type: 'job.accept', jobId: spec.jobId });
        return this.execute(spec, controller);
      })
      .catch((err: unknown) =>
        this.deps.logger.error(`job ${spec.jobId} could not be recorded: ${String(err)}`),
      )
      .finally(() => {
        this.running.delete(spec.jobId);
        if (this.serviceChains.get(spec.service.id) === chain)
          this.serviceChains.delete(spec.service.id);
        this.deps.onJobEnded?.();
      });
    this.serviceChains.set(spec.service.id, chain);
  }

  handleCancel(jobId: string): void {
    const controller = this.running.get(jobId);
    if (controller && !controller.signal.aborted) {
      this.deps.logger.info(`job ${jobId}: cancel requested`);
      controller.abort(new AgentError('CANCELLED', 'cancelled by a user'));
    }
  }

  /** The control plane stored the outcome; the journal may forget it later. */
  async handleFinishedAck(jobId: string): Promise<void> {
    await this.deps.journal.update(jobId, { confirmed: true });
  }

  /** Cancels every running job and waits for them to wind down (previous releases restored). */
  async shutdown(): Promise<void> {
    for (const controller of this.running.values())
      controller.abort(new AgentError('CANCELLED', 'the agent is shutting down'));
    await Promise.allSettled([...this.serviceChains.values()]);
  }

  private async execute(spec: JobSpec, controller: AbortController): Promise<void> {
    const { spool, logger } = this.deps;
    const deadlineMs = Date.parse(spec.deadlineAt) - this.now();
    const deadline = setTimeout(
      () =>
        controller.abort(
          new AgentError('TIMEOUT', `the job passed its deadline (${spec.deadlineAt})`),
        ),
      Math.max(0, deadlineMs),
    );
    const timeline = new PhaseTimeline(this.now);
    // No line or error of this job carries a registry password or a git token, whatever the
    // engine or git echoes.
    const redact = redactor([...registrySecrets(spec.registryAuth), ...gitSecrets(spec.gitAuth)]);
    const ctx: JobContext = {
      spec,
      engine: this.deps.engine,
      signal: controller.signal,
      workDir: this.deps.workDir,
      log: (stream, text, continued) =>
        void spool.append(spec.jobId, stream, redact(text), continued),
      logRoom: () => spool.room(spec.jobId),
      phase: (name) => timeline.start(name),
      setPhase: (phase) =>
        this.deps.send({
          type: 'job.status',
          jobId: spec.jobId,
          deploymentStatus: phase,
          result: { phases: timeline.list() },
        }),
      report: (result) => this.deps.send({ type: 'job.status', jobId: spec.jobId, result }),
      recordStopped: (containerIds) =>
        this.deps.journal.update(spec.jobId, { stoppedContainers: containerIds }),
      now: this.now,
      sleep: this.sleep,
    };
    logger.info(`job ${spec.jobId}: ${spec.kind} of service ${spec.service.id} started`);
    let outcome: JobOutcome;
    try {
      outcome = await this.dispatch(ctx);
    } catch (err) {
      const failure = this.failureOutcome(err, controller.signal);
      ctx.log(
        'system',
        `${failure.status === 'cancelled' ? 'Cancelled' : 'Failed'}: ${failure.error}`,
      );
      outcome = failure;
    } finally {
      clearTimeout(deadline);
    }
    const reason: unknown = controller.signal.reason;
    if (
      outcome.status === 'cancelled' &&
      reason instanceof AgentError &&
      reason.code === 'TIMEOUT'
    ) {
      outcome = { ...outcome, status: 'failed' };
    }
    timeline.end();
    if (spec.kind === 'deploy') outcome.result = { ...outcome.result, phases: timeline.list() };
    spool.finish(spec.jobId);
    await this.deps.journal.update(spec.jobId, {
      status: outcome.status,
      result: outcome.result,
      lastSeq: spool.lastSeq(spec.jobId),
      ...('error' in outcome ? { error: redact(outcome.error) } : {}),
    });
    logger.info(`job ${spec.jobId}: ${outcome.status}`);
    const entry = this.deps.journal.get(spec.jobId);
    if (entry) this.sendFinished(entry);
  }

  private dispatch(ctx: JobContext): Promise<JobOutcome> {
    switch (ctx.spec.kind) {
      case 'deploy':
        return runDeployJob(ctx);
      case 'restart':
        return runRestartJob(ctx);
      case 'stop':
        return runStopJob(ctx);
      case 'backup':
        return runBackupJob(ctx, this.databaseDeps());
      case 'restore':
        return runRestoreJob(ctx, this.databaseDeps());
      case 'expose':
      case 'unexpose':
        return runExposeJob(ctx);
    }
  }

  private databaseDeps() {
    const { files, send } = this.deps;
    return files ? { files, send } : undefined;
  }

  private failureOutcome(
    err: unknown,
    signal: AbortSignal,
  ): Extract<JobOutcome, { error: string }> {
    if (signal.aborted || (err instanceof AgentError && err.code === 'CANCELLED')) {
      return { status: 'cancelled', error: cancelledReason(signal), result: {} };
    }
    if (err instanceof AgentError) return { status: 'failed', error: err.message, result: {} };
    const message = err instanceof Error ? err.message : String(err);
    return { status: 'failed', error: `Unexpected error: ${message}`, result: {} };
  }

  /** Sends the outcome once the job's log lines are all sent, so the log is whole when it lands. */
  private sendFinished(entry: JournalEntry): void {
    const { status } = entry;
    if (status === 'running') return;
    this.deps.spool.afterSent(entry.jobId, () =>
      this.deps.send({
        type: 'job.finished',
        jobId: entry.jobId,
        status,
        result: entry.result,
        lastSeq: entry.lastSeq,
        ...(entry.error ? { error: entry.error } : {}),
      }),
    );
  }
}
