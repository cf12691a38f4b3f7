import { z } from 'zod';
import { actorSchema } from './access.js';
import { databaseEngineSchema } from './database.js';
import { jobSchema } from './resources.js';

const isoTime = z.string();

export const backupStatusSchema = z.enum([
  'queued',
  'running',
  'verifying',
  'succeeded',
  'failed',
  'cancelled',
]);
export type BackupStatus = z.infer<typeof backupStatusSchema>;

export const backupPhaseSchema = z.enum(['dumping', 'uploading', 'verifying', 'restoring']);
export type BackupPhase = z.infer<typeof backupPhaseSchema>;

/** Live progress of a running backup, while it runs. */
export const backupProgressSchema = z.object({
  phase: backupPhaseSchema,
  bytes: z.number().int().nonnegative(),
  bytesPerSecond: z.number().nonnegative(),
  at: isoTime,
});
export type BackupProgress = z.infer<typeof backupProgressSchema>;

/**
 * A Backup. `format` is `pg_dump-custom`, `sql` or `rdb`. `safetyFor` names the restore job a
 * safety backup was taken for. `sha256` and `sizeBytes` are those of the stored file, and match
 * what the agent read from the dump.
 */
export const backupSchema = z.object({
  id: z.string(),
  serviceId: z.string(),
  number: z.number().int().min(1),
  status: backupStatusSchema,
  trigger: z.enum(['manual', 'schedule']),
  /** Who queued it. Absent on backups from before team access. */
  triggeredBy: actorSchema.optional(),
  engine: databaseEngineSchema,
  format: z.string(),
  sizeBytes: z.number().int().nonnegative().optional(),
  sha256: z.string().optional(),
  durationMs: z.number().nonnegative().optional(),
  engineVersion: z.string().optional(),
  /** Set once a throwaway container restored it and found what the dump held. */
  verifiedAt: isoTime.optional(),
  /** Rows per table, or `keys` for redis, as the dump held them. */
  counts: z.record(z.string(), z.number()).optional(),
  /** The verification was turned off for the service when it ran. */
  verifySkipped: z.boolean().optional(),
  createdAt: isoTime,
  startedAt: isoTime.optional(),
  finishedAt: isoTime.optional(),
  error: z.string().optional(),
  progress: backupProgressSchema.optional(),
  safetyFor: z.string().optional(),
  /** The job that runs it. */
  jobId: z.string(),
});
export type Backup = z.infer<typeof backupSchema>;

export const createBackupBodySchema = z.object({}).strict();

export const restoreBodySchema = z
  .object({
    /** Take a backup of the current data first; only an explicit false skips it. */
    safetyBackup: z.boolean().default(true),
  })
  .strict();
export type RestoreBody = z.infer<typeof restoreBodySchema>;

export const backupActionResponseSchema = z.object({
  job: jobSchema,
  message: z.literal('Added to queue'),
  backup: backupSchema.optional(),
});
export type BackupActionResponse = z.infer<typeof backupActionResponseSchema>;

export const listBackupsQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    /** A backup number or id: only older ones. */
    before: z.string().min(1).max(128).optional(),
  })
  .strict();
