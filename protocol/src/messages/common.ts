import { z } from 'zod';
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
} from '../api/resources.js';
import { envSchema } from '../api/validators.js';
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
});

export const jobDeploymentSpecSchema = z.object({
  id: z.string().min(1),
  number: z.number().int().min(1),
  cache: cacheModeSchema,
  trigger: z.enum(['deploy', 'redeploy', 'rollback']),
  /** For a rollback: the exact image to run again, skipping fetch and build. */
  imageId: z.string().optional(),
  source: deploymentSourceSchema.optional(),
});

export const jobSpecSchema = z.object({
  jobId: z.string().min(1),
  kind: jobKindSchema,
  service: jobServiceSpecSchema,
  deployment: jobDeploymentSpecSchema.optional(),
  /** The deployment currently serving, if any, so the agent can restore it. */
  currentDeploymentId: z.string().optional(),
  deadlineAt: z.string(),
});
export type JobSpec = z.infer<typeof jobSpecSchema>;

export const jobResultSchema = z.object({
  imageId: z.string().optional(),
  containerId: z.string().optional(),
  commit: z.string().optional(),
  digest: z.string().optional(),
  /** How long the service answered nothing during the switch, in milliseconds. */
  unavailableMs: z.number().nonnegative().optional(),
  /** The agent's part of the deployment timeline so far; older agents send none. */
  phases: z.array(deploymentPhaseSchema).max(64).optional(),
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

export { dockerInfoSchema, logLineSchema };
