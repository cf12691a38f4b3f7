import { isIP } from 'node:net';
import { z } from 'zod';
import { actorSchema } from './access.js';
import {
  checkoutPathSchema,
  envSchema,
  gitRefSchema,
  imageReferenceSchema,
  nameSchema,
  portNumberSchema,
  repositoryUrlSchema,
} from './validators.js';
import { backupSettingsSchema, connectionSchema, databaseSourceSchema } from './database.js';
import {
  domainStatusSchema,
  domainSchema,
  domainsSchema,
  drainSecondsSchema,
  proxyStatusSchema,
} from './domains.js';

const isoTime = z.string();

export const gitSourceSchema = z.object({
  type: z.literal('git'),
  repository: repositoryUrlSchema,
  ref: gitRefSchema,
  dockerfile: checkoutPathSchema.default('Dockerfile'),
  context: checkoutPathSchema.default('.'),
  /** A git credential (`/api/v1/git-credentials`) for a private repository. */
  credentialId: z.string().min(1).max(100).optional(),
});

export const imageSourceSchema = z.object({
  type: z.literal('image'),
  image: imageReferenceSchema,
});

export const sourceSchema = z.discriminatedUnion('type', [
  gitSourceSchema,
  imageSourceSchema,
  databaseSourceSchema,
]);
export type Source = z.infer<typeof sourceSchema>;
export type GitSource = z.infer<typeof gitSourceSchema>;
export type ImageSource = z.infer<typeof imageSourceSchema>;

export const portMappingSchema = z.object({
  container: portNumberSchema,
  host: portNumberSchema,
  hostIp: z
    .string()
    .refine((ip) => isIP(ip) !== 0, 'must be an IPv4 or IPv6 address')
    .default('0.0.0.0'),
});
export type PortMapping = z.infer<typeof portMappingSchema>;

export const portsSchema = z
  .array(portMappingSchema)
  .max(100)
  .superRefine((ports, ctx) => {
    const seen = new Set<string>();
    ports.forEach((port, index) => {
      const key = `${port.hostIp}:${port.host}`;
      if (seen.has(key)) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'host'],
          message: `host port ${key} is used twice`,
        });
      }
      seen.add(key);
    });
  });

export const httpHealthcheckSchema = z.object({
  type: z.literal('http'),
  port: portNumberSchema,
  path: z
    .string()
    .max(2048)
    .regex(/^\/[^\s]*$/, 'must start with "/" and contain no spaces')
    .default('/'),
  timeoutSeconds: z.number().int().min(1).max(3600).default(30),
});

export const runningHealthcheckSchema = z.object({
  type: z.literal('running'),
  seconds: z.number().int().min(0).max(3600).default(3),
});

export const healthcheckSchema = z.discriminatedUnion('type', [
  httpHealthcheckSchema,
  runningHealthcheckSchema,
]);
export type Healthcheck = z.infer<typeof healthcheckSchema>;
export const DEFAULT_HEALTHCHECK: Healthcheck = { type: 'running', seconds: 3 };

export const env = envSchema;
export type Env = z.infer<typeof envSchema>;

// ----- servers and join tokens -----

export const createJoinTokenBodySchema = z
  .object({
    ttlSeconds: z
      .number()
      .int()
      .min(1)
      .max(30 * 24 * 3600)
      .default(3600),
  })
  .strict();

export const joinTokenResponseSchema = z.object({
  token: z.string(),
  expiresAt: isoTime,
  installCommand: z.string(),
});
export type JoinTokenResponse = z.infer<typeof joinTokenResponseSchema>;

export const dockerInfoSchema = z.object({ version: z.string() }).nullable();
export type DockerInfo = z.infer<typeof dockerInfoSchema>;

/**
 * `reconnecting`: the control plane restarted and the server was online before; it has not
 * reconnected yet, and turns `offline` if it does not within the restart grace period.
 */
export const serverStatusSchema = z.enum(['online', 'reconnecting', 'offline']);
export type ServerStatus = z.infer<typeof serverStatusSchema>;

export const serverSchema = z.object({
  id: z.string(),
  name: z.string(),
  status: serverStatusSchema,
  lastSeenAt: isoTime.nullable(),
  agentVersion: z.string().nullable(),
  docker: dockerInfoSchema,
  /** The agent is older than the bundle this control plane serves; re-run the install line to upgrade. */
  outdated: z.boolean().optional(),
  /** The server's proxy, once the agent has reported it (servers with domains). */
  proxy: proxyStatusSchema.optional(),
});
export type Server = z.infer<typeof serverSchema>;

/** Most servers one `GET /api/v1/servers` answers; more come through `cursor`. */
export const SERVERS_PAGE_MAX = 1000;

/** `GET /api/v1/servers?limit=&cursor=&status=`. */
export const listServersQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(SERVERS_PAGE_MAX).default(SERVERS_PAGE_MAX),
    cursor: z
      .string()
      .max(512)
      .regex(/^[A-Za-z0-9_-]+$/, 'must be a cursor from a previous answer')
      .optional(),
    status: serverStatusSchema.optional(),
  })
  .strict();
export type ListServersQuery = z.infer<typeof listServersQuerySchema>;

// ----- projects, environments, services -----

export const createProjectBodySchema = z.object({ name: nameSchema }).strict();
export const projectSchema = z.object({ id: z.string(), name: z.string() });
export type Project = z.infer<typeof projectSchema>;

export const createEnvironmentBodySchema = z
  .object({ name: nameSchema, serverId: z.string().min(1) })
  .strict();
export const environmentSchema = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string(),
  serverId: z.string(),
});
export type Environment = z.infer<typeof environmentSchema>;

export const createServiceBodySchema = z
  .object({
    name: nameSchema,
    source: sourceSchema,
    ports: portsSchema.default([]),
    env: envSchema.default({}),
    healthcheck: healthcheckSchema.default(DEFAULT_HEALTHCHECK),
    /** Git services: a signed push to the service's branch queues a Redeploy. */
    deployOnPush: z.boolean().optional(),
    /** Served through the server's proxy, with releases that switch without downtime. */
    domains: domainsSchema.optional(),
    drainSeconds: drainSecondsSchema.optional(),
  })
  .strict();
export type CreateServiceBody = z.infer<typeof createServiceBodySchema>;

export const patchServiceBodySchema = z
  .object({
    source: sourceSchema.optional(),
    ports: portsSchema.optional(),
    env: envSchema.optional(),
    healthcheck: healthcheckSchema.optional(),
    /** Database services only: the backup schedule, how many to keep, and verification. */
    backup: backupSettingsSchema.optional(),
    /** Git services only: redeploy on each signed push to the service's branch. */
    deployOnPush: z.boolean().optional(),
    domains: domainsSchema.optional(),
    drainSeconds: drainSecondsSchema.optional(),
  })
  .strict();
export type PatchServiceBody = z.infer<typeof patchServiceBodySchema>;

export const serviceStatusSchema = z.enum([
  'never-deployed',
  'deploying',
  'running',
  'stopped',
  'failed',
  'unknown',
]);
export type ServiceStatus = z.infer<typeof serviceStatusSchema>;

export const serviceSchema = z.object({
  id: z.string(),
  environmentId: z.string(),
  name: z.string(),
  source: sourceSchema,
  ports: z.array(portMappingSchema),
  env: envSchema,
  healthcheck: healthcheckSchema,
  status: serviceStatusSchema,
  primaryAction: z.enum(['deploy', 'redeploy']),
  currentDeploymentId: z.string().nullable(),
  /**
   * Env values (and a database's password) are shown as `********`: the caller's role or token
   * does not allow reading secrets.
   */
  secretsHidden: z.boolean().optional(),
  /** Database services: published on the server's public port while true. */
  exposed: z.boolean().optional(),
  publicPort: portNumberSchema.optional(),
  connection: connectionSchema.optional(),
  backup: backupSettingsSchema.optional(),
  /** Git services: a signed push to the branch queues a Redeploy (see `GET …/webhook`). */
  deployOnPush: z.boolean().optional(),
  /** Always present in API answers (`[]` without domains). */
  domains: z.array(domainSchema).optional(),
  drainSeconds: drainSecondsSchema.optional(),
  /** Per HTTPS domain, its certificate as the server's proxy reports it. */
  domainStatus: z.array(domainStatusSchema).optional(),
});
export type Service = z.infer<typeof serviceSchema>;

/** `POST /services/:id/expose`: a port (else a free one from 20000–29999), and who may connect. */
export const exposeBodySchema = z
  .object({
    port: z.number().int().min(1024).max(65535).optional(),
    allowFrom: z.array(z.string().max(64)).max(100).optional(),
  })
  .strict();
export type ExposeBody = z.infer<typeof exposeBodySchema>;

// ----- jobs, deployments, logs -----

export const cacheModeSchema = z.enum(['use-existing', 'none']);
export type CacheMode = z.infer<typeof cacheModeSchema>;

export const createDeploymentBodySchema = z
  .object({ cache: cacheModeSchema.default('use-existing') })
  .strict();

export const jobKindSchema = z.enum([
  'deploy',
  'restart',
  'stop',
  'backup',
  'restore',
  'expose',
  'unexpose',
]);
export type JobKind = z.infer<typeof jobKindSchema>;
export const jobStatusSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
export type JobStatus = z.infer<typeof jobStatusSchema>;

/**
 * Present only while a running job's agent is out of contact: the job is not over, it waits for
 * the agent to come back (or for its grace window or deadline to pass).
 */
const contactFields = {
  contact: z.literal('lost').optional(),
  contactLostAt: isoTime.optional(),
};

export const jobSchema = z.object({
  id: z.string(),
  serviceId: z.string(),
  kind: jobKindSchema,
  status: jobStatusSchema,
  /** Who queued it: a user, a token, a push webhook or the schedule. Absent on older jobs. */
  triggeredBy: actorSchema.optional(),
  deploymentId: z.string().optional(),
  error: z.string().optional(),
  createdAt: isoTime,
  startedAt: isoTime.optional(),
  finishedAt: isoTime.optional(),
  ...contactFields,
});
export type Job = z.infer<typeof jobSchema>;

/** What queued a deployment; `push` is a git host's push webhook. */
export const deploymentTriggerSchema = z.enum(['deploy', 'redeploy', 'rollback', 'push']);
export type DeploymentTrigger = z.infer<typeof deploymentTriggerSchema>;

export const deploymentStatusSchema = z.enum([
  'queued',
  'building',
  'deploying',
  'succeeded',
  'failed',
  'cancelled',
]);
export type DeploymentStatus = z.infer<typeof deploymentStatusSchema>;

export const deploymentSourceSchema = z.union([
  gitSourceSchema.extend({ commit: z.string().optional() }),
  imageSourceSchema.extend({ digest: z.string().optional() }),
  databaseSourceSchema.extend({ digest: z.string().optional() }),
]);

/**
 * One step of a deployment's timeline. Names in order: `queued` and `dispatch` (control
 * plane), then from the agent `fetch`, `pull`, `build` or `reuse`, `create`, `switch` (the
 * old release stops to hand over host ports), `start`, `healthcheck`, `cleanup`. A proxied
 * service's release runs `start`, `healthcheck`, then `switch` (it joins the route network),
 * `drain` (the previous release finishes its requests and stops), `cleanup`. A failed release
 * ends with `restore`. Other names may come; readers show them as they are. A phase
 * still running has no `finishedAt`.
 */
export const deploymentPhaseSchema = z.object({
  name: z.string().min(1).max(32),
  startedAt: isoTime,
  finishedAt: isoTime.optional(),
});
export type DeploymentPhase = z.infer<typeof deploymentPhaseSchema>;

export const deploymentSchema = z.object({
  id: z.string(),
  serviceId: z.string(),
  number: z.number().int().min(1),
  status: deploymentStatusSchema,
  cache: cacheModeSchema,
  trigger: deploymentTriggerSchema,
  /** Who queued it. Absent on deployments from before team access. */
  triggeredBy: actorSchema.optional(),
  source: deploymentSourceSchema,
  imageId: z.string().optional(),
  containerId: z.string().optional(),
  createdAt: isoTime,
  startedAt: isoTime.optional(),
  finishedAt: isoTime.optional(),
  error: z.string().optional(),
  /** The timeline, in order; see deploymentPhaseSchema. */
  phases: z.array(deploymentPhaseSchema),
  ...contactFields,
  /** Its log was deleted by the log retention (`BERTH_LOG_RETENTION_DAYS`). */
  logsExpired: z.boolean().optional(),
});
export type Deployment = z.infer<typeof deploymentSchema>;

export const logStreamSchema = z.enum(['system', 'build', 'stdout', 'stderr']);
export type LogStream = z.infer<typeof logStreamSchema>;

/** Longest text of one log line, in UTF-8 bytes; a longer printed line is sent in parts. */
export const MAX_LOG_LINE_BYTES = 16_384;

/**
 * `continued: true` marks a continuation part: the printed line was longer than
 * {@link MAX_LOG_LINE_BYTES}, and this text goes on, without a separator, from the
 * latest earlier line of the same stream. The first part has no `continued`; a line
 * without the field is a whole line, as before the field existed.
 */
export const logLineContinuedSchema = z.literal(true).optional();

export const logLineSchema = z.object({
  seq: z.number().int().min(1),
  ts: isoTime,
  stream: logStreamSchema,
  text: z.string(),
  continued: logLineContinuedSchema,
});
export type LogLine = z.infer<typeof logLineSchema>;

export const actionResponseSchema = z.object({
  job: jobSchema,
  message: z.literal('Added to queue'),
  deployment: deploymentSchema.optional(),
});
export type ActionResponse = z.infer<typeof actionResponseSchema>;
