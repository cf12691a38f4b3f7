import {
  backupSchema,
  deploymentSchema,
  environmentSchema,
  jobSchema,
  jobServiceSpecSchema,
  notificationDeliverySchema,
  notificationTargetSchema,
  webhookDeliverySchema,
  projectSchema,
  serverSchema,
  serviceSchema,
  describeIssues,
  accountRoleSchema,
  projectGrantsSchema,
  tokenScopeSchema,
  type ServiceStatus,
} from '@berth/protocol';
import { z } from 'zod';

/** The first few problems of a data file that does not parse, for an error message. */
export function summarizeDataIssues(error: z.ZodError): string {
  return describeIssues(error)
    .slice(0, 5)
    .map((issue) => `${issue.path}: ${issue.message}`)
    .join('; ');
}

const isoTime = z.string();

export const serverRecordSchema = serverSchema.extend({
  /** base64 DER (SPKI) Ed25519 key; never leaves the store through the API. */
  publicKey: z.string(),
  createdAt: isoTime,
});
export type ServerRecord = z.infer<typeof serverRecordSchema>;

export const joinTokenRecordSchema = z.object({
  id: z.string(),
  /** sha256 hex of the token; the token itself is never stored. */
  tokenHash: z.string(),
  createdAt: isoTime,
  expiresAt: isoTime,
  usedAt: isoTime.optional(),
});
export type JoinTokenRecord = z.infer<typeof joinTokenRecordSchema>;

export const projectRecordSchema = projectSchema.extend({ createdAt: isoTime });
export type ProjectRecord = z.infer<typeof projectRecordSchema>;

export const environmentRecordSchema = environmentSchema.extend({ createdAt: isoTime });
export type EnvironmentRecord = z.infer<typeof environmentRecordSchema>;

/** A service's configuration, kept in db.json; its run state lives in the history store. */
export const serviceConfigRecordSchema = serviceSchema
  .omit({
    status: true,
    primaryAction: true,
    currentDeploymentId: true,
    connection: true,
    domainStatus: true,
  })
  .extend({
    createdAt: isoTime,
    /** Signs this service's push webhooks; stored plain here, returned only by `GET …/webhook`. */
    webhookSecret: z.string().optional(),
  });
export type ServiceConfigRecord = z.infer<typeof serviceConfigRecordSchema>;

/** What changes as jobs run: kept with the history, so a job and its service change together. */
export interface ServiceState {
  status: ServiceStatus;
  primaryAction: 'deploy' | 'redeploy';
  currentDeploymentId: string | null;
  /** The highest deployment number handed out; numbers are never reused, even after retention. */
  lastDeploymentNumber: number;
  /** The highest backup number handed out (database services). */
  lastBackupNumber?: number;
}

export function initialServiceState(): ServiceState {
  return {
    status: 'never-deployed',
    primaryAction: 'deploy',
    currentDeploymentId: null,
    lastDeploymentNumber: 0,
  };
}

/** A service as the API shows it: its configuration and its run state. */
export type ServiceRecord = ServiceConfigRecord &
  Omit<ServiceState, 'lastDeploymentNumber' | 'lastBackupNumber'>;

export const deploymentRecordSchema = deploymentSchema.extend({
  /** The job that runs this deployment; its log file is named after it. */
  jobId: z.string(),
  /** How long the service answered nothing during the switch, in milliseconds. */
  unavailableMs: z.number().optional(),
  /** Absent on deployments recorded before timelines; the views fill in what they can. */
  phases: deploymentSchema.shape.phases.optional(),
});
// `contact` is derived from `contactLostAt` in the views; records keep only the time.
export type DeploymentRecord = z.infer<typeof deploymentRecordSchema>;

const FINAL_STATUSES: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled']);

/** Whether a job or deployment status is an outcome. Once written, an outcome never changes. */
export function isFinalStatus(status: string): boolean {
  return FINAL_STATUSES.has(status);
}

export const jobRecordSchema = jobSchema.extend({
  serverId: z.string(),
  /** The service as it was when the action was queued. */
  service: jobServiceSpecSchema,
  /** For restarts: the deployment whose release runs again. */
  releaseDeploymentId: z.string().optional(),
  deadlineAt: isoTime,
  cancelRequestedAt: isoTime.optional(),
  /** Orders jobs queued in the same millisecond: higher was queued later. */
  queueOrder: z.number().int().optional(),
  /** When the agent confirmed it received the job; a job it never got may be sent again. */
  acceptedAt: isoTime.optional(),
  /** Its log was deleted by the log retention. */
  logsExpired: z.boolean().optional(),
  /** The service's status when the job started, to fall back to when it fails. */
  serviceStatusBefore: serviceSchema.shape.status.optional(),
  /** The backup this job takes (a backup job, or a restore's safety backup). */
  backupId: z.string().optional(),
  /** Restore jobs: the backup restored. */
  restoreOf: z.string().optional(),
  /** Expose jobs: the port asked for; without it the agent picks a free one. */
  exposePort: z.number().int().optional(),
});
export type JobRecord = z.infer<typeof jobRecordSchema>;

export const backupRecordSchema = backupSchema.extend({
  serverId: z.string(),
  /** Whether the service asked for verification when it was queued. */
  verify: z.boolean(),
  /** What the control plane stored from the upload; the agent's sha256 must match it. */
  stored: z.object({ sha256: z.string(), sizeBytes: z.number().int() }).optional(),
});
export type BackupRecord = z.infer<typeof backupRecordSchema>;

/**
 * A registry credential. `password` is a secret kept as a plain string field here; the API never
 * shows it, and it leaves the control plane only inside the deploy jobs that pull or build.
 */
export const registryRecordSchema = z.object({
  id: z.string(),
  host: z.string(),
  username: z.string(),
  password: z.string(),
  createdAt: isoTime,
  updatedAt: isoTime.optional(),
});
export type RegistryRecord = z.infer<typeof registryRecordSchema>;
/** A host key a git credential trusts: one known_hosts line. */
export const knownHostRecordSchema = z.object({
  line: z.string(),
  origin: z.enum(['pinned', 'learned']),
  addedAt: isoTime,
});
export type KnownHostRecord = z.infer<typeof knownHostRecordSchema>;

/**
 * A git credential. The secret fields, `privateKey` (ssh) and `token` (https), are kept as
 * plain strings here and never leave the control plane except in a fetching job's spec.
 */
export const gitCredentialRecordSchema = z.discriminatedUnion('type', [
  z.object({
    id: z.string(),
    type: z.literal('ssh'),
    name: z.string().optional(),
    publicKey: z.string(),
    privateKey: z.string(),
    knownHosts: z.array(knownHostRecordSchema).default([]),
    createdAt: isoTime,
  }),
  z.object({
    id: z.string(),
    type: z.literal('https'),
    name: z.string().optional(),
    username: z.string(),
    token: z.string(),
    createdAt: isoTime,
  }),
]);
export type GitCredentialRecord = z.infer<typeof gitCredentialRecordSchema>;
/** A push webhook delivery, kept per service (the last few, see webhooks/deliveries.ts). */
export const webhookDeliveryRecordSchema = webhookDeliverySchema.extend({ serviceId: z.string() });
export type WebhookDeliveryRecord = z.infer<typeof webhookDeliveryRecordSchema>;

export const notificationTargetRecordSchema = notificationTargetSchema
  .omit({ secret: true })
  .extend({
    /** Signs `webhook` deliveries (`X-Berth-Signature`); stored plain, shown once. */
    secret: z.string(),
  });
export type NotificationTargetRecord = z.infer<typeof notificationTargetRecordSchema>;

export const notificationDeliveryRecordSchema = notificationDeliverySchema;
export type NotificationDeliveryRecord = z.infer<typeof notificationDeliveryRecordSchema>;

/**
 * A dashboard sign-in. Only a hash of its id (the cookie's value) is kept, so neither db.json nor
 * a backup of it can be replayed as a cookie. Times are milliseconds since the epoch.
 */
export const sessionRecordSchema = z.object({
  idHash: z.string().regex(/^[a-f0-9]{64}$/),
  /** Who signed in; sessions from before users belong to the owner. */
  userId: z.string().optional(),
  createdAt: z.number().int().nonnegative(),
  lastSeenAt: z.number().int().nonnegative(),
});
export type SessionRecord = z.infer<typeof sessionRecordSchema>;

/** A person who signs in. The bootstrap admin token signs in as the owner. */
export const userRecordSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: accountRoleSchema,
  projects: projectGrantsSchema,
  /** `scrypt$…` (auth/passwords.ts); absent until a password is set. */
  passwordHash: z.string().optional(),
  /** Two-factor: the base32 secret (sealed at rest), set once confirmed; `pendingSecret` before. */
  totp: z
    .object({
      secret: z.string().optional(),
      pendingSecret: z.string().optional(),
      /** The last step a code was taken for: the same code never works twice. */
      lastStep: z.number().int().optional(),
      /** sha256 hex of each unused recovery code. */
      recoveryCodeHashes: z.array(z.string()).default([]),
    })
    .optional(),
  disabled: z.boolean().optional(),
  createdAt: isoTime,
  lastSignInAt: isoTime.optional(),
});
export type UserRecord = z.infer<typeof userRecordSchema>;

/** A one-time invite link's record; only the hash of its token is kept. */
export const inviteRecordSchema = z.object({
  id: z.string(),
  tokenHash: z.string(),
  projects: projectGrantsSchema,
  note: z.string().optional(),
  createdBy: z.string(),
  createdAt: isoTime,
  expiresAt: isoTime,
  usedAt: isoTime.optional(),
  usedBy: z.string().optional(),
});
export type InviteRecord = z.infer<typeof inviteRecordSchema>;

/** A personal API token; only the hash of the token is kept. */
export const apiTokenRecordSchema = z.object({
  id: z.string(),
  userId: z.string(),
  name: z.string(),
  tokenHash: z.string(),
  scopes: z.array(tokenScopeSchema),
  projectId: z.string().optional(),
  createdAt: isoTime,
  expiresAt: isoTime.optional(),
  lastUsedAt: isoTime.optional(),
});
export type ApiTokenRecord = z.infer<typeof apiTokenRecordSchema>;

/** The layout version of db.json; 0.1.0 files have none and also hold the history. */
export const DATA_VERSION = 2;

/** Everything kept in db.json. Missing collections default to empty. */
export const dataSchema = z.object({
  version: z.literal(DATA_VERSION).default(DATA_VERSION),
  servers: z.array(serverRecordSchema).default([]),
  /** Ids of deleted servers, kept so a revoked agent is refused rather than treated as unknown. */
  revokedServerIds: z.array(z.string()).default([]),
  joinTokens: z.array(joinTokenRecordSchema).default([]),
  projects: z.array(projectRecordSchema).default([]),
  environments: z.array(environmentRecordSchema).default([]),
  services: z.array(serviceConfigRecordSchema).default([]),
  registries: z.array(registryRecordSchema).default([]),
  gitCredentials: z.array(gitCredentialRecordSchema).default([]),
  webhookDeliveries: z.array(webhookDeliveryRecordSchema).default([]),
  notificationTargets: z.array(notificationTargetRecordSchema).default([]),
  notificationDeliveries: z.array(notificationDeliveryRecordSchema).default([]),
  sessions: z.array(sessionRecordSchema).default([]),
  users: z.array(userRecordSchema).default([]),
  invites: z.array(inviteRecordSchema).default([]),
  apiTokens: z.array(apiTokenRecordSchema).default([]),
});
export type Data = z.infer<typeof dataSchema>;

export function emptyData(): Data {
  return {
    version: DATA_VERSION,
    servers: [],
    revokedServerIds: [],
    joinTokens: [],
    projects: [],
    environments: [],
    services: [],
    registries: [],
    gitCredentials: [],
    webhookDeliveries: [],
    notificationTargets: [],
    notificationDeliveries: [],
    sessions: [],
    users: [],
    invites: [],
    apiTokens: [],
  };
}

/** Per server: the deployment image ids its agent last reported as kept (for rollbacks), and when. */
export const keptImagesSchema = z.object({ imageIds: z.array(z.string()), reportedAt: isoTime });
export type KeptImages = z.infer<typeof keptImagesSchema>;
