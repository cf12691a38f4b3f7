import type { GitAccess } from './git-access.js';
import { runGit } from './run-git.js';

const FULL_SHA = /^[0-9a-f]{40}$/;

export interface ResolveRefOptions {
  /** Already validated at the edge (protocol's repositoryUrlSchema). */
  repository: string;
  /** Already validated at the edge (protocol's gitRefSchema). */
  ref: string;
  /** Any existing directory; ls-remote needs no repository. */
  cwd: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  access?: GitAccess;
}

/**
 * The commit `ref` names on the remote, read with one `ls-remote` and no fetch, or null when
 * that cannot say for sure (then a fetch decides). Names are tried in the order `git fetch`
 * tries them: the ref as written, `refs/<ref>`, `refs/tags/<ref>`, `refs/heads/<ref>`.
 */
export async function resolveRemoteRef(options: ResolveRefOptions): Promise<string | null> {
  if (FULL_SHA.test(options.ref)) return options.ref;
  // `<ref>^{}` also lists the commit an annotated tag points at. Patterns are matched at the tail
  // of ref names, so git sends no ref prefixes for them and protocol v2 would bring the same
  // refs after one more round trip (and, over git://, a 40 ms delayed-ACK stall): v0 it is.
  const args = [
    '-c',
    'protocol.version=0',
    'ls-remote',
    '--end-of-options',
    options.repository,
    options.ref,
    `${options.ref}^{}`,
  ];
  const output = await runGit(args, {
    cwd: options.cwd,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.access ? { access: options.access } : {}),
  });
  const refs = new Map<string, string>();
  for (const line of output.split('\n')) {
    const [sha, name] = line.split('\t');
    if (sha && name && FULL_SHA.test(sha)) refs.set(name, sha);
  }
  const { ref } = options;
  for (const name of [ref, `refs/${ref}`, `refs/tags/${ref}`, `refs/heads/${ref}`]) {
    // An annotated tag is listed twice; `^{}` is the commit it points at.
    const commit = refs.get(`${name}^{}`) ?? refs.get(name);
    if (commit) return commit;
  }
  return null;
}
