import type { DeploymentPhase } from '@berth/protocol';
import type { DeploymentRecord } from '../store/records.js';

// A deployment's timeline. The control plane writes `queued` and `dispatch`; the agent reports
// the rest (fetch, pull, build or reuse, create, switch, start, healthcheck, cleanup), which
// replaces whatever the agent reported before.

/** The phases the control plane itself records; everything else comes from the agent. */
const CONTROL_PLANE_PHASES: ReadonlySet<string> = new Set(['queued', 'dispatch']);

/** Ends the phase that is still open, if any. */
function closeOpen(phases: DeploymentPhase[], at: string): void {
  for (const phase of phases) phase.finishedAt ??= at;
}

/** A deployment waiting in the queue since it was created. */
export function queuedTimeline(createdAt: string): DeploymentPhase[] {
  return [{ name: 'queued', startedAt: createdAt }];
}

/** The job was sent to the agent: the wait in the queue ends, the wait for the agent begins. */
export function markDispatched(deployment: DeploymentRecord, at: string): void {
  const phases = (deployment.phases ??= queuedTimeline(deployment.createdAt));
  closeOpen(phases, at);
  phases.push({ name: 'dispatch', startedAt: at });
}

/** The agent confirmed it received the job. */
export function markAccepted(deployment: DeploymentRecord, at: string): void {
  const dispatch = deployment.phases?.find((p) => p.name === 'dispatch');
  if (dispatch) dispatch.finishedAt ??= at;
}

/** Puts the agent's phases after the control plane's own. */
export function mergeAgentPhases(
  deployment: DeploymentRecord,
  agentPhases: readonly DeploymentPhase[] | undefined,
): void {
  if (!agentPhases || agentPhases.length === 0) return;
  const own = (deployment.phases ?? queuedTimeline(deployment.createdAt)).filter((p) =>
    CONTROL_PLANE_PHASES.has(p.name),
  );
  const first = agentPhases[0]!.startedAt;
  // An agent that never sent job.accept still had the job once its first phase began.
  for (const phase of own) phase.finishedAt ??= first;
  deployment.phases = [
    ...own,
    ...agentPhases.filter((p) => !CONTROL_PLANE_PHASES.has(p.name)).map((p) => ({ ...p })),
  ];
}

/** The deployment ended: nothing is still running. */
export function closeTimeline(deployment: DeploymentRecord, at: string): void {
  closeOpen((deployment.phases ??= queuedTimeline(deployment.createdAt)), at);
}

/** The timeline as the API shows it; records from before timelines get the part they can. */
export function timelineOf(deployment: DeploymentRecord): DeploymentPhase[] {
  if (deployment.phases) return deployment.phases;
  const queued: DeploymentPhase = { name: 'queued', startedAt: deployment.createdAt };
  const endOfQueue = deployment.startedAt ?? deployment.finishedAt;
  if (endOfQueue) queued.finishedAt = endOfQueue;
  return [queued];
}

/** Every phase name Berth's agent sends; metrics file any other name under `other`. */
export const KNOWN_PHASES: ReadonlySet<string> = new Set([
  ...CONTROL_PLANE_PHASES,
  'fetch',
  'pull',
  'build',
  'reuse',
  'create',
  'switch',
  'start',
  'healthcheck',
  'drain',
  'cleanup',
  'restore',
]);

/** Seconds each finished phase took, for metrics; unknown names are filed as `other`. */
export function phaseSeconds(
  phases: readonly DeploymentPhase[],
): { phase: string; seconds: number }[] {
  return phases.flatMap((p) => {
    if (!p.finishedAt) return [];
    const ms = Date.parse(p.finishedAt) - Date.parse(p.startedAt);
    if (!Number.isFinite(ms)) return [];
    return [
      { phase: KNOWN_PHASES.has(p.name) ? p.name : 'other', seconds: Math.max(0, ms) / 1000 },
    ];
  });
}
