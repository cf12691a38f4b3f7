import type { JobGitAuth, JobSpec } from '@berth/protocol';
import type { Store } from '../store/store.js';

/**
 * The credential of the source a job fetches, for its spec: only a deploy job that fetches (not
 * a rollback, which runs a kept image) gets it. Read when the job starts, so a rotated token or
 * re-pinned host key applies to jobs already queued.
 */
export function gitAuthFor(store: Store, spec: JobSpec): { gitAuth?: JobGitAuth } {
  if (spec.kind !== 'deploy' || !spec.deployment || spec.deployment.imageId) return {};
  const source = spec.deployment.source ?? spec.service.source;
  if (source.type !== 'git' || source.credentialId === undefined) return {};
  const credential = store.gitCredentials.get(source.credentialId);
  if (!credential) return {};
  if (credential.type === 'https') {
    const { id, username, token } = credential;
    return { gitAuth: { type: 'https', credentialId: id, username, token } };
  }
  return {
    gitAuth: {
      type: 'ssh',
      credentialId: credential.id,
      privateKey: credential.privateKey,
      knownHosts: credential.knownHosts.map((k) => k.line),
    },
  };
}

/** Keeps the host keys an agent learned on the credential its job's source names. */
export async function recordLearnedHostKeys(
  store: Store,
  source: { type: string; credentialId?: string } | undefined,
  hostKeys: readonly string[] | undefined,
): Promise<string[]> {
  if (!hostKeys?.length || source?.type !== 'git' || !source.credentialId) return [];
  const fresh = await store.gitCredentials.learnHostKeys(source.credentialId, hostKeys);
  return fresh.map((k) => k.line);
}
