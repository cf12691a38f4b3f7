import {
  deploymentSchema,
  environmentSchema,
  jobSchema,
  jobServiceSpecSchema,
  projectSchema,
  serverSchema,
  serviceSchema,
} from '@berth/protocol';
import { z } from 'zod';

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

export const serviceRecordSchema = serviceSchema.extend({ createdAt: isoTime });
export type ServiceRecord = z.infer<typeof serviceRecordSchema>;

export const deploymentRecordSchema = deploymentSchema.extend({
  /** The job that runs this deployment; its log file is named after it. */
  jobId: z.string(),
  /** How long the service answered nothing during the switch, in milliseconds. */
  unavailableMs: z.number().optional(),
});
export type DeploymentRecord = z.infer<typeof deploymentRecordSchema>;

export const jobRecordSchema = jobSchema.extend({
  serverId: z.string(),
  /** The service as it was when the action was queued. */
  service: jobServiceSpecSchema,
  /** For restarts: the deployment whose release runs again. */
  releaseDeploymentId: z.string().optional(),
  deadlineAt: isoTime,
  cancelRequestedAt: isoTime.optional(),
  /** Failed because its agent went silent; the agent's own report may still correct it. */
  lost: z.boolean().optional(),
  /** The service's status when the job started, to fall back to when it fails. */
  serviceStatusBefore: serviceSchema.shape.status.optional(),
});
export type JobRecord = z.infer<typeof jobRecordSchema>;

/** Everything kept in db.json. Missing collections default to empty, so older files still load. */
export const dataSchema = z.object({
  servers: z.array(serverRecordSchema).default([]),
  /** Ids of deleted servers, kept so a revoked agent is refused rather than treated as unknown. */
  revokedServerIds: z.array(z.string()).default([]),
  joinTokens: z.array(joinTokenRecordSchema).default([]),
  projects: z.array(projectRecordSchema).default([]),
  environments: z.array(environmentRecordSchema).default([]),
  services: z.array(serviceRecordSchema).default([]),
  deployments: z.array(deploymentRecordSchema).default([]),
  jobs: z.array(jobRecordSchema).default([]),
  /** Per server: the deployment image ids its agent last reported as kept (for rollbacks), and when. */
  keptImages: z
    .record(z.string(), z.object({ imageIds: z.array(z.string()), reportedAt: isoTime }))
    .default({}),
});
export type Data = z.infer<typeof dataSchema>;

export function emptyData(): Data {
  return {
    servers: [],
    revokedServerIds: [],
    joinTokens: [],
    projects: [],
    environments: [],
    services: [],
    deployments: [],
    jobs: [],
    keptImages: {},
  };
}
