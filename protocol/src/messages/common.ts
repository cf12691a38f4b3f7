import { z } from 'zod';
import type { LogLine } from '../api/resources.js';
import {
  cacheModeSchema,
  deploymentSourceSchema,
  healthcheckSchema,
  jobKindSchema,
  logLineContinuedSchema,
  logLineSchema,
  portMappingSchema,
  sourceSchema,
  dockerInfoSchema,
  deploymentPhaseSchema,
  deploymentTriggerSchema,
} from '../api/resources.js';
import { registryAuthSchema } from '../api/registries.js';
import { jobGitAuthSchema, knownHostLineSchema } from '../api/git-credentials.js';
import { envSchema } from '../api/validators.js';
import { domainSchema, drainSecondsSchema } from '../api/domains.js';
import { errorCodeSchema } from '../errors.js';

export const versionString = z.string().min(1).max(64);

/** What the agent knows about a job it holds, sent on hello so the control plane can reconcile. */
export const heldJobSchema = z.object({
  jobId: z.string().min(1),
  status: z.enum(['running', 'succeeded', 'failed', 'cancelled']),
});
export type HeldJob = z.infer<typeof heldJobSchema>;

export const jobServiceSpecSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  source: sourceSchema,
  ports: z.array(portMappingSchema),
  env: envSchema,
  healthcheck: healthcheckSchema,
  /** The environment, whose network the service joins; absent on jobs queued before networks. */
  environmentId: z.string().optional(),
  /** Served through the server's proxy: a release joins the route network once healthy. */
  domains: z.array(domainSchema).max(50).optional(),
  /** Seconds the previous release gets to finish its requests; DEFAULT_DRAIN_SECONDS if absent. */
  drainSeconds: drainSecondsSchema.optional(),
});

/** What the control plane configures for every proxy: where certificates come from. */
export const proxySettingsSchema = z.object({
  /** The ACME directory URL; the proxy's default (Let's Encrypt) when absent. */
  acmeCa: z.string().url().max(2048).optional(),
  /** A PEM bundle to trust for the ACME directory, for private CAs. */
  acmeCaRootPem: z.string().max(65_536).optional(),
  acmeEmail: z.string().email().max(254).optional(),
});
export type ProxySettings = z.infer<typeof proxySettingsSchema>;

/** One service the proxy routes to. */
export const proxyRouteSchema = z.object({
  serviceId: z.string().min(1),
  environmentId: z.string().min(1),
  domains: z.array(domainSchema).min(1).max(50),
  /**
   * The deployment serving now. A service deployed before it had a domain is not on its route
   * network yet; the agent puts this deployment's container there when no release of the
   * service is.
   */
  currentDeploymentId: z.string().min(1).optional(),
});
export type ProxyRoute = z.infer<typeof proxyRouteSchema>;

export const jobDeploymentSpecSchema = z.object({
  id: z.string().min(1),
  number: z.number().int().min(1),
  cache: cacheModeSchema,
  trigger: deploymentTriggerSchema,
  /** For a rollback: the exact image to run again, skipping fetch and build. */
  imageId: z.string().optional(),
  source: deploymentSourceSchema.optional(),
});

/** A backup the job takes: dumped, uploaded to the control plane, then verified if asked. */
export const jobBackupSpecSchema = z.object({
  backupId: z.string().min(1),
  number: z.number().int().min(1),
  verify: z.boolean(),
});
export type JobBackupSpec = z.infer<typeof jobBackupSpecSchema>;

/** A backup to restore, downloaded from the control plane; `safetyBackup` is taken first. */
export const jobRestoreSpecSchema = z.object({
  backupId: z.string().min(1),
  number: z.number().int().min(1),
  engine: z.string(),
  engineVersion: z.string().optional(),
  sizeBytes: z.number().int().nonnegative(),
  sha256: z.string(),
  /** What the backup held (rows per table, or keys), to check the restored data against. */
  counts: z.record(z.string(), z.number().int().nonnegative()).optional(),
  safetyBackup: jobBackupSpecSchema.optional(),
});
export type JobRestoreSpec = z.infer<typeof jobRestoreSpecSchema>;

/** Publish the database port: this one, or a free one the agent picks from 20000–29999. */
export const jobExposeSpecSchema = z.object({ port: z.number().int().optional() });

export const jobSpecSchema = z.object({
  jobId: z.string().min(1),
  kind: jobKindSchema,
  service: jobServiceSpecSchema,
  deployment: jobDeploymentSpecSchema.optional(),
  /** The deployment currently serving, if any, so the agent can restore it. */
  currentDeploymentId: z.string().optional(),
  deadlineAt: z.string(),
  backup: jobBackupSpecSchema.optional(),
  restore: jobRestoreSpecSchema.optional(),
  expose: jobExposeSpecSchema.optional(),
  /**
   * Registry credentials for the pulls and the build of this deploy job only. The agent never
   * writes them down: not in its journal, its spool or its logs.
   */
  registryAuth: z.array(registryAuthSchema).max(100).optional(),
  /** The git source's credential, only on jobs that fetch; the agent never stores it. */
  gitAuth: jobGitAuthSchema.optional(),
});
export type JobSpec = z.infer<typeof jobSpecSchema>;

/** What the agent found of one backup it took: the control plane checks the stored file against it. */
export const backupOutcomeSchema = z.object({
  backupId: z.string().min(1),
  status: z.enum(['succeeded', 'failed']),
  sha256: z
    .string()
    .regex(/^[a-f0-9]{64}$/)
    .optional(),
  sizeBytes: z.number().int().nonnegative().optional(),
  durationMs: z.number().nonnegative().optional(),
  engineVersion: z.string().max(200).optional(),
  verifiedAt: z.string().optional(),
  verifySkipped: z.boolean().optional(),
  /** Rows per table (`schema.table`), or `keys` for redis, as the dump held them. */
  counts: z.record(z.string().max(300), z.number().int().nonnegative()).optional(),
  error: z.string().max(4096).optional(),
});
export type BackupOutcome = z.infer<typeof backupOutcomeSchema>;

export const jobResultSchema = z.object({
  imageId: z.string().optional(),
  containerId: z.string().optional(),
  commit: z.string().optional(),
  digest: z.string().optional(),
  /** How long the service answered nothing during the switch, in milliseconds. */
  unavailableMs: z.number().nonnegative().optional(),
  /** The agent's part of the deployment timeline so far; older agents send none. */
  phases: z.array(deploymentPhaseSchema).max(64).optional(),
  /** Expose: the port published on the server. */
  publicPort: z.number().int().optional(),
  /** Backup and restore jobs: each backup taken (a restore's safety backup). */
  backups: z.array(backupOutcomeSchema).max(4).optional(),
  /** Host keys the fetch learned (known_hosts lines), for a host the credential had none of. */
  hostKeys: z.array(knownHostLineSchema).max(16).optional(),
});
export type JobResult = z.infer<typeof jobResultSchema>;

export const containerStateSchema = z.object({
  serviceId: z.string(),
  deploymentId: z.string(),
  containerId: z.string(),
  state: z.enum(['created', 'running', 'paused', 'restarting', 'exited', 'dead', 'removing']),
  exitCode: z.number().int().optional(),
});
export type ContainerState = z.infer<typeof containerStateSchema>;

/** One line of a container's own output; numbered by the control plane, not the agent. */
export const containerLogLineSchema = z.object({
  ts: z.string(),
  stream: z.enum(['stdout', 'stderr']),
  text: z.string(),
  /** A continuation part of a line longer than MAX_LOG_LINE_BYTES, as on a log line. */
  continued: logLineContinuedSchema,
});
export type ContainerLogLine = z.infer<typeof containerLogLineSchema>;

export const errorPayloadSchema = z.object({
  code: errorCodeSchema,
  message: z.string(),
  /** The message type or job id this error refers to, when known. */
  ref: z.string().optional(),
});

/**
 * Consecutive log lines of one stream printed within the same millisecond, as one object:
 * `text` holds the lines joined by "\n" (a line never contains one), and `seq` is the first
 * line's; the others follow it without gaps. Its JSON is stored as it is, and a run of one
 * line is a {@link LogLine}. A continuation part (`continued`) is always a run of its own.
 */
export const logRunSchema = logLineSchema.refine(
  (run) => run.continued !== true || !run.text.includes('\n'),
  { message: 'a continuation part is a run of one line', path: ['text'] },
);
export type LogRun = z.infer<typeof logRunSchema>;

/** How many lines a run's text holds: one more than its newlines. */
export function runLineCount(text: string): number {
  let count = 1;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count += 1;
  return count;
}

/** The lines of a run, each a {@link LogLine}. */
export function runLines(run: LogRun): LogLine[] {
  return run.text.split('\n').map((text, i) => ({
    seq: run.seq + i,
    ts: run.ts,
    stream: run.stream,
    text,
    ...(run.continued ? { continued: true as const } : {}),
  }));
}

export { dockerInfoSchema, logLineSchema };
