import type { GitProvider } from '@berth/protocol';
import { z } from 'zod';
import { secretsEqual } from '../crypto.js';
import { hmacMatches } from './signatures.js';

/** Request headers, names in lower case. */
export type HeaderOf = (name: string) => string | undefined;

/** What the headers say about a delivery, before its body is trusted. */
export interface DeliveryHeaders {
  provider: GitProvider;
  /** The provider's event name: `push`, `ping`, `Push Hook`, … */
  event: string;
  deliveryId: string | undefined;
}

/** A push as it matters here: which ref moved, and to which commit (null: it was deleted). */
export interface PushEvent {
  ref: string;
  commit: string | null;
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const ZERO_SHA = /^0+$/;

// The fields of the push payloads used here, as GitHub, GitLab, Gitea and Forgejo document them.
// Other fields are left as they are.
const repositorySchema = z.object({}).loose();
const pushPayloadSchema = z.object({
  ref: z.string().min(1).max(1024),
  after: z.string().regex(SHA, 'must be a full commit SHA'),
  repository: repositorySchema,
});
const gitlabPushPayloadSchema = z.object({
  object_kind: z.literal('push'),
  ref: z.string().min(1).max(1024),
  after: z.string().regex(SHA, 'must be a full commit SHA'),
  checkout_sha: z.string().regex(SHA, 'must be a full commit SHA').nullable().optional(),
  repository: repositorySchema,
});

/**
 * Which git host sent the delivery. Forgejo also sends Gitea's headers and Gitea also sends
 * GitHub's, so the most specific is checked first. Undefined when it is none of them.
 */
export function deliveryHeaders(header: HeaderOf): DeliveryHeaders | undefined {
  const forgejo = header('x-forgejo-event') ?? header('x-forgejo-signature');
  if (forgejo !== undefined) {
    return {
      provider: 'forgejo',
      event: header('x-forgejo-event') ?? header('x-gitea-event') ?? 'unknown',
      deliveryId: header('x-forgejo-delivery') ?? header('x-gitea-delivery'),
    };
  }
  if (header('x-gitea-event') !== undefined || header('x-gitea-signature') !== undefined) {
    return {
      provider: 'gitea',
      event: header('x-gitea-event') ?? 'unknown',
      deliveryId: header('x-gitea-delivery'),
    };
  }
  if (header('x-gitlab-event') !== undefined || header('x-gitlab-token') !== undefined) {
    return {
      provider: 'gitlab',
      event: header('x-gitlab-event') ?? 'unknown',
      deliveryId: header('x-gitlab-event-uuid'),
    };
  }
  if (header('x-github-event') !== undefined || header('x-hub-signature-256') !== undefined) {
    return {
      provider: 'github',
      event: header('x-github-event') ?? 'unknown',
      deliveryId: header('x-github-delivery'),
    };
  }
  return undefined;
}

/** Whether the delivery carries a valid signature (or, for GitLab, token) made with `secret`. */
export function isSigned(
  provider: GitProvider,
  header: HeaderOf,
  body: Uint8Array,
  secret: string,
): boolean {
  switch (provider) {
    case 'github': {
      const signature = header('x-hub-signature-256');
      return signature?.startsWith('sha256=') === true
        ? hmacMatches(secret, body, signature.slice('sha256='.length))
        : false;
    }
    case 'gitlab': {
      const token = header('x-gitlab-token');
      return token !== undefined && secretsEqual(token, secret);
    }
    case 'gitea':
      return hmacMatches(secret, body, header('x-gitea-signature'));
    case 'forgejo':
      return hmacMatches(
        secret,
        body,
        header('x-forgejo-signature') ?? header('x-gitea-signature'),
      );
  }
}

/** Whether the provider's event name is a branch push (GitLab names it `Push Hook`). */
export function isPushEvent(provider: GitProvider, event: string): boolean {
  return provider === 'gitlab' ? event === 'Push Hook' : event === 'push';
}

export type ParsedPush = { ok: true; push: PushEvent } | { ok: false; reason: string };

/** Reads the push from a verified body; the reason names the field that is wrong. */
export function parsePush(provider: GitProvider, payload: unknown): ParsedPush {
  const parsed =
    provider === 'gitlab'
      ? gitlabPushPayloadSchema.safeParse(payload)
      : pushPayloadSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join('.') || '(body)';
    return { ok: false, reason: `the push payload is invalid: ${field}: ${issue?.message ?? ''}` };
  }
  const data: { ref: string; after: string; checkout_sha?: string | null | undefined } =
    parsed.data;
  if (ZERO_SHA.test(data.after)) return { ok: true, push: { ref: data.ref, commit: null } };
  // GitLab's `checkout_sha` is the head after the push; `after` is the same for a branch push.
  return { ok: true, push: { ref: data.ref, commit: data.checkout_sha ?? data.after } };
}

/** The branch a push moved, or undefined for a tag or another kind of ref. */
export function pushedBranch(ref: string): string | undefined {
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
}

/** The branch a service follows: its ref, written as `main` or `refs/heads/main`. */
export function followedBranch(serviceRef: string): string {
  return serviceRef.startsWith('refs/heads/') ? serviceRef.slice('refs/heads/'.length) : serviceRef;
}
