import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { knownHostsName, openGitAccess, removeLeftoverGitAccess } from './git-access.js';
import { gitArgv } from './run-git.js';

const HOST_KEY =
  '[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
const workDir = () => mkdtempSync(join(tmpdir(), 'berth-git-access-'));

describe('knownHostsName', () => {
  it.each([
    ['ssh://git@127.0.0.1:2222/srv/app.git', '[127.0.0.1]:2222'],
    ['ssh://git@git.example.com/srv/app.git', 'git.example.com'],
    ['ssh://git@git.example.com:22/srv/app.git', 'git.example.com'],
    ['git@github.com:acme/app.git', 'github.com'],
  ])('%s is %s', (url, name) => expect(knownHostsName(url)).toBe(name));
});

describe('openGitAccess', () => {
  it('gives a token only through the askpass environment, never argv, and redacts it', async () => {
    const token = 'tok-Very$ecret';
    const access = await openGitAccess({
      auth: { type: 'https', credentialId: 'gcr_1', username: 'deploy', token },
      repository: 'https://git.example.com/app.git',
      workDir: workDir(),
    });
    const argv = gitArgv(
      ['fetch', '--end-of-options', 'https://git.example.com/app.git', 'main'],
      access,
    );
    expect(argv.join(' ')).not.toContain(token);
    expect(argv).toEqual(expect.arrayContaining(['-c', 'credential.helper=']));
    const askpass = access.env.GIT_ASKPASS!;
    expect(statSync(askpass).mode & 0o777).toBe(0o700);
    expect(readFileSync(askpass, 'utf8')).not.toContain(token);
    const ask = (prompt: string) =>
      execFileSync(askpass, [prompt], { env: access.env, encoding: 'utf8' }).trim();
    expect(ask("Username for 'https://git.example.com': ")).toBe('deploy');
    expect(ask("Password for 'https://deploy@git.example.com': ")).toBe(token);
    expect(access.redact(`remote: bad token ${token}!`)).toBe('remote: bad token [redacted]!');
    expect(
      access.explain("fatal: Authentication failed for 'https://git.example.com/app.git/'"),
    ).toBe(
      'authentication failed for git.example.com: check the username and token of git credential gcr_1',
    );
    await access.dispose();
    expect(existsSync(askpass)).toBe(false);
  });

  it('checks a known host strictly and learns an unknown one', async () => {
    const privateKey =
      '-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n';
    const strict = await openGitAccess({
      auth: { type: 'ssh', credentialId: 'gcr_2', privateKey, knownHosts: [HOST_KEY] },
      repository: 'ssh://git@127.0.0.1:2222/srv/app.git',
      workDir: workDir(),
    });
    const command = strict.env.GIT_SSH_COMMAND!;
    expect(command).toContain('-o StrictHostKeyChecking=yes');
    expect(command).toContain('-o IdentitiesOnly=yes');
    expect(command).not.toContain('StrictHostKeyChecking=no');
    const keyFile = /-i '([^']+)'/.exec(command)![1]!;
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, 'utf8')).toBe(privateKey);
    const mismatch = strict.explain(
      '@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nThe fingerprint for the ED25519 key sent by the remote host is\nSHA256:abcDEF123.\nHost key verification failed.',
    );
    expect(mismatch).toContain('expected SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU');
    expect(mismatch).toContain('the server presented SHA256:abcDEF123');
    expect(await strict.learnedHostKeys()).toEqual([]);
    await strict.dispose();
    expect(existsSync(keyFile)).toBe(false);

    const other = await openGitAccess({
      auth: { type: 'ssh', credentialId: 'gcr_2', privateKey, knownHosts: [HOST_KEY] },
      repository: 'ssh://git@127.0.0.1:2223/srv/app.git',
      workDir: workDir(),
    });
    expect(other.env.GIT_SSH_COMMAND).toContain('-o StrictHostKeyChecking=accept-new');
    await other.dispose();
  });
});

describe('removeLeftoverGitAccess', () => {
  it('removes the access folders a dead agent left, and nothing else', async () => {
    const dir = workDir();
    await openGitAccess({
      auth: { type: 'https', credentialId: 'gcr_3', username: 'u', token: 't' },
      repository: 'https://git.example.com/app.git',
      workDir: dir,
    });
    mkdirSync(join(dir, 'checkout-keep'));
    removeLeftoverGitAccess(dir);
    expect(readdirSync(dir)).toEqual(['checkout-keep']);
  });
});
