import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { serviceSchema } from '@berth/protocol';
import { z } from 'zod';
import { BerthError } from '../errors.js';
import type { AtomicJsonFile } from './atomic-json-file.js';
import { copyFileDurably } from './files.js';
import type { HistoryStore, LegacyHistory } from './history.js';
import {
  DATA_VERSION,
  dataSchema,
  deploymentRecordSchema,
  jobRecordSchema,
  keptImagesSchema,
  serviceConfigRecordSchema,
  summarizeDataIssues,
  type Data,
  type JobRecord,
} from './records.js';

export const LEGACY_BACKUP_SUFFIX = '.pre-0.2.bak';

/** db.json as release 0.1.0 wrote it: everything in one file, services with their run state. */
const legacyDataSchema = dataSchema.omit({ version: true, services: true }).extend({
  services: z.array(
    serviceConfigRecordSchema.extend({
      status: serviceSchema.shape.status,
      primaryAction: serviceSchema.shape.primaryAction,
      currentDeploymentId: serviceSchema.shape.currentDeploymentId,
    }),
  ),
  deployments: z.array(deploymentRecordSchema).default([]),
  jobs: z.array(jobRecordSchema.extend({ lost: z.boolean().optional() })).default([]),
  keptImages: z.record(z.string(), keptImagesSchema).default({}),
});
type LegacyData = z.infer<typeof legacyDataSchema>;

export interface MigrateOptions {
  path: string;
  file: AtomicJsonFile<Data>;
  history: HistoryStore;
}

/**
 * Moves a 0.1.0 db.json's history into the history store and rewrites db.json with only the
 * configuration. A copy of the old file is kept first. Each step can run again: a crash midway
 * and a restart finish the job. Resolves to what it did, or null when there was nothing to do.
 */
export async function migrateLegacyData(options: MigrateOptions): Promise<string | null> {
  const { path, file, history } = options;
  const raw: unknown = await file.read();
  if (raw === null || (isRecord(raw) && raw.version === DATA_VERSION)) return null;
  const parsed = legacyDataSchema.safeParse(raw);
  if (!parsed.success) {
    const fields = summarizeDataIssues(parsed.error);
    throw new BerthError(
      'DATA_CORRUPT',
      `${path} is neither a 0.1.0 nor a current Berth data file (${fields}); restore it from a backup`,
    );
  }
  const legacy = parsed.data;
  const backup = `${path}${LEGACY_BACKUP_SUFFIX}`;
  await keepCopy(path, backup);
  await history.importLegacy(legacyHistory(legacy));
  const { deployments, jobs, keptImages: _kept, services, ...config } = legacy;
  await file.write({
    ...config,
    version: DATA_VERSION,
    services: services.map(
      ({ status: _s, primaryAction: _p, currentDeploymentId: _c, ...service }) => service,
    ),
  });
  return `migrated ${path} from release 0.1.0: ${deployments.length} deployment(s) and ${jobs.length} job(s) moved to the history store; the old file is kept as ${backup}`;
}

function legacyHistory(legacy: LegacyData): LegacyHistory {
  const numbers = new Map<string, number>();
  for (const d of legacy.deployments) {
    numbers.set(d.serviceId, Math.max(numbers.get(d.serviceId) ?? 0, d.number));
  }
  const deploymentStatus = new Map(legacy.deployments.map((d) => [d.id, d.status]));
  return {
    deployments: legacy.deployments,
    // 0.1.0 kept jobs in the order they were queued.
    jobs: legacy.jobs.map(({ lost: _lost, ...legacyJob }, index): JobRecord => {
      const job = { ...legacyJob, queueOrder: index + 1 };
      // 0.1.0 did not record acceptance; a deployment past `queued` was accepted by its agent.
      const status = job.deploymentId ? deploymentStatus.get(job.deploymentId) : undefined;
      const accepted = job.status === 'running' && status !== undefined && status !== 'queued';
      return accepted && job.startedAt ? { ...job, acceptedAt: job.startedAt } : job;
    }),
    services: legacy.services.map((s) => ({
      serviceId: s.id,
      status: s.status,
      primaryAction: s.primaryAction,
      currentDeploymentId: s.currentDeploymentId,
      lastDeploymentNumber: numbers.get(s.id) ?? 0,
    })),
    keptImages: legacy.keptImages,
  };
}

/** Copies the file once, durably: through a temp file, so a crash never leaves a torn copy. */
async function keepCopy(path: string, backup: string): Promise<void> {
  try {
    await access(backup, constants.F_OK);
    return;
  } catch {
    // not there yet
  }
  await copyFileDurably(path, backup);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
