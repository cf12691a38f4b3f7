import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { gitSh } from '../testing/git-sh.js';
import { checkoutRef } from './checkout.js';

const sh = gitSh;

describe('checkoutRef', () => {
  let repo: string;
  let first: string;
  let second: string;

  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'berth-git-src-'));
    sh(repo, 'init', '--quiet', '--initial-branch', 'main');
    writeFileSync(join(repo, 'version.txt'), 'v1\n');
    sh(repo, 'add', '.');
    sh(repo, 'commit', '--quiet', '-m', 'one');
    first = sh(repo, 'rev-parse', 'HEAD');
    sh(repo, 'tag', 'v1');
    writeFileSync(join(repo, 'version.txt'), 'v2\n');
    sh(repo, 'commit', '--quiet', '-am', 'two');
    second = sh(repo, 'rev-parse', 'HEAD');
  });

  const fresh = () => join(mkdtempSync(join(tmpdir(), 'berth-git-dst-')), 'checkout');

  it('checks out a branch and returns its full SHA', async () => {
    const dir = fresh();
    expect(await checkoutRef({ repository: repo, ref: 'main', dir })).toBe(second);
    expect(readFileSync(join(dir, 'version.txt'), 'utf8')).toBe('v2\n');
  });

  it('checks out a tag and an exact older SHA', async () => {
    expect(await checkoutRef({ repository: repo, ref: 'v1', dir: fresh() })).toBe(first);
    const dir = fresh();
    expect(await checkoutRef({ repository: repo, ref: first, dir })).toBe(first);
    expect(readFileSync(join(dir, 'version.txt'), 'utf8')).toBe('v1\n');
  });

  it('never reads a ref as an option', async () => {
    const marker = join(tmpdir(), `berth-injected-${process.pid}`);
    await expect(
      checkoutRef({
        repository: repo,
        ref: `--upload-pack=touch ${marker};git-upload-pack`,
        dir: fresh(),
      }),
    ).rejects.toThrow(/git fetch exited/);
    expect(existsSync(marker)).toBe(false);
    await expect(
      checkoutRef({ repository: `--upload-pack=touch ${marker}`, ref: 'main', dir: fresh() }),
    ).rejects.toThrow();
    expect(existsSync(marker)).toBe(false);
  });

  it('fails with git’s reason for a missing ref', async () => {
    await expect(
      checkoutRef({ repository: repo, ref: 'no-such-branch', dir: fresh() }),
    ).rejects.toThrow(/no-such-branch/);
  });

  it('stops when cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      checkoutRef({ repository: repo, ref: 'main', dir: fresh(), signal: controller.signal }),
    ).rejects.toThrow();
  });
});
