import {
  DEFAULT_DRAIN_SECONDS,
  ENGINE_PROFILES,
  type DomainStatus,
  type ProxyStatus,
} from '@berth/protocol';
import type {
  Backup,
  Deployment,
  Environment,
  Job,
  Project,
  Server,
  Service,
} from '@berth/protocol';
import { isOlderVersion } from '../agent-release.js';
import { connectionOf } from '../databases/credentials.js';
import type { Store } from '../store/store.js';
import { timelineOf } from '../queue/timeline.js';
import type {
  BackupRecord,
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
  proxy?: ProxyStatus,
): Server & { outdated: boolean } {
  return {
    id: record.id,
    name: record.name,
    status: record.status,
    lastSeenAt: record.lastSeenAt,
    agentVersion: record.agentVersion,
    docker: record.docker,
    outdated: isOlderVersion(record.agentVersion, latestAgentVersion),
    ...(proxy ? { proxy } : {}),
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

/**
 * A Service as the contract has it. A database also has `exposed`, `publicPort`, its backup
 * settings and `connection`, whose public URL names its server (`publicHost`). `domainStatus`
 * is the certificate of each HTTPS domain, when the caller knows them.
 */
export function serviceView(
  record: ServiceRecord,
  publicHost?: string,
  domainStatus?: DomainStatus[],
): Service {
  const database = record.source.type === 'database' ? record.source : undefined;
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
    domains: record.domains ?? [],
    drainSeconds: record.drainSeconds ?? DEFAULT_DRAIN_SECONDS,
    ...(domainStatus && domainStatus.length > 0 ? { domainStatus } : {}),
    // Absent on services made before push-to-deploy, so their answers stay as they were.
    ...(record.source.type === 'git' && record.deployOnPush !== undefined
      ? { deployOnPush: record.deployOnPush }
      : {}),
    ...(database
      ? {
          exposed: record.exposed ?? false,
          ...(record.exposed && record.publicPort ? { publicPort: record.publicPort } : {}),
          connection: connectionOf(
            {
              ...record,
              source: database,
              publicPort: record.exposed ? record.publicPort : undefined,
            },
            publicHost,
          ),
          ...(record.backup ? { backup: record.backup } : {}),
        }
      : {}),
  };
}

/** What stands for a secret the caller may not read. */
export const HIDDEN_SECRET = '********';

/**
 * The service's view, with the name of the server it runs on as the public host and the
 * certificates its proxy reported. Without `secrets`, env values and a database's password (in
 * its connection and URLs too) are {@link HIDDEN_SECRET}.
 */
export function serviceViewIn(
  store: Store,
  record: ServiceRecord,
  options: { secrets: boolean },
): Service {
  const environment = store.environments.get(record.environmentId);
  const server = environment ? store.servers.get(environment.serverId) : undefined;
  const domainStatus = environment
    ? store.proxies.domainStatusOf(environment.serverId, record)
    : undefined;
  if (options.secrets) return serviceView(record, server?.name, domainStatus);
  // A database's user and database names are not secrets; its passwords and every other value are.
  const names =
    record.source.type === 'database' ? ENGINE_PROFILES[record.source.engine].env : undefined;
  const shown = new Set([names?.user, names?.database]);
  const env = Object.fromEntries(
    Object.entries(record.env).map(([name, value]) => [
      name,
      shown.has(name) ? value : HIDDEN_SECRET,
    ]),
  );
  return { ...serviceView({ ...record, env }, server?.name, domainStatus), secretsHidden: true };
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
    ...(record.triggeredBy ? { triggeredBy: record.triggeredBy } : {}),
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

/** A Backup as the API has it: the record without where it ran or what was stored. */
export function backupView(record: BackupRecord): Backup {
  const { serverId: _serverId, verify: _verify, stored: _stored, ...view } = record;
  return view;
}

/** The 202 answer of a queued action: its job, with the deployment or backup it made. */
export function acceptedView(action: {
  job: JobRecord;
  deployment?: DeploymentRecord | undefined;
  backup?: BackupRecord | undefined;
}) {
  return {
    job: jobView(action.job),
    message: 'Added to queue' as const,
    ...(action.deployment ? { deployment: deploymentView(action.deployment) } : {}),
    ...(action.backup ? { backup: backupView(action.backup) } : {}),
  };
}
