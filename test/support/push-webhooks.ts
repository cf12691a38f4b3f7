import { createHmac, randomUUID } from 'node:crypto';
import type { ControlPlane } from './processes.js';

/** A push payload's fields as the git hosts document them (trimmed to what a receiver reads). */
export function pushPayload(options: {
  ref: string;
  before?: string;
  after: string;
  repositoryUrl: string;
}): Record<string, unknown> {
  return {
    ref: options.ref,
    before: options.before ?? '0'.repeat(40),
    after: options.after,
    repository: { id: 1, name: 'app', full_name: 'team/app', clone_url: options.repositoryUrl },
    pusher: { name: 'dev', email: 'dev@example.com' },
    commits: [{ id: options.after, message: 'change' }],
    head_commit: { id: options.after, message: 'change' },
  };
}

export function gitlabPushPayload(options: {
  ref: string;
  after: string;
  repositoryUrl: string;
}): Record<string, unknown> {
  return {
    object_kind: 'push',
    event_name: 'push',
    before: '0'.repeat(40),
    after: options.after,
    ref: options.ref,
    checkout_sha: options.after,
    user_name: 'dev',
    project: { id: 1, name: 'app', git_http_url: options.repositoryUrl },
    repository: { name: 'app', url: options.repositoryUrl, git_http_url: options.repositoryUrl },
    commits: [{ id: options.after, message: 'change' }],
    total_commits_count: 1,
  };
}

function hmacHex(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

export type Provider = 'github' | 'gitlab' | 'gitea';

/** The headers a git host sends with a delivery, signed with `secret`. */
export function signedHeaders(
  provider: Provider,
  secret: string,
  body: string,
  options: { event?: string; deliveryId?: string } = {},
): Record<string, string> {
  const deliveryId = options.deliveryId ?? randomUUID();
  const json = { 'content-type': 'application/json' };
  switch (provider) {
    case 'github':
      return {
        ...json,
        'x-github-event': options.event ?? 'push',
        'x-github-delivery': deliveryId,
        'x-hub-signature-256': `sha256=${hmacHex(secret, body)}`,
      };
    case 'gitlab':
      return {
        ...json,
        'x-gitlab-event': options.event ?? 'Push Hook',
        'x-gitlab-event-uuid': deliveryId,
        'x-gitlab-token': secret,
      };
    case 'gitea':
      return {
        ...json,
        'x-gitea-event': options.event ?? 'push',
        'x-gitea-delivery': deliveryId,
        'x-gitea-signature': hmacHex(secret, body),
        // Gitea also sends GitHub's event header.
        'x-github-event': options.event ?? 'push',
      };
  }
}

/** Posts a delivery to the service's webhook, without the admin token. */
export async function postWebhook(
  cp: Pick<ControlPlane, 'url'>,
  serviceId: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown>; elapsedMs: number }> {
  const started = Date.now();
  const res = await fetch(`${cp.url}/webhooks/git/${serviceId}`, {
    method: 'POST',
    headers,
    body,
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    elapsedMs: Date.now() - started,
  };
}
