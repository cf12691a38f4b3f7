import type { JobResult } from '@berth/protocol';
import { isoTime } from '../clock.js';
import type { JobUnit } from '../store/history.js';
import { isFinalStatus } from '../store/records.js';
import { endBackup, startBackup } from './backup-transitions.js';
import { serviceOnFinish, serviceOnStart } from './service-status.js';
import { closeTimeline, markDispatched, mergeAgentPhases, queuedTimeline } from './timeline.js';

// How a job and its deployment move from state to state. Each function changes the unit it is
// given (inside a store transaction) and says whether anything changed.

export interface JobEnd {
  status: 'succeeded' | 'failed' | 'cancelled';
  error?: string;
  result?: JobResult;
}

/** queued → running, with a fresh deadline. */
export function startJob(unit: JobUnit, nowMs: number, runForMs: number): boolean {
  const { job, deployment, service } = unit;
  if (job.status !== 'queued') return false;
  job.status = 'running';
  job.startedAt = isoTime(nowMs);
  job.deadlineAt = isoTime(nowMs + runForMs);
  if (deployment) {
    deployment.startedAt = job.startedAt;
    markDispatched(deployment, job.startedAt);
  }
  if (unit.backup) startBackup(unit.backup, job.startedAt);
  job.serviceStatusBefore = service.status;
  serviceOnStart(service, job);
  return true;
}

/**
 * Puts a started job back in the queue, as if it had never started: the agent never received
 * it, so nothing ran. Its deployment and service go back too.
 */
export function requeueJob(unit: JobUnit): boolean {
  const { job, deployment, service } = unit;
  if (job.status !== 'running' || job.acceptedAt) return false;
  job.status = 'queued';
  if (unit.backup?.status === 'running') {
    unit.backup.status = 'queued';
    delete unit.backup.startedAt;
  }
  delete job.startedAt;
  delete job.contactLostAt;
  if (deployment) {
    deployment.status = 'queued';
    delete deployment.startedAt;
    delete deployment.contactLostAt;
    deployment.phases = queuedTimeline(deployment.createdAt);
  }
  if (job.serviceStatusBefore !== undefined) service.status = job.serviceStatusBefore;
  delete job.serviceStatusBefore;
  return true;
}

/**
 * Ends a job and its deployment, and moves the service on. An outcome is final: a job that has
 * one keeps it, and this returns false (a repeated or late `job.finished`).
 */
export function finishJob(unit: JobUnit, end: JobEnd, nowMs: number): boolean {
  const { job, deployment, service } = unit;
  if (isFinalStatus(job.status)) return false;
  const finishedAt = isoTime(nowMs);
  const backupProblem = unit.backup ? endBackup(unit.backup, end, finishedAt) : null;
  // A backup job that says it succeeded fails when its backup does not hold up.
  if (backupProblem && job.kind === 'backup')
    end = { ...end, status: 'failed', error: backupProblem };
  const started = job.serviceStatusBefore !== undefined;
  job.status = end.status;
  job.finishedAt = finishedAt;
  delete job.contactLostAt;
  if (end.error) job.error = end.error;
  if (deployment) {
    deployment.status = end.status;
    deployment.finishedAt = finishedAt;
    delete deployment.contactLostAt;
    if (end.error) deployment.error = end.error;
    const result = end.result ?? {};
    if (result.imageId) deployment.imageId = result.imageId;
    if (result.containerId) deployment.containerId = result.containerId;
    if (result.unavailableMs !== undefined) deployment.unavailableMs = result.unavailableMs;
    if (deployment.source.type === 'git' && result.commit) deployment.source.commit = result.commit;
    if (deployment.source.type === 'image' && result.digest)
      deployment.source.digest = result.digest;
    mergeAgentPhases(deployment, result.phases);
    closeTimeline(deployment, finishedAt);
  }
  // A job that never started leaves the service as it was.
  if (started) serviceOnFinish(service, job, end);
  return true;
}

/** The agent of a running job went silent: the job goes on, marked out of contact. */
export function loseContact(unit: JobUnit, nowMs: number): boolean {
  const { job, deployment } = unit;
  if (job.status !== 'running' || job.contactLostAt) return false;
  job.contactLostAt = isoTime(nowMs);
  if (deployment) deployment.contactLostAt = job.contactLostAt;
  return true;
}

/** The agent is back and still holds the job. */
export function regainContact(unit: JobUnit): boolean {
  const { job, deployment } = unit;
  if (!job.contactLostAt) return false;
  delete job.contactLostAt;
  if (deployment) delete deployment.contactLostAt;
  return true;
}
