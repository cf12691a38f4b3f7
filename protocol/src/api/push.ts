import { z } from 'zod';

const isoTime = z.string();

// ----- push-to-deploy webhooks -----

/** `GET /api/v1/services/:id/webhook`: where the git host posts, and the secret that signs it. */
export const webhookInfoSchema = z.object({ url: z.string(), secret: z.string() });
export type WebhookInfo = z.infer<typeof webhookInfoSchema>;

export const gitProviderSchema = z.enum(['github', 'gitlab', 'gitea', 'forgejo']);
export type GitProvider = z.infer<typeof gitProviderSchema>;

/**
 * One webhook delivery as received: `queued` started a deployment, `ignored` was a valid
 * delivery that asked for nothing (a ping, another branch, a branch deletion, a repeat),
 * `refused` failed verification or was not acceptable. `reason` says why for the last two.
 */
export const webhookDeliverySchema = z.object({
  id: z.string(),
  provider: gitProviderSchema.or(z.literal('unknown')),
  event: z.string(),
  deliveryId: z.string().optional(),
  ref: z.string().optional(),
  commit: z.string().optional(),
  outcome: z.enum(['queued', 'ignored', 'refused']),
  reason: z.string().optional(),
  deploymentId: z.string().optional(),
  receivedAt: isoTime,
});
export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>;

// ----- notifications -----

export const notificationEventSchema = z.enum([
  'deployment.failed',
  'deployment.succeeded',
  'backup.failed',
  'backup.succeeded',
]);
export type NotificationEvent = z.infer<typeof notificationEventSchema>;

export const notificationTypeSchema = z.enum(['webhook', 'slack', 'discord']);
export type NotificationType = z.infer<typeof notificationTypeSchema>;

const targetUrlSchema = z
  .string()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL');

/** `POST /api/v1/projects/:id/notifications`. */
export const createNotificationBodySchema = z
  .object({
    type: notificationTypeSchema,
    url: targetUrlSchema,
    events: z
      .array(notificationEventSchema)
      .min(1)
      .max(notificationEventSchema.options.length)
      .default(['deployment.failed', 'backup.failed'])
      .transform((events) => [...new Set(events)]),
  })
  .strict();
export type CreateNotificationBody = z.infer<typeof createNotificationBodySchema>;

/**
 * A notification target as listed. `url` is masked (scheme, host and a hint of the path), as
 * Slack and Discord URLs carry their token in the path. The secret that signs `webhook`
 * targets is shown only once, in the answer to its creation (`secret`).
 */
export const notificationTargetSchema = z.object({
  id: z.string(),
  projectId: z.string(),
  type: notificationTypeSchema,
  url: z.string(),
  events: z.array(notificationEventSchema),
  createdAt: isoTime,
  secret: z.string().optional(),
});
export type NotificationTarget = z.infer<typeof notificationTargetSchema>;

/** One notification sent to a target, with every attempt it took. */
export const notificationDeliverySchema = z.object({
  id: z.string(),
  targetId: z.string(),
  event: notificationEventSchema,
  /** The deployment or backup it is about. */
  subjectId: z.string(),
  status: z.enum(['sending', 'delivered', 'failed']),
  attempts: z.array(
    z.object({
      at: isoTime,
      /** The receiver's HTTP status, absent when it could not be reached. */
      httpStatus: z.number().int().optional(),
      error: z.string().optional(),
    }),
  ),
  createdAt: isoTime,
});
export type NotificationDelivery = z.infer<typeof notificationDeliverySchema>;
