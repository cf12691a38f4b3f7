import {
  parseKnownHostLine,
  type CreateGitCredentialBody,
  type PatchGitCredentialBody,
  type Source,
} from '@berth/protocol';
import { isoTime, type Now } from '../clock.js';
import { newId } from '../crypto.js';
import { BerthError, notFound } from '../errors.js';
import { generateDeployKey } from '../git/deploy-key.js';
import type { Database } from './database.js';
import type { Data, GitCredentialRecord, KnownHostRecord } from './records.js';

const SSH_URL = /^(ssh:\/\/|[^/:]+@[^/:]+:)/;
const HTTP_URL = /^https?:\/\//;

/**
 * A git source with a credential must name one that exists and fits its URL: a deploy key for
 * `ssh://` and `user@host:path`, a token for `https://` and `http://`. Throws a 400 otherwise.
 */
export function checkSourceCredential(data: Readonly<Data>, source: Source): void {
  if (source.type !== 'git' || source.credentialId === undefined) return;
  const credential = data.gitCredentials.find((c) => c.id === source.credentialId);
  const problem = !credential
    ? `no git credential "${source.credentialId}"; list them with GET /api/v1/git-credentials`
    : credential.type === 'ssh' && !SSH_URL.test(source.repository)
      ? 'is an SSH deploy key; the repository must be an ssh:// or user@host:path URL'
      : credential.type === 'https' && !HTTP_URL.test(source.repository)
        ? 'is an HTTPS token; the repository must be an https:// or http:// URL'
        : null;
  if (problem) {
    const message = credential ? `git credential "${credential.id}" ${problem}` : problem;
    throw new BerthError('INVALID_INPUT', message, {
      fields: [{ path: 'source.credentialId', message }],
    });
  }
}

function hostsOf(line: string): string[] {
  return parseKnownHostLine(line)?.hosts ?? [];
}

/** Git credentials, in db.json. */
export class GitCredentialRecords {
  readonly #db: Database;
  readonly #now: Now;

  constructor(db: Database, now: Now) {
    this.#db = db;
    this.#now = now;
  }

  create(body: CreateGitCredentialBody): Promise<GitCredentialRecord> {
    const id = newId('gcr');
    const createdAt = isoTime(this.#now());
    const name = body.name === undefined ? {} : { name: body.name };
    let record: GitCredentialRecord;
    if (body.type === 'ssh') {
      const key = generateDeployKey(`berth-${id}`);
      record = {
        id,
        type: 'ssh',
        ...name,
        publicKey: key.publicKey,
        privateKey: key.privateKey,
        knownHosts: (body.knownHosts ?? []).map((line) => ({
          line,
          origin: 'pinned',
          addedAt: createdAt,
        })),
        createdAt,
      };
    } else {
      record = {
        id,
        type: 'https',
        ...name,
        username: body.username,
        token: body.token,
        createdAt,
      };
    }
    return this.#db.mutate((data) => {
      data.gitCredentials.push(record);
      return structuredClone(record);
    });
  }

  list(): GitCredentialRecord[] {
    return structuredClone(this.#db.data.gitCredentials);
  }

  get(id: string): GitCredentialRecord | undefined {
    const record = this.#db.data.gitCredentials.find((c) => c.id === id);
    return record && structuredClone(record);
  }

  /** Ids of the services whose source uses the credential. */
  usedBy(id: string): string[] {
    return this.#db.data.services
      .filter((s) => s.source.type === 'git' && s.source.credentialId === id)
      .map((s) => s.id);
  }

  update(id: string, patch: PatchGitCredentialBody): Promise<GitCredentialRecord> {
    return this.#db.mutate((data) => {
      const record = data.gitCredentials.find((c) => c.id === id);
      if (!record) throw notFound('git credential', id);
      const wrong =
        record.type === 'ssh'
          ? (['username', 'token'] as const).filter((f) => patch[f] !== undefined)
          : (['knownHosts'] as const).filter((f) => patch[f] !== undefined);
      if (wrong.length > 0) {
        const message = `does not apply to an ${record.type === 'ssh' ? 'SSH' : 'HTTPS'} credential`;
        throw new BerthError('INVALID_INPUT', `${wrong.join(', ')} ${message}`, {
          fields: wrong.map((path) => ({ path, message })),
        });
      }
      if (patch.name !== undefined) record.name = patch.name;
      if (record.type === 'ssh' && patch.knownHosts !== undefined) {
        const addedAt = isoTime(this.#now());
        record.knownHosts = patch.knownHosts.map((line) => ({ line, origin: 'pinned', addedAt }));
      }
      if (record.type === 'https') {
        if (patch.username !== undefined) record.username = patch.username;
        if (patch.token !== undefined) record.token = patch.token;
      }
      return structuredClone(record);
    });
  }

  /** Deletes the credential; refused (409) while a service's source uses it. */
  delete(id: string): Promise<void> {
    return this.#db.mutate((data) => {
      const index = data.gitCredentials.findIndex((c) => c.id === id);
      if (index < 0) throw notFound('git credential', id);
      const users = this.usedBy(id);
      if (users.length > 0) {
        throw new BerthError(
          'CONFLICT',
          `git credential "${id}" is used by service ${users.join(', ')}; change their source first`,
        );
      }
      data.gitCredentials.splice(index, 1);
    });
  }

  /**
   * Keeps the host keys a first fetch learned. A host that already has keys keeps them: a key is
   * trusted once and never replaced by what a server presents later.
   */
  async learnHostKeys(id: string, lines: readonly string[]): Promise<KnownHostRecord[]> {
    const record = this.#db.data.gitCredentials.find((c) => c.id === id);
    if (record?.type !== 'ssh') return [];
    const known = new Set(record.knownHosts.flatMap((k) => hostsOf(k.line)));
    const addedAt = isoTime(this.#now());
    const fresh = lines
      .filter((line) => hostsOf(line).length > 0 && !hostsOf(line).some((h) => known.has(h)))
      .filter((line, i, all) => all.indexOf(line) === i)
      .map((line): KnownHostRecord => ({ line, origin: 'learned', addedAt }));
    if (fresh.length === 0) return [];
    await this.#db.mutate(() => {
      record.knownHosts.push(...fresh);
    });
    return fresh;
  }
}
