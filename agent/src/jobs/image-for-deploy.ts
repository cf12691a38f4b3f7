/**
 * The image a deployment runs, got as its cache mode says: with "use-existing" an
 * unchanged commit reuses its image and a local image is used as it is; with "none"
 * the base images are pulled again, every layer is rebuilt, and images are pulled.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import {
  parseImageReference,
  registryHostOf,
  type GitSource,
  type ImageSource,
} from '@berth/protocol';
import { checkoutRef } from '../git/checkout.js';
import type { GitAccess } from '../git/git-access.js';
import { privateAccess, reportLearnedHostKeys } from './git-credential.js';
import { resolveRemoteRef } from '../git/resolve-ref.js';
import { baseImages } from './dockerfile-bases.js';
import { refreshBaseImages } from './pull-bases.js';
import { AgentError } from '../errors.js';
import {
  authFailure,
  credentialFor,
  credentialsForBases,
  isAuthRefusal,
  isBuildAuthRefusal,
  refusingHost,
} from './registry-auth.js';
import { shortId, throwIfAborted, type JobContext } from './job-context.js';
import type { ReleaseImage } from './release.js';

/** Changes whenever something that shapes the built image changes. */
export function buildKey(commit: string, source: GitSource): string {
  return createHash('sha256')
    .update(JSON.stringify({ commit, dockerfile: source.dockerfile, context: source.context }))
    .digest('hex')
    .slice(0, 32);
}

function imageRepo(serviceId: string): string {
  return `berth/${serviceId.toLowerCase().replace(/[^a-z0-9._-]/g, '-')}`;
}

/**
 * The tag that marks a built image with its build key, so an unchanged commit finds it again.
 * A tag, not an image label: each label is one more step of the classic builder (~150 ms).
 */
function buildKeyTag(key: string): string {
  return `build-${key}`;
}

async function insideCheckout(root: string, path: string, what: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(join(root, path));
  } catch {
    throw new AgentError('INVALID_INPUT', `The ${what} "${path}" does not exist in the repository`);
  }
  if (real !== root && !real.startsWith(root + sep)) {
    throw new AgentError(
      'INVALID_INPUT',
      `The ${what} "${path}" points outside the repository checkout`,
    );
  }
  return real;
}

/** The image built earlier from this commit and these build inputs, tagged for this deployment. */
async function reuseBuilt(
  ctx: JobContext,
  source: GitSource,
  commit: string,
): Promise<ReleaseImage | null> {
  const repo = imageRepo(ctx.spec.service.id);
  const reusable = await ctx.engine.inspectImage(
    `${repo}:${buildKeyTag(buildKey(commit, source))}`,
  );
  if (!reusable) return null;
  ctx.phase('reuse');
  ctx.report({ commit });
  await ctx.engine.tagImage(reusable.id, repo, String(ctx.spec.deployment!.number));
  ctx.log(
    'system',
    `Reusing image ${shortId(reusable.id)} (same commit ${commit.slice(0, 12)}, same build inputs); skipping the build`,
  );
  return { imageId: reusable.id, commit };
}

/**
 * Asks the remote which commit the ref names, without fetching, and reuses that commit's image
 * when there is one. `asked` is the commit looked for (null when the remote could not say).
 */
async function reuseBeforeFetch(
  ctx: JobContext,
  source: GitSource,
  access: GitAccess | undefined,
): Promise<{ asked: string | null; image: ReleaseImage | null }> {
  const asked = await resolveRemoteRef({
    repository: source.repository,
    ref: source.ref,
    cwd: ctx.workDir,
    signal: ctx.signal,
    ...(access ? { access } : {}),
  }).catch(() => null);
  return { asked, image: asked ? await reuseBuilt(ctx, source, asked) : null };
}

/**
 * Fetches the ref, then reuses a matching image or builds one. With the cache, the remote is
 * asked for the ref's commit while the fetch runs; when that commit's image is already built,
 * the fetch is stopped and the image reused.
 */
export async function imageFromGit(ctx: JobContext, source: GitSource): Promise<ReleaseImage> {
  const { spec, engine } = ctx;
  const deployment = spec.deployment!;
  const noCache = deployment.cache === 'none';
  const dir = await mkdtemp(join(ctx.workDir, 'checkout-'));
  const skipFetch = new AbortController();
  const access = await privateAccess(ctx, source).catch(async (err: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  try {
    ctx.phase('fetch');
    ctx.log('system', `Fetching ref ${source.ref} from ${source.repository}`);
    const fetching = checkoutRef({
      repository: source.repository,
      ref: source.ref,
      dir,
      signal: AbortSignal.any([ctx.signal, skipFetch.signal]),
      onLine: (line) => ctx.log('system', line),
      ...(access ? { access } : {}),
    });
    fetching.catch(() => undefined); // awaited below, unless the image is reused first
    let asked: string | null = null;
    if (!noCache) {
      const early = await reuseBeforeFetch(ctx, source, access);
      asked = early.asked;
      if (early.image) {
        skipFetch.abort();
        await fetching.catch(() => undefined);
        await reportLearnedHostKeys(ctx, access);
        return early.image;
      }
    }
    const commit = await fetching
      .finally(() => reportLearnedHostKeys(ctx, access))
      .catch((err: unknown) => {
        throwIfAborted(ctx.signal);
        throw new AgentError(
          err instanceof AgentError && err.code !== 'CANCELLED' ? err.code : 'UNREACHABLE',
          `Could not fetch ref ${source.ref}: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      });
    ctx.log('system', `Checked out commit ${commit}`);
    ctx.report({ commit });

    const key = buildKey(commit, source);
    const tag = String(deployment.number);
    const repo = imageRepo(spec.service.id);
    if (!noCache && commit !== asked) {
      // The ref moved since it was asked for, or the remote could not say.
      const reused = await reuseBuilt(ctx, source, commit);
      if (reused) return reused;
    }

    const root = await realpath(dir);
    const contextDir = await insideCheckout(root, source.context, 'build context');
    const dockerfilePath = await insideCheckout(root, source.dockerfile, 'Dockerfile');
    const dockerfileInContext = relative(contextDir, dockerfilePath);
    if (dockerfileInContext.startsWith('..')) {
      throw new AgentError(
        'INVALID_INPUT',
        `The Dockerfile "${source.dockerfile}" must be inside the build context "${source.context}"`,
      );
    }
    const bases = baseImages(await readFile(dockerfilePath, 'utf8'));
    const registries = credentialsForBases(spec.registryAuth, bases);
    if (noCache) {
      ctx.phase('pull');
      await refreshBaseImages(ctx, bases);
    }

    ctx.phase('build');
    ctx.setPhase('building');
    ctx.log(
      'system',
      noCache ? 'Building without cache: every step runs' : 'Building with the layer cache',
    );
    const outcome = await engine.buildImage({
      contextDir,
      dockerfile: dockerfileInContext.split(sep).join('/'),
      tags: [`${repo}:${tag}`],
      noCache,
      signal: ctx.signal,
      onLine: (line) => ctx.log('build', line.text, line.continued),
      room: () => ctx.logRoom(),
      ...(registries.length > 0 ? { registries } : {}),
    });
    throwIfAborted(ctx.signal);
    if (!outcome.ok && isBuildAuthRefusal(outcome.error)) {
      // The builder pulling a FROM image that is not on the node was refused.
      const host = refusingHost(outcome.error, bases, registries);
      if (host) {
        const sent = registries.some((auth) => auth.host === host);
        throw authFailure(host, sent, outcome.error);
      }
    }
    // The build's own failure (a RUN step, a bad Dockerfile) is the service's to fix.
    if (!outcome.ok) throw new AgentError('INVALID_INPUT', `The build failed: ${outcome.error}`);
    await engine.tagImage(outcome.imageId, repo, buildKeyTag(key));
    ctx.log('system', `Built image ${shortId(outcome.imageId)} tagged ${repo}:${tag}`);
    return { imageId: outcome.imageId, commit };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await access?.dispose();
  }
}

/** The registry digest that `reference` resolved to, or undefined for a local-only image. */
function digestOf(reference: string, repoDigests: string[]): string | undefined {
  const parsed = parseImageReference(reference);
  if (parsed?.digest) return parsed.digest;
  const name = parsed?.name ?? reference;
  const match = repoDigests.find((d) => d.split('@')[0] === name) ?? repoDigests[0];
  return match?.split('@')[1];
}

/** Uses the local image or pulls it, as the cache mode says. */
export async function imageFromRegistry(
  ctx: JobContext,
  source: ImageSource,
): Promise<ReleaseImage> {
  const { engine, spec } = ctx;
  const deployment = spec.deployment!;
  const reference = source.image;
  ctx.phase(deployment.cache === 'use-existing' ? 'reuse' : 'pull');
  let local = deployment.cache === 'use-existing' ? await engine.inspectImage(reference) : null;
  if (local) {
    ctx.log('system', `Using the local image ${reference} (${shortId(local.id)})`);
  } else {
    ctx.log(
      'system',
      deployment.cache === 'none' ? `Pulling ${reference} (without cache)` : `Pulling ${reference}`,
    );
    ctx.phase('pull');
    ctx.setPhase('building');
    const auth = credentialFor(spec.registryAuth, reference);
    try {
      await engine.pullImage(reference, {
        signal: ctx.signal,
        onLine: (line) => ctx.log('build', line),
        ...(auth ? { auth } : {}),
      });
    } catch (err) {
      throwIfAborted(ctx.signal);
      const message = err instanceof Error ? err.message : String(err);
      if (isAuthRefusal(message)) {
        throw authFailure(registryHostOf(reference), auth !== undefined, message);
      }
      throw new AgentError(
        'UNREACHABLE',
        `Could not pull ${reference}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    local = await engine.inspectImage(reference);
    if (!local)
      throw new AgentError(
        'NOT_FOUND',
        `The pull of ${reference} finished but the image is not on the node`,
      );
  }
  await engine.tagImage(local.id, imageRepo(spec.service.id), String(deployment.number));
  const digest = digestOf(reference, local.repoDigests);
  ctx.log(
    'system',
    digest
      ? `Image ${reference} is ${digest}`
      : `Image ${reference} has no registry digest (local only)`,
  );
  return { imageId: local.id, ...(digest ? { digest } : {}) };
}
