import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { gitSh } from '../testing/git-sh.js';
import { resolveRemoteRef } from './resolve-ref.js';

const sh = gitSh;

describe('resolveRemoteRef', () => {
  let repo: string;
  let first: string;
  let second: string;
  const cwd = tmpdir();

  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'berth-ls-remote-'));
    sh(repo, 'init', '--quiet', '--initial-branch', 'main');
    writeFileSync(join(repo, 'a.txt'), '1\n');
    sh(repo, 'add', '.');
    sh(repo, 'commit', '--quiet', '-m', 'one');
    first = sh(repo, 'rev-parse', 'HEAD');
    sh(repo, 'tag', '-a', '-m', 'annotated', 'v1');
    sh(repo, 'branch', 'v2');
    writeFileSync(join(repo, 'a.txt'), '2\n');
    sh(repo, 'commit', '--quiet', '-am', 'two');
    second = sh(repo, 'rev-parse', 'HEAD');
    // A tag and a branch of the same name: git fetch takes the tag, and so does this.
    sh(repo, 'tag', 'main-tag', first);
    sh(repo, 'tag', 'v2', second);
  });

  it('finds the commit of a branch, of an annotated tag, and a full SHA as it is', async () => {
    expect(await resolveRemoteRef({ repository: repo, ref: 'main', cwd })).toBe(second);
    expect(await resolveRemoteRef({ repository: repo, ref: 'v1', cwd })).toBe(first);
    expect(await resolveRemoteRef({ repository: repo, ref: first, cwd })).toBe(first);
  });

  it('prefers a tag over a branch of the same name, as git fetch does', async () => {
    expect(await resolveRemoteRef({ repository: repo, ref: 'v2', cwd })).toBe(second);
    expect(await resolveRemoteRef({ repository: repo, ref: 'refs/heads/v2', cwd })).toBe(first);
  });

  it('cannot say for a ref the remote does not have, and never reads a ref as an option', async () => {
    expect(await resolveRemoteRef({ repository: repo, ref: 'nope', cwd })).toBeNull();
    const marker = join(tmpdir(), `berth-ls-injected-${process.pid}`);
    await resolveRemoteRef({
      repository: repo,
      ref: `--upload-pack=touch ${marker};git-upload-pack`,
      cwd,
    }).catch(() => null);
    await resolveRemoteRef({ repository: `--upload-pack=touch ${marker}`, ref: 'main', cwd }).catch(
      () => null,
    );
    expect(existsSync(marker)).toBe(false);
  });
});
