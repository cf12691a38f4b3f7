import type { NotificationEvent, NotificationType } from '@berth/protocol';
import { hmacSha256Hex } from '../webhooks/signatures.js';

/** What a notification is about, as the generic webhook's JSON carries it. */
export interface NotificationSubject {
  event: NotificationEvent;
  at: string;
  project: { id: string; name: string };
  environment: { id: string; name: string };
  service: { id: string; name: string };
  deployment?: { id: string; number: number; trigger: string; commit?: string; error?: string };
  backup?: { id: string; number: number; error?: string };
}

/** One line a person reads: "Deployment #3 of shop/production/web failed: …". */
export function summary(subject: NotificationSubject): string {
  const where = `${subject.project.name}/${subject.environment.name}/${subject.service.name}`;
  const what = subject.deployment
    ? `Deployment #${subject.deployment.number}`
    : `Backup #${subject.backup?.number ?? '?'}`;
  const error = subject.deployment?.error ?? subject.backup?.error;
  const outcome = subject.event.endsWith('.failed') ? 'failed' : 'succeeded';
  const commit = subject.deployment?.commit
    ? ` (commit ${subject.deployment.commit.slice(0, 12)})`
    : '';
  return `${what} of ${where}${commit} ${outcome}${outcome === 'failed' && error ? `: ${error}` : ''}`;
}

/**
 * The request for one target type: the generic webhook gets the subject as JSON, signed with
 * the target's secret (`X-Berth-Signature: sha256=<hex HMAC-SHA256 of the body>`); Slack and
 * Discord get their incoming-webhook shapes.
 */
export function notificationRequest(options: {
  type: NotificationType;
  secret: string;
  deliveryId: string;
  subject: NotificationSubject;
}): { body: string; headers: Record<string, string> } {
  const { type, subject } = options;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  switch (type) {
    case 'slack':
      return { body: JSON.stringify({ text: summary(subject) }), headers };
    case 'discord':
      return { body: JSON.stringify({ content: summary(subject).slice(0, 2000) }), headers };
    case 'webhook': {
      const body = JSON.stringify({
        ...subject,
        text: summary(subject),
        deliveryId: options.deliveryId,
      });
      return {
        body,
        headers: {
          ...headers,
          'x-berth-event': subject.event,
          'x-berth-delivery': options.deliveryId,
          'x-berth-signature': `sha256=${hmacSha256Hex(options.secret, Buffer.from(body, 'utf8'))}`,
        },
      };
    }
  }
}
