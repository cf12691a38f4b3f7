import type { JobRecord } from '../store/records.js';
import { changeJob, type QueueDeps } from './context.js';
import { finishJob, loseContact } from './job-transitions.js';
import { serviceUnreachable } from './service-status.js';

type Verdict = { kind: 'fail'; error: string } | { kind: 'lose-contact' } | null;

/**
 * What time does to a job. Losing contact with the agent is not an outcome: the job waits for
 * it, marked out of contact, and fails only when the grace window or the deadline passes.
 */
function verdict(deps: QueueDeps, job: JobRecord, nowMs: number, deadlineGraceMs: number): Verdict {
  const server = deps.store.servers.get(job.serverId);
  const offline =
    !deps.sessions.isConnected(job.serverId) && (!server || server.status === 'offline');
  const serverName = server?.name ?? job.serverId;
  if (job.status === 'queued') {
    const waitedMs = nowMs - Date.parse(job.createdAt);
    if (!offline || waitedMs <= deps.queueTimeoutMs) return null;
    const minutes = Math.round(waitedMs / 60_000);
    return {
      kind: 'fail',
      error: `never started: its server ${serverName} stayed offline for the ${minutes} minute(s) it waited`,
    };
  }
  if (nowMs > Date.parse(job.deadlineAt) + deadlineGraceMs) {
    return {
      kind: 'fail',
      error: `the job passed its deadline (${job.deadlineAt}) and was stopped`,
    };
  }
  if (!offline) return null;
  if (!job.contactLostAt) return { kind: 'lose-contact' };
  const silentMs = nowMs - Date.parse(job.contactLostAt);
  if (silentMs <= deps.lostJobGraceMs) return null;
  return {
    kind: 'fail',
    error: `agent lost: server ${serverName} was out of contact for ${Math.round(silentMs / 1000)} s, longer than the grace window of ${Math.round(deps.lostJobGraceMs / 1000)} s (BERTH_LOST_JOB_GRACE_MS)`,
  };
}

/**
 * Marks running jobs whose agent went silent, fails those out of contact past the grace window
 * or past their deadline, and fails queued jobs that waited longer than the queue timeout for a
 * server that stayed offline. Resolves to how many jobs ended.
 */
export async function expireJobs(deps: QueueDeps, deadlineGraceMs: number): Promise<number> {
  const nowMs = deps.now();
  let ended = 0;
  for (const job of await deps.store.history.activeJobs()) {
    const decided = verdict(deps, job, nowMs, deadlineGraceMs);
    if (!decided) continue;
    if (decided.kind === 'lose-contact') {
      if (await changeJob(deps, job.id, (u) => loseContact(u, nowMs))) {
        deps.log.warn(`job ${job.id}: lost contact with server ${job.serverId}; waiting for it`);
      }
      continue;
    }
    const { error } = decided;
    if (!(await changeJob(deps, job.id, (u) => finishJob(u, { status: 'failed', error }, nowMs)))) {
      continue;
    }
    ended += 1;
    deps.log.warn(`job ${job.id} failed: ${error}`);
    deps.sessions.send(job.serverId, { type: 'job.cancel', jobId: job.id });
    deps.events.emit('service', job.serviceId);
  }
  await markUnreachableServices(deps);
  return ended;
}

/** Services on an offline server show `unknown` until their agent reports again. */
async function markUnreachableServices(deps: QueueDeps): Promise<void> {
  const { store, sessions } = deps;
  const offline = store.servers.idsWithStatus('offline').filter((id) => !sessions.isConnected(id));
  for (const serverId of offline) {
    const ids = store.services.configsOnServer(serverId).map((s) => s.id);
    const states = await store.history.serviceStates(ids);
    const stale = ids.filter((id) => {
      const probe = structuredClone(states.get(id)!);
      serviceUnreachable(probe);
      return probe.status !== states.get(id)!.status;
    });
    if (stale.length === 0) continue;
    const changed = await store.history.updateServices(stale, (_id, state) =>
      serviceUnreachable(state),
    );
    for (const id of changed) deps.events.emit('service', id);
  }
}
