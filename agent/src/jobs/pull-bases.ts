import { registryHostOf } from '@berth/protocol';
import { AgentError } from '../errors.js';
import { throwIfAborted, type JobContext } from './job-context.js';
import { authFailure, credentialFor, isAuthRefusal } from './registry-auth.js';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Pulls each base image again; one that exists only locally is used as it is. A registry that
 * refuses the credential Berth sent fails the deployment: the fresh pull was asked for, and the
 * credential needs fixing.
 */
export async function refreshBaseImages(ctx: JobContext, bases: string[]): Promise<void> {
  for (const base of bases) {
    throwIfAborted(ctx.signal);
    ctx.log('system', `Pulling base image ${base} again (without cache)`);
    const auth = credentialFor(ctx.spec.registryAuth, base);
    try {
      await ctx.engine.pullImage(base, {
        signal: ctx.signal,
        onLine: (line) => ctx.log('build', line),
        ...(auth ? { auth } : {}),
      });
    } catch (err) {
      throwIfAborted(ctx.signal);
      const refused = isAuthRefusal(messageOf(err));
      if (refused && auth) throw authFailure(auth.host, true, messageOf(err));
      if (await ctx.engine.inspectImage(base)) {
        ctx.log('system', `Base image ${base} could not be pulled; using the local copy`);
      } else if (refused) {
        throw authFailure(registryHostOf(base), false, messageOf(err));
      } else {
        throw new AgentError(
          'UNREACHABLE',
          `Base image ${base} could not be pulled: ${messageOf(err)}`,
          { cause: err },
        );
      }
    }
  }
}
