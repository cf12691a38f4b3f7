import {
  ENGINE_PROFILES,
  dataVolumeName,
  environmentNetworkName,
  serviceHostName,
  type JobSpec,
} from '@berth/protocol';
import { checkDatabaseHealth, describeDatabaseHealthcheck } from '../database/database-health.js';
import {
  REDIS_COMMAND,
  REDIS_CONFIG_PATH,
  REDIS_USER,
  redisConfig,
} from '../database/redis-config.js';
import { LABELS, type ContainerSpec, type PortBinding } from '../docker/engine.js';
import { describeHealthcheck, runHealthcheck, type HealthResult } from './healthcheck.js';
import { AgentError } from '../errors.js';
import type { JobContext } from './job-context.js';
import { ROUTE_ENVIRONMENT_LABEL, proxiedEnvironment } from './route-network.js';

export const ENVIRONMENT_LABEL = 'berth.environment';

type ServiceSpec = JobSpec['service'];

/**
 * The DNS names a service answers to on its environment's network: the host name its
 * connection details give (lowercase, other characters as '-'), and the exact name when
 * that is DNS-safe too.
 */
export function dnsAliases(name: string): string[] {
  const exact = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(name) ? [name] : [];
  return [...new Set([...exact, serviceHostName(name)])];
}

export interface ServiceContainerRequest {
  name: string;
  imageId: string;
  deployment: { id: string; number: number };
  /** The host port a database is published on while it is exposed. */
  publicPort?: number | undefined;
}

/** The database port published on every address of the server. */
export function publicPortBinding(service: ServiceSpec, publicPort: number): PortBinding {
  if (service.source.type !== 'database')
    throw new AgentError('CONFLICT', 'Only databases can be exposed');
  return {
    container: ENGINE_PROFILES[service.source.engine].port,
    host: publicPort,
    hostIp: '0.0.0.0',
  };
}

/**
 * Creates (does not start) a container of the service: on its environment's network
 * under its name, and for a database with its data volume and engine configuration.
 */
export async function createServiceContainer(
  ctx: Pick<JobContext, 'engine' | 'spec'>,
  request: ServiceContainerRequest,
): Promise<string> {
  const { engine } = ctx;
  const { service } = ctx.spec;
  const spec: ContainerSpec = {
    name: request.name,
    image: request.imageId,
    env: service.env,
    labels: {
      [LABELS.service]: service.id,
      [LABELS.deployment]: request.deployment.id,
      [LABELS.number]: String(request.deployment.number),
    },
    ports: [...service.ports],
  };
  const routeEnvironment = proxiedEnvironment(service);
  if (routeEnvironment) spec.labels[ROUTE_ENVIRONMENT_LABEL] = routeEnvironment;
  if (service.environmentId) {
    const network = environmentNetworkName(service.environmentId);
    await engine.ensureNetwork(network, { [ENVIRONMENT_LABEL]: service.environmentId });
    spec.network = { name: network, aliases: dnsAliases(service.name) };
  }
  let config: string | undefined;
  if (service.source.type === 'database') {
    const profile = ENGINE_PROFILES[service.source.engine];
    const volume = dataVolumeName(service.id);
    await engine.ensureVolume(volume, { [LABELS.service]: service.id });
    spec.volumes = [{ name: volume, path: profile.dataPath }];
    if (request.publicPort !== undefined)
      spec.ports.push(publicPortBinding(service, request.publicPort));
    if (service.source.engine === 'redis') {
      const password = service.env[profile.env.password];
      if (!password) {
        throw new AgentError(
          'INVALID_INPUT',
          `The redis service has no ${profile.env.password} in its env; set one and deploy again`,
        );
      }
      config = redisConfig(password);
      spec.cmd = REDIS_COMMAND;
    }
  }
  const containerId = await engine.createContainer(spec);
  if (config !== undefined) {
    try {
      await engine.writeFile(containerId, {
        path: REDIS_CONFIG_PATH,
        content: Buffer.from(config, 'utf8'),
        mode: 0o600,
        owner: REDIS_USER,
      });
    } catch (err) {
      await engine.removeContainer(containerId).catch(() => undefined);
      throw new AgentError(
        'UNREACHABLE',
        `Could not put the redis configuration into the container: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  return containerId;
}

/** A database is checked with its engine's own probe, whatever health check is stored. */
export function checkServiceHealth(
  ctx: Pick<JobContext, 'engine' | 'spec' | 'signal' | 'now' | 'sleep'>,
  containerId: string,
): Promise<HealthResult> {
  const { service } = ctx.spec;
  if (service.source.type === 'database') {
    return checkDatabaseHealth(ctx, ctx.engine, containerId, {
      source: service.source,
      env: service.env,
    });
  }
  return runHealthcheck(ctx, ctx.engine, containerId, service.healthcheck);
}

export function describeServiceHealthcheck(service: ServiceSpec): string {
  return service.source.type === 'database'
    ? describeDatabaseHealthcheck(service.source, service.env)
    : describeHealthcheck(service.healthcheck);
}
