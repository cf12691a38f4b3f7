import {
  deploymentSchema,
  environmentSchema,
  jobSchema,
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

// Deployments and jobs get their full record shape with the job queue; unknown fields are kept.
export const deploymentRecordSchema = deploymentSchema.loose();
export type DeploymentRecord = z.infer<typeof deploymentRecordSchema>;
export const jobRecordSchema = jobSchema.loose();
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
  };
}
