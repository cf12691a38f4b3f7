import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProxySettings } from '@berth/protocol';
import { z } from 'zod';
import { loadAcmeSettings } from './acme-config.js';
import { parseSecretKeyText, SECRET_KEY_FORMAT } from './secrets/key-text.js';
import { DEFAULT_RETENTION_SCHEDULE, isCronExpression } from './upkeep/schedule.js';

// Beside the bundle (control-plane/dist/main.js) or this file in tests: <checkout>/agent/dist/release.
const DEFAULT_AGENT_RELEASE_DIR = fileURLToPath(
  new URL('../../agent/dist/release', import.meta.url),
);

export interface Config {
  port: number;
  host: string;
  /** Absolute path of the data directory. */
  dataDir: string;
  adminToken: string | undefined;
  /** BERTH_SECRET_KEY's 32 bytes; undefined keeps the key in `$BERTH_DATA_DIR/secret.key`. */
  secretKey: Buffer | undefined;
  /** Base URL without a trailing slash, or undefined to derive it from each request. */
  publicUrl: string | undefined;
  heartbeatIntervalMs: number;
  livenessTimeoutMs: number;
  restartGraceMs: number;
  /** Jobs one server runs at the same time, for different services. */
  maxParallelJobs: number;
  /** How long a deploy job (fetch, build, release) may run, in milliseconds. */
  deployTimeoutMs: number;
  /** How long a backup or restore job may run, in milliseconds. */
  backupTimeoutMs: number;
  /** How long a queued job waits for its offline server before it fails, in milliseconds. */
  queueTimeoutMs: number;
  /** How long a running job may be out of contact with its agent before it fails, in milliseconds. */
  lostJobGraceMs: number;
  /** Finished deployments kept per service; undefined keeps them all. */
  historyKeep: number | undefined;
  /** Days a finished job's log is kept; 0 keeps logs forever. */
  logRetentionDays: number;
  /** When retention runs, as a cron expression. */
  retentionSchedule: string;
  /** Absolute path of the built agent release that worker servers download (install.sh, bundle). */
  agentReleaseDir: string;
  /** Sent to every agent's proxy: the ACME CA, its root and the account email (BERTH_ACME_*). */
  proxy: ProxySettings;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; message: string };

// An empty variable means "not set", the way shells and compose files usually intend it.
const unsetIfEmpty = (value: unknown): unknown => (value === '' ? undefined : value);

function integerVar(options: { min: number; max: number; fallback: number; hint: string }) {
  const { min, max, fallback, hint } = options;
  return z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^\d+$/, `must be a whole number from ${min} to ${max}; ${hint}`)
      .transform(Number)
      .pipe(
        z
          .number()
          .min(min, `must be at least ${min}; ${hint}`)
          .max(max, `must be at most ${max}; ${hint}`),
      )
      .default(fallback),
  );
}

const envSchema = z
  .object({
    BERTH_PORT: integerVar({
      min: 0,
      max: 65535,
      fallback: 8080,
      hint: 'set a free TCP port, e.g. BERTH_PORT=8080',
    }),
    BERTH_HOST: z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .regex(
          /^[A-Za-z0-9.:[\]%-]+$/,
          'must be a host name or IP address, e.g. BERTH_HOST=0.0.0.0',
        )
        .default('0.0.0.0'),
    ),
    BERTH_DATA_DIR: z.preprocess(unsetIfEmpty, z.string().default('./data')),
    BERTH_AGENT_RELEASE_DIR: z.preprocess(unsetIfEmpty, z.string().optional()),
    BERTH_ADMIN_TOKEN: z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .regex(
          /^[\x21-\x7e]+$/,
          'must be printable ASCII without spaces; unset it to have one generated in $BERTH_DATA_DIR/admin-token',
        )
        .optional(),
    ),
    BERTH_SECRET_KEY: z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .transform((value, ctx) => {
          const bytes = parseSecretKeyText(value);
          if (bytes) return bytes;
          // The message never repeats the value: it is a secret, even when it is malformed.
          ctx.addIssue({
            code: 'custom',
            message: `${SECRET_KEY_FORMAT}; unset it to have one generated in $BERTH_DATA_DIR/secret.key`,
          });
          return z.NEVER;
        })
        .optional(),
    ),
    BERTH_PUBLIC_URL: z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .refine((value) => {
          try {
            const url = new URL(value);
            return (
              (url.protocol === 'http:' || url.protocol === 'https:') && !url.search && !url.hash
            );
          } catch {
            return false;
          }
        }, 'must be an http:// or https:// base URL, e.g. BERTH_PUBLIC_URL=https://berth.example.com')
        .transform((value) => value.replace(/\/+$/, ''))
        .optional(),
    ),
    BERTH_HEARTBEAT_INTERVAL_MS: integerVar({
      min: 100,
      max: 600_000,
      fallback: 5000,
      hint: 'e.g. BERTH_HEARTBEAT_INTERVAL_MS=5000',
    }),
    BERTH_LIVENESS_TIMEOUT_MS: integerVar({
      min: 200,
      max: 3_600_000,
      fallback: 15_000,
      hint: 'e.g. BERTH_LIVENESS_TIMEOUT_MS=15000',
    }),
    BERTH_RESTART_GRACE_MS: integerVar({
      min: 0,
      max: 3_600_000,
      fallback: 30_000,
      hint: 'e.g. BERTH_RESTART_GRACE_MS=30000',
    }),
    BERTH_MAX_PARALLEL_JOBS: integerVar({
      min: 1,
      max: 64,
      fallback: 2,
      hint: 'e.g. BERTH_MAX_PARALLEL_JOBS=2',
    }),
    BERTH_DEPLOY_TIMEOUT_MS: integerVar({
      min: 10_000,
      max: 24 * 3_600_000,
      fallback: 30 * 60_000,
      hint: 'e.g. BERTH_DEPLOY_TIMEOUT_MS=1800000 (30 minutes)',
    }),
    BERTH_BACKUP_TIMEOUT_MS: integerVar({
      min: 60_000,
      max: 48 * 3_600_000,
      fallback: 6 * 3_600_000,
      hint: 'e.g. BERTH_BACKUP_TIMEOUT_MS=21600000 (6 hours)',
    }),
    BERTH_QUEUE_TIMEOUT_MS: integerVar({
      min: 1_000,
      max: 30 * 24 * 3_600_000,
      fallback: 3_600_000,
      hint: 'e.g. BERTH_QUEUE_TIMEOUT_MS=3600000 (1 hour)',
    }),
    BERTH_LOST_JOB_GRACE_MS: integerVar({
      min: 1_000,
      max: 7 * 24 * 3_600_000,
      fallback: 5 * 60_000,
      hint: 'e.g. BERTH_LOST_JOB_GRACE_MS=300000 (5 minutes)',
    }),
    BERTH_HISTORY_KEEP: z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .regex(
          /^[1-9]\d{0,8}$/,
          'must be a whole number of deployments to keep per service, e.g. BERTH_HISTORY_KEEP=500; leave it unset to keep all',
        )
        .transform(Number)
        .optional(),
    ),
    BERTH_LOG_RETENTION_DAYS: integerVar({
      min: 0,
      max: 36_500,
      fallback: 90,
      hint: 'e.g. BERTH_LOG_RETENTION_DAYS=90; 0 keeps logs forever',
    }),
    BERTH_RETENTION_SCHEDULE: z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .refine(
          isCronExpression,
          'must be a cron expression, e.g. BERTH_RETENTION_SCHEDULE="0 * * * *" (hourly)',
        )
        .default(DEFAULT_RETENTION_SCHEDULE),
    ),
  })
  .superRefine((env, ctx) => {
    if (env.BERTH_LIVENESS_TIMEOUT_MS <= env.BERTH_HEARTBEAT_INTERVAL_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['BERTH_LIVENESS_TIMEOUT_MS'],
        message:
          `must be greater than BERTH_HEARTBEAT_INTERVAL_MS (${env.BERTH_HEARTBEAT_INTERVAL_MS}); ` +
          'about three heartbeat intervals is a good value',
      });
    }
  });

/** Reads and validates the environment. Never throws; the message names every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): ConfigResult {
  const parsed = envSchema.safeParse(env);
  const acme = loadAcmeSettings(env, cwd);
  if (!parsed.success || !acme.ok) {
    const lines = [
      ...(parsed.success ? [] : parsed.error.issues).map(
        (issue) => `  ${issue.path.map(String).join('.')}: ${issue.message}`,
      ),
      ...(acme.ok ? [] : acme.issues).map((issue) => `  ${issue}`),
    ];
    return { ok: false, message: `Invalid configuration:\n${lines.join('\n')}` };
  }
  const value = parsed.data;
  return {
    ok: true,
    config: {
      port: value.BERTH_PORT,
      host: value.BERTH_HOST,
      dataDir: resolve(cwd, value.BERTH_DATA_DIR),
      adminToken: value.BERTH_ADMIN_TOKEN,
      secretKey: value.BERTH_SECRET_KEY,
      publicUrl: value.BERTH_PUBLIC_URL,
      heartbeatIntervalMs: value.BERTH_HEARTBEAT_INTERVAL_MS,
      livenessTimeoutMs: value.BERTH_LIVENESS_TIMEOUT_MS,
      restartGraceMs: value.BERTH_RESTART_GRACE_MS,
      maxParallelJobs: value.BERTH_MAX_PARALLEL_JOBS,
      deployTimeoutMs: value.BERTH_DEPLOY_TIMEOUT_MS,
      backupTimeoutMs: value.BERTH_BACKUP_TIMEOUT_MS,
      queueTimeoutMs: value.BERTH_QUEUE_TIMEOUT_MS,
      lostJobGraceMs: value.BERTH_LOST_JOB_GRACE_MS,
      historyKeep: value.BERTH_HISTORY_KEEP,
      logRetentionDays: value.BERTH_LOG_RETENTION_DAYS,
      retentionSchedule: value.BERTH_RETENTION_SCHEDULE,
      agentReleaseDir: value.BERTH_AGENT_RELEASE_DIR
        ? resolve(cwd, value.BERTH_AGENT_RELEASE_DIR)
        : DEFAULT_AGENT_RELEASE_DIR,
      proxy: acme.settings,
    },
  };
}
