import {
  runLineCount,
  type AgentMessage,
  type HeldJob,
  type LogLine,
  type LogRun,
  type ServiceStatus,
} from '@berth/protocol';
import { isoTime } from '../clock.js';
import { recordLearnedHostKeys } from '../git/job-git-auth.js';
import { isFinalStatus } from '../store/records.js';
import type { JobUnit } from '../store/history.js';
import { changeJob, type QueueDeps } from './context.js';
import { finishJob, regainContact, requeueJob, type JobEnd } from './job-transitions.js';
import { statusFromContainer } from './service-status.js';
import { markAccepted, mergeAgentPhases } from './timeline.js';

type Message<T extends AgentMessage['type']> = Extract<AgentMessage, { type: T }>;

// What an agent reports about its jobs, applied to the records.

/**
 * After a handshake, the agent's held jobs are reconciled with the records:
 * - a job it holds is back in contact; if it already has an outcome here, the agent is told to
 *   cancel it;
 * - a running job it does not hold and never accepted goes back to the queue;
 * - a running job it accepted but no longer knows fails: whatever it did is lost;
 * - cancels asked for while it was away are repeated.
 */
export async function reconcileSession(
  deps: QueueDeps,
  serverId: string,
  held: readonly HeldJob[],
): Promise<void> {
  const heldIds = new Set(held.map((j) => j.jobId));
  for (const job of await deps.store.history.activeJobs(serverId)) {
    if (job.status !== 'running') continue;
    if (heldIds.has(job.id)) {
      await changeJob(deps, job.id, regainContact);
      if (job.cancelRequestedAt)
        deps.sessions.send(serverId, { type: 'job.cancel', jobId: job.id });
      continue;
    }
    if (!job.acceptedAt) {
      if (await changeJob(deps, job.id, requeueJob)) {
        deps.log.info(`job ${job.id} was never received by server ${serverId}; queued again`);
      }
      continue;
    }
    const error =
      'agent lost the job: its server came back without it (was the agent reinstalled or its state dir removed?)';
    if (
      await changeJob(deps, job.id, (u) => finishJob(u, { status: 'failed', error }, deps.now()))
    ) {
      deps.log.warn(`job ${job.id} failed: ${error}`);
      deps.events.emit('service', job.serviceId);
    }
  }
  for (const { jobId, status } of held) {
    if (status !== 'running') continue; // its job.finished follows, and is acknowledged
    const job = await deps.store.history.job(jobId);
    // Ended here while the agent was away (cancelled, or failed after its grace window).
    if (job && isFinalStatus(job.status))
      deps.sessions.send(serverId, { type: 'job.cancel', jobId });
  }
}

export async function onAccept(deps: QueueDeps, message: Message<'job.accept'>): Promise<void> {
  const acceptedAt = isoTime(deps.now());
  await changeJob(deps, message.jobId, ({ job, deployment }) => {
    if (job.status !== 'running') return false;
    job.acceptedAt ??= acceptedAt;
    if (deployment?.status === 'queued') deployment.status = 'building';
    if (deployment) markAccepted(deployment, acceptedAt);
    return true;
  });
}

/** A running deployment moved on, or resolved its commit or digest early. */
export async function onStatus(deps: QueueDeps, message: Message<'job.status'>): Promise<void> {
  const unit = await changeJob(deps, message.jobId, ({ job, deployment }) => {
    if (job.status !== 'running' || !deployment) return false;
    if (message.deploymentStatus) deployment.status = message.deploymentStatus;
    const { commit, digest } = message.result ?? {};
    if (deployment.source.type === 'git' && commit) deployment.source.commit = commit;
    if (deployment.source.type === 'image' && digest) deployment.source.digest = digest;
    mergeAgentPhases(deployment, message.result?.phases);
    return true;
  });
  await learnHostKeys(deps, unit, message.result?.hostKeys);
}

/** Host keys a first fetch learned become trusted on the source's credential. */
async function learnHostKeys(
  deps: QueueDeps,
  unit: JobUnit | null,
  hostKeys: readonly string[] | undefined,
): Promise<void> {
  const learned = await recordLearnedHostKeys(deps.store, unit?.deployment?.source, hostKeys);
  if (learned.length > 0)
    deps.log.info(
      `job ${unit!.job.id}: trusting ${learned.length} host key(s) from its first fetch`,
    );
}

export async function onFinished(
  deps: QueueDeps,
  serverId: string,
  message: Message<'job.finished'>,
): Promise<void> {
  // Lines sent before job.finished are stored before the deployment shows as ended.
  await deps.logs.append(message.jobId, []);
  const end: JobEnd = {
    status: message.status,
    result: message.result,
    ...(message.error ? { error: message.error } : {}),
  };
  const unit = await changeJob(deps, message.jobId, (u) => finishJob(u, end, deps.now()));
  deps.sessions.send(serverId, { type: 'job.ack', jobId: message.jobId });
  if (unit) {
    deps.log.info(
      `job ${message.jobId} ${message.status}${message.error ? `: ${message.error}` : ''}`,
    );
    await recordExposure(deps, unit.job, message);
    await learnHostKeys(deps, unit, message.result.hostKeys);
    deps.events.emit('service', unit.job.serviceId);
  }
  deps.logs.forget(message.jobId);
}

/** A database published or withdrawn: its service says so from now on. */
async function recordExposure(
  deps: QueueDeps,
  job: JobUnit['job'],
  message: Message<'job.finished'>,
): Promise<void> {
  if (job.status !== 'succeeded') return;
  if (job.kind === 'expose') {
    const port = message.result.publicPort ?? job.exposePort;
    if (port !== undefined) await deps.store.services.setExposure(job.serviceId, port);
  } else if (job.kind === 'unexpose') {
    await deps.store.services.setExposure(job.serviceId, null);
  }
}

/**
 * A job's log lines: in runs (`log.runs`), or one by one (`log.batch`, from agents before
 * protocol 1.3), each line then a run of its own. Acknowledged with the highest stored seq.
 */
export async function onLogBatch(
  deps: QueueDeps,
  serverId: string,
  message: Message<'log.runs'> | Message<'log.batch'>,
): Promise<void> {
  const runs = message.type === 'log.runs' ? message.runs : message.lines.map(lineAsRun);
  const job = await deps.store.history.job(message.jobId);
  const seq = job
    ? await deps.logs.append(message.jobId, runs)
    : // An unknown job's lines have nowhere to go; acknowledge them so the agent can let go.
      runs.reduce((highest, run) => Math.max(highest, run.seq + runLineCount(run.text) - 1), 0);
  deps.sessions.send(serverId, { type: 'log.ack', jobId: message.jobId, seq });
}

/** A line as a run of one: a newline in its text would make it more, so it becomes a space. */
function lineAsRun(line: LogLine): LogRun {
  return line.text.includes('\n') ? { ...line, text: line.text.replaceAll('\n', ' ') } : line;
}

/** The agent's view of its containers: the status of services that no job is changing. */
export async function onStateReport(
  deps: QueueDeps,
  serverId: string,
  message: Message<'state.report'>,
): Promise<void> {
  const { history } = deps.store;
  if (message.imageIds) {
    await history.setKeptImages(serverId, {
      imageIds: message.imageIds,
      reportedAt: isoTime(deps.now()),
    });
  }
  const byService = new Map(message.containers.map((c) => [c.serviceId, c]));
  const listed = new Set(message.containers.map((c) => c.deploymentId));
  const ids = deps.store.services.configsOnServer(serverId).map((s) => s.id);
  const changed = await history.updateServices(ids, (serviceId, state, busy) => {
    if (busy || !state.currentDeploymentId) return;
    const container = byService.get(serviceId);
    let status: ServiceStatus | undefined;
    if (container?.deploymentId === state.currentDeploymentId) {
      status = statusFromContainer(container);
    } else if (message.full && !listed.has(state.currentDeploymentId)) {
      // A current release with no container left on its server is not running.
      status = 'stopped';
    }
    if (status) state.status = status;
  });
  for (const id of changed) deps.events.emit('service', id);
}
