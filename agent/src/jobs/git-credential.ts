import type { GitSource } from '@berth/protocol';
import { AgentError } from '../errors.js';
import { describeHostKey, openGitAccess, type GitAccess } from '../git/git-access.js';
import type { JobContext } from './job-context.js';

/**
 * The access to a private repository for this job, from the credential the control plane put
 * in the job spec; undefined for a public source. The caller disposes of it when the job's
 * fetches are done, whatever their outcome.
 */
export async function privateAccess(
  ctx: JobContext,
  source: GitSource,
): Promise<GitAccess | undefined> {
  if (source.credentialId === undefined) return undefined;
  const auth = ctx.spec.gitAuth;
  if (auth?.credentialId !== source.credentialId) {
    throw new AgentError(
      'AUTH_FAILED',
      `The source uses git credential ${source.credentialId}, which the control plane no longer has; choose another credential for the service`,
    );
  }
  ctx.log(
    'system',
    auth.type === 'ssh'
      ? `Using the deploy key of git credential ${auth.credentialId}`
      : `Using the token of git credential ${auth.credentialId} (user ${auth.username})`,
  );
  return openGitAccess({ auth, repository: source.repository, workDir: ctx.workDir });
}

/** Tells the control plane which host keys a first fetch learned, so later fetches require them. */
export async function reportLearnedHostKeys(
  ctx: JobContext,
  access: GitAccess | undefined,
): Promise<void> {
  const hostKeys = (await access?.learnedHostKeys()) ?? [];
  if (hostKeys.length === 0) return;
  for (const line of hostKeys)
    ctx.log(
      'system',
      `First connection: trusting SSH host key ${describeHostKey(line)} from now on`,
    );
  ctx.report({ hostKeys });
}
