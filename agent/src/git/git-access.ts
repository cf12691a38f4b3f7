import { createHash, createHmac } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseKnownHostLine, type JobGitAuth } from '@berth/protocol';
import { redactor } from '../logs/redact.js';

/**
 * What a git run needs to reach a private repository: environment and config for the git child,
 * a redaction for every line git prints, and a reason a person can act on when it fails.
 * The secrets live in a 0700 folder of the job's work dir, removed by `dispose`.
 */
export interface GitAccess {
  /** Set on the git child only (GIT_SSH_COMMAND, or GIT_ASKPASS and the values it prints). */
  env: Record<string, string>;
  /** `-c` options for git's argv; they carry no secret. */
  config: string[];
  /** Hides the secret in a line git printed. */
  redact(text: string): string;
  /** A clear reason for a failed run, read from git's stderr, or null when it is not about access. */
  explain(stderr: string): string | null;
  /** known_hosts lines the fetches learned for a host the credential had no key of. */
  learnedHostKeys(): Promise<string[]>;
  dispose(): Promise<void>;
}

/** The secrets git could print: a token, as given and as it would appear in a URL. */
export function gitSecrets(auth: JobGitAuth | undefined): string[] {
  return auth?.type === 'https' ? [auth.token, encodeURIComponent(auth.token)] : [];
}

export const GIT_ACCESS_DIR_PREFIX = 'git-access-';

/** Removes the key and token files an agent that died mid-fetch left behind; run at start. */
export function removeLeftoverGitAccess(workDir: string): void {
  for (const name of readdirSync(workDir)) {
    if (name.startsWith(GIT_ACCESS_DIR_PREFIX))
      rmSync(join(workDir, name), { recursive: true, force: true });
  }
}

const KEY_FILE = 'id_ed25519';
const KNOWN_HOSTS_FILE = 'known_hosts';

/** Prints the username or the token git asks for, read from the environment of this git run. */
const ASKPASS_SCRIPT = `#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "$BERTH_GIT_USERNAME" ;;
  *) printf '%s\\n' "$BERTH_GIT_TOKEN" ;;
esac
`;

/** Quotes one word for the shell git runs GIT_SSH_COMMAND with. */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The host of a repository URL, as known_hosts names it: `host`, or `[host]:port` off port 22. */
export function knownHostsName(repository: string): string {
  const scp = /^[^@/]+@([^:/]+):/.exec(repository);
  if (scp && !repository.includes('://')) return scp[1]!;
  const url = new URL(repository);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return url.port && url.port !== '22' ? `[${host}]:${url.port}` : host;
}

/** The host part of a URL, for messages. */
function hostOf(repository: string): string {
  return knownHostsName(repository).replace(/^\[(.*)\]:\d+$/, '$1');
}

function matchesHost(pattern: string, name: string): boolean {
  const hashed = /^\|1\|([^|]+)\|([^|]+)$/.exec(pattern);
  if (!hashed) return pattern === name;
  const hmac = createHmac('sha1', Buffer.from(hashed[1]!, 'base64')).update(name).digest('base64');
  return hmac === hashed[2];
}

function fingerprint(keyBase64: string): string {
  const digest = createHash('sha256').update(Buffer.from(keyBase64, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

function sshAccess(
  auth: Extract<JobGitAuth, { type: 'ssh' }>,
  repository: string,
  dir: string,
): {
  env: Record<string, string>;
  learned: () => Promise<string[]>;
  explain: GitAccess['explain'];
} {
  const name = knownHostsName(repository);
  const trusted = auth.knownHosts
    .map((line) => ({ line, parsed: parseKnownHostLine(line) }))
    .filter(({ parsed }) => parsed?.hosts.some((pattern) => matchesHost(pattern, name)));
  const keyFile = join(dir, KEY_FILE);
  const knownHostsFile = join(dir, KNOWN_HOSTS_FILE);
  // A host the credential knows must present that key; a new one is learned on first use.
  const checking = trusted.length > 0 ? 'yes' : 'accept-new';
  const command = [
    'ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none',
    `-i ${shellQuote(keyFile)}`,
    `-o UserKnownHostsFile=${shellQuote(knownHostsFile)} -o GlobalKnownHostsFile=/dev/null`,
    `-o StrictHostKeyChecking=${checking} -o UpdateHostKeys=no`,
  ].join(' ');
  const learned = async () => {
    if (checking === 'yes') return [];
    const given = new Set(auth.knownHosts);
    const text = await readFile(knownHostsFile, 'utf8').catch(() => '');
    const lines = text.split('\n').map((line) => line.trim());
    return [...new Set(lines)].filter((line) => !given.has(line) && parseKnownHostLine(line));
  };
  const explain = (stderr: string): string | null => {
    const host = hostOf(repository);
    if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/.test(stderr)) {
      // ssh prints the presented key after "sent by the remote host is" (whatever its type).
      const presented = /sent by the remote host is\s+(SHA256:[A-Za-z0-9+/]+)/.exec(stderr)?.[1];
      const expected = trusted.map(
        ({ parsed }) => `${fingerprint(parsed!.key)} (${parsed!.keyType})`,
      );
      return (
        `The SSH host key of ${host} does not match the one git credential ${auth.credentialId} trusts: ` +
        `expected ${expected.join(' or ') || 'none'}, the server presented ${presented ?? 'another key'}. ` +
        `If the server's key changed on purpose, set the credential's knownHosts to the new key ` +
        `(PATCH /api/v1/git-credentials/${auth.credentialId}); otherwise someone may be intercepting the connection`
      );
    }
    if (/Permission denied \(publickey/.test(stderr)) {
      return (
        `The SSH server ${host} refused the deploy key of git credential ${auth.credentialId}: ` +
        `add its public key (GET /api/v1/git-credentials/${auth.credentialId}) to the repository's deploy keys`
      );
    }
    return null;
  };
  return {
    env: { GIT_SSH_COMMAND: command },
    learned,
    explain,
  };
}

/** Writes the credential's files into a new folder of `workDir` and returns the git access. */
export async function openGitAccess(options: {
  auth: JobGitAuth;
  repository: string;
  workDir: string;
}): Promise<GitAccess> {
  const { auth, repository } = options;
  const dir = await mkdtemp(join(options.workDir, GIT_ACCESS_DIR_PREFIX));
  await chmod(dir, 0o700);
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    if (auth.type === 'ssh') {
      const ssh = sshAccess(auth, repository, dir);
      await writeFile(join(dir, KEY_FILE), auth.privateKey, { mode: 0o600 });
      const known = auth.knownHosts.map((line) => `${line}\n`).join('');
      await writeFile(join(dir, KNOWN_HOSTS_FILE), known, { mode: 0o600 });
      return {
        env: ssh.env,
        config: [],
        redact: (text) => text,
        explain: ssh.explain,
        learnedHostKeys: ssh.learned,
        dispose,
      };
    }
    const askpass = join(dir, 'askpass');
    await writeFile(askpass, ASKPASS_SCRIPT, { mode: 0o700 });
    return {
      env: {
        GIT_ASKPASS: askpass,
        BERTH_GIT_USERNAME: auth.username,
        BERTH_GIT_TOKEN: auth.token,
      },
      // No credential helper may store what the askpass script answers.
      config: ['-c', 'credential.helper='],
      redact: redactor(gitSecrets(auth)),
      explain: (stderr) =>
        /Authentication failed for|HTTP (401|403)|could not read (Username|Password)/.test(stderr)
          ? `authentication failed for ${hostOf(repository)}: check the username and token of git credential ${auth.credentialId}`
          : null,
      learnedHostKeys: () => Promise.resolve([]),
      dispose,
    };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/** `host (type SHA256:…)` of a known_hosts line, for a log line. */
export function describeHostKey(line: string): string {
  const parsed = parseKnownHostLine(line);
  return parsed ? `${parsed.hosts.join(',')} (${parsed.keyType} ${fingerprint(parsed.key)})` : line;
}
