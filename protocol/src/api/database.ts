import { z } from 'zod';
import { DATABASE_ENGINES } from './engines.js';
import { imageReferenceSchema } from './validators.js';

/** The database engines Berth runs. `mysql` shares MariaDB's code path. */
export const databaseEngineSchema = z.enum(DATABASE_ENGINES);

export const databaseVersionSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(32, 'must be at most 32 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be an image tag such as "16" or "11.4"');

/**
 * `{"type":"database","engine":"postgres","version":"16"}`: the engine's official image at that
 * version, unless `image` names another (a mirror, a private registry, a test image).
 */
export const databaseSourceSchema = z.object({
  type: z.literal('database'),
  engine: databaseEngineSchema,
  version: databaseVersionSchema.optional(),
  image: imageReferenceSchema.optional(),
});

/**
 * A cron expression of five fields (minute hour day month weekday), or six with seconds first,
 * as node-cron reads them. The control plane checks it further with node-cron itself.
 */
export const cronExpressionSchema = z
  .string()
  .trim()
  .max(100)
  .regex(
    /^[\d*/,\-A-Za-z?]+(\s+[\d*/,\-A-Za-z?]+){4,5}$/,
    'must be a cron expression of five fields, such as "0 3 * * *"',
  );

/** `PATCH /services/:id {"backup": …}`: when to back up, how many to keep, whether to verify. */
export const backupSettingsSchema = z
  .object({
    schedule: cronExpressionSchema.nullable().default(null),
    keep: z.number().int().min(1).max(1000).default(7),
    verify: z.boolean().default(true),
  })
  .strict();
export type BackupSettings = z.infer<typeof backupSettingsSchema>;

export const DEFAULT_BACKUP_SETTINGS: BackupSettings = { schedule: null, keep: 7, verify: true };

/** How to reach a database service; `publicUrl` only while it is exposed. */
export const connectionSchema = z.object({
  host: z.string(),
  port: z.number().int(),
  user: z.string().optional(),
  database: z.string().optional(),
  password: z.string(),
  internalUrl: z.string(),
  publicUrl: z.string().optional(),
});
export type Connection = z.infer<typeof connectionSchema>;
