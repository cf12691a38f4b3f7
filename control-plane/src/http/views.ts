import type { Deployment, Environment, Job, Project, Server, Service } from '@berth/protocol';
import { isOlderVersion } from '../agent-release.js';
import { timelineOf } from '../queue/timeline.js';
import type {
  DeploymentRecord,
  EnvironmentRecord,
  JobRecord,
  ProjectRecord,
  ServerRecord,
  ServiceRecord,
} from '../store/records.js';

// Records become API shapes here, so internal fields (public keys, createdAt) never leak.

/**
 * A Server as the contract has it, plus `outdated`: its agent is older than the
 * bundle this control plane serves (null when no bundle is built).
 */
export function serverView(
  record: ServerRecord,
  latestAgentVersion: string | null,
): Server & { outdated: boolean } {
  return {
    id: record.id,
    name: record.name,
    status: record.status,
    lastSeenAt: record.lastSeenAt,
    agentVersion: record.agentVersion,
    docker: record.docker,
    outdated: isOlderVersion(record.agentVersion, latestAgentVersion),
  };
}

export function projectView(record: ProjectRecord): Project {
  return { id: record.id, name: record.name };
}

export function environmentView(record: EnvironmentRecord): Environment {
  return {
    id: record.id,
    projectId: record.projectId,
    name: record.name,
    serverId: record.serverId,
  };
}

export function serviceView(record: ServiceRecord): Service {
  return {
    id: record.id,
    environmentId: record.environmentId,
    name: record.name,
    source: record.source,
    ports: record.ports,
    env: record.env,
    healthcheck: record.healthcheck,
    status: record.status,
    primaryAction: record.primaryAction,
    currentDeploymentId: record.currentDeploymentId,
  };
}

/** `contact: "lost"` and since when, while a running job's agent is out of contact. */
function contactView(record: { contactLostAt?: string | undefined }) {
  return record.contactLostAt
    ? { contact: 'lost' as const, contactLostAt: record.contactLostAt }
    : {};
}

export function jobView(record: JobRecord): Job {
  return {
    id: record.id,
    serviceId: record.serviceId,
    kind: record.kind,
    status: record.status,
    ...(record.deploymentId ? { deploymentId: record.deploymentId } : {}),
    ...(record.error ? { error: record.error } : {}),
    createdAt: record.createdAt,
    ...(record.startedAt ? { startedAt: record.startedAt } : {}),
    ...(record.finishedAt ? { finishedAt: record.finishedAt } : {}),
    ...contactView(record),
  };
}

/** A Deployment as the contract has it, plus how long the switch left the service unanswered. */
export function deploymentView(record: DeploymentRecord): Deployment & { unavailableMs?: number } {
  const { jobId: _jobId, contact: _contact, contactLostAt: _since, ...view } = record;
  return { ...view, phases: timelineOf(record), ...contactView(record) };
}
