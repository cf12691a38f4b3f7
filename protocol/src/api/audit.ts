import { z } from 'zod';
import { actorSchema, type Actor } from './access.js';

/** Who did it: the same shape as a deployment's `triggeredBy`. */
export const auditActorSchema = actorSchema;
export type AuditActor = Actor;

export const auditOutcomeSchema = z.enum(['success', 'failure', 'denied']);
export type AuditOutcome = z.infer<typeof auditOutcomeSchema>;

/** The longest `detail` an entry keeps. */
export const AUDIT_DETAIL_MAX = 500;

/**
 * One line of the audit log. `hash` is the sha256 hex of the previous entry's hash (the empty
 * string for the first entry) followed by this entry's JSON text without `hash`, so an edited
 * or removed line breaks the chain from that point on.
 */
export const auditEntrySchema = z.object({
  /** 1, 2, 3… in file order. */
  seq: z.number().int().positive(),
  /** ISO-8601 UTC; never earlier than the entry before it. */
  at: z.string(),
  actor: auditActorSchema,
  /** Dotted: "service.deploy", "session.sign-in", "user.invite", "token.create", "secret.reveal". */
  action: z.string(),
  target: z.object({ type: z.string(), id: z.string() }).optional(),
  projectId: z.string().optional(),
  ip: z.string().optional(),
  outcome: auditOutcomeSchema,
  /** The HTTP status, when the change came from a request. */
  status: z.number().int().optional(),
  /** A sentence for a person; never a secret. */
  detail: z.string().max(AUDIT_DETAIL_MAX).optional(),
  hash: z.string(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

/** What a caller records; the log adds `seq`, `at` and `hash`. */
export type AuditInput = Omit<AuditEntry, 'seq' | 'at' | 'hash'>;

export const AUDIT_PAGE_DEFAULT = 100;
export const AUDIT_PAGE_MAX = 500;

/** An exact action ("service.deploy"), or a prefix ending in "." or "*" ("service.", "service.*"). */
const actionPatternSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(
    /^[A-Za-z0-9._-]*\*?$/,
    'must be an action such as "service.deploy", or a prefix ending in "." or "*" such as "service.*"',
  );

const isoQueryTime = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 time' });

/** `GET /api/v1/audit?actor=&project=&action=&outcome=&since=&until=&before=&limit=`. */
export const auditQuerySchema = z
  .object({
    /** An actor id. */
    actor: z.string().min(1).max(128).optional(),
    /** A project id. */
    project: z.string().min(1).max(128).optional(),
    action: actionPatternSchema.optional(),
    outcome: auditOutcomeSchema.optional(),
    /** Entries at or after this time. */
    since: isoQueryTime.optional(),
    /** Entries at or before this time. */
    until: isoQueryTime.optional(),
    /** A cursor: only entries with a lower seq (the last seq of the previous page). */
    before: z.coerce.number().int().positive().optional(),
    limit: z.coerce.number().int().min(1).max(AUDIT_PAGE_MAX).default(AUDIT_PAGE_DEFAULT),
  })
  .strict();
export type AuditQuery = z.infer<typeof auditQuerySchema>;

/**
 * Whether `action` matches a query's pattern: the same action, or one under a prefix that ends
 * in "." or "*" ("service.*" and "service." both match "service.deploy"; "*" matches all).
 */
export function matchesAuditAction(pattern: string, action: string): boolean {
  if (pattern.endsWith('*')) return action.startsWith(pattern.slice(0, -1));
  if (pattern.endsWith('.')) return action.startsWith(pattern);
  return action === pattern;
}
