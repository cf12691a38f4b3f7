import { mkdir } from 'node:fs/promises';
import { AgentError } from '../errors.js';
import type { GitAccess } from './git-access.js';
import { runGit, type GitRunOptions } from './run-git.js';

export interface CheckoutOptions {
  /** Already validated at the edge (protocol's repositoryUrlSchema). */
  repository: string;
  /** Already validated at the edge (protocol's gitRefSchema). */
  ref: string;
  /** An empty directory that receives the checkout. */
  dir: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  onLine?: (line: string) => void;
  access?: GitAccess;
}

const FULL_SHA = /^[0-9a-f]{40}$/;

/**
 * Fetches one ref (branch, tag or full SHA) into `dir` and checks it out detached.
 * Returns the resolved full commit SHA.
 */
export async function checkoutRef(options: CheckoutOptions): Promise<string> {
  await mkdir(options.dir, { recursive: true });
  const git = (args: string[]) =>
    runGit(args, {
      cwd: options.dir,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.onLine ? { onLine: options.onLine } : {}),
      ...(options.access ? { access: options.access } : {}),
    } satisfies GitRunOptions);

  await git(['init', '--quiet']);
  try {
    await git([
      'fetch',
      '--depth',
      '1',
      '--no-tags',
      '--end-of-options',
      options.repository,
      options.ref,
    ]);
  } catch (err) {
    // Some servers refuse to serve a commit by SHA; fall back to fetching everything.
    const refused = err instanceof AgentError && err.code === 'AUTH_FAILED';
    if (refused || !FULL_SHA.test(options.ref)) throw err;
    options.onLine?.('The server refused a shallow fetch by SHA; fetching all branches and tags');
    await git([
      'fetch',
      '--tags',
      '--end-of-options',
      options.repository,
      '+refs/heads/*:refs/remotes/origin/*',
    ]);
    await git(['rev-parse', '--verify', '--end-of-options', `${options.ref}^{commit}`]);
    await git(['update-ref', 'FETCH_HEAD', options.ref]);
  }
  const commit = (
    await git(['rev-parse', '--verify', '--end-of-options', 'FETCH_HEAD^{commit}'])
  ).trim();
  await git(['checkout', '--quiet', '--detach', commit]);
  return commit;
}
