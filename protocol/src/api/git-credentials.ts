import { z } from 'zod';
import { nameSchema } from './validators.js';

// Git credentials: an SSH deploy key the control plane generates, or an HTTPS username and
// token. Secrets go only to the agent, in the job spec of a job that fetches.

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Host key algorithms OpenSSH 9 accepts in known_hosts. */
const HOST_KEY_TYPES = new Set([
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
]);

export interface KnownHostLine {
  /** Host patterns as written: `host`, `[host]:port`, or hashed `|1|salt|hash`, comma-separated. */
  hosts: string[];
  keyType: string;
  /** The key blob, base64. */
  key: string;
}

/** The wire-format blob starts with the key type as an SSH string: the key must match its label. */
function blobNamesType(key: string, keyType: string): boolean {
  let bytes: string;
  try {
    bytes = atob(key);
  } catch {
    return false;
  }
  const length =
    (bytes.charCodeAt(0) << 24) |
    (bytes.charCodeAt(1) << 16) |
    (bytes.charCodeAt(2) << 8) |
    bytes.charCodeAt(3);
  return length === keyType.length && bytes.slice(4, 4 + length) === keyType;
}

/** One known_hosts line (`host[,host…] keytype base64 [comment]`), or null when it is not one. */
export function parseKnownHostLine(line: string): KnownHostLine | null {
  if (CONTROL_CHARS.test(line) || line.length > 16384) return null;
  const [hostField, keyType, key] = line.trim().split(/\s+/);
  if (!hostField || !keyType || !key) return null;
  // Markers (@cert-authority, @revoked) and negated patterns are not for deploy keys.
  if (hostField.startsWith('@') || hostField.includes('!')) return null;
  if (!HOST_KEY_TYPES.has(keyType) || !/^[A-Za-z0-9+/]+={0,2}$/.test(key)) return null;
  if (!blobNamesType(key, keyType)) return null;
  const hosts = hostField.split(',');
  if (
    hosts.some(
      (h) => !/^(\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+|\[?[A-Za-z0-9._:*?-]+(\]:\d+)?)$/.test(h),
    )
  )
    return null;
  return { hosts, keyType, key };
}

export const knownHostLineSchema = z
  .string()
  .refine(
    (line) => parseKnownHostLine(line) !== null,
    'is not a known_hosts line ("host ssh-ed25519 AAAA…", as ssh-keyscan prints)',
  );

/** Pinned host keys: known_hosts text (blank lines and # comments are skipped) or a list of lines. */
export const knownHostsInputSchema = z
  .union([
    z
      .string()
      .max(65536)
      .transform((text) =>
        text
          .split('\n')
          .map((line) => line.trim())
          .filter((line) => line && !line.startsWith('#')),
      ),
    z.array(z.string().max(16384)),
  ])
  .pipe(z.array(knownHostLineSchema).max(64, 'at most 64 known host lines'));

const usernameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(256)
  .refine(
    (u) => !CONTROL_CHARS.test(u) && !u.includes(':'),
    'must not contain ":" or control characters',
  );

const tokenSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(4096)
  .refine((t) => !CONTROL_CHARS.test(t), 'must not contain line breaks or control characters');

export const createGitCredentialBodySchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('ssh'),
      name: nameSchema.optional(),
      knownHosts: knownHostsInputSchema.optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('https'),
      name: nameSchema.optional(),
      username: usernameSchema,
      token: tokenSchema,
    })
    .strict(),
]);
export type CreateGitCredentialBody = z.infer<typeof createGitCredentialBodySchema>;

/**
 * `PATCH /api/v1/git-credentials/:id`. `knownHosts` replaces the host keys of an SSH credential
 * (an empty list lets the next fetch learn them again); `username` and `token` rotate an HTTPS one.
 */
export const patchGitCredentialBodySchema = z
  .object({
    name: nameSchema.optional(),
    knownHosts: knownHostsInputSchema.optional(),
    username: usernameSchema.optional(),
    token: tokenSchema.optional(),
  })
  .strict();
export type PatchGitCredentialBody = z.infer<typeof patchGitCredentialBodySchema>;

export const hostKeySchema = z.object({
  /** The host patterns of the known_hosts line, e.g. `github.com` or `[git.example]:2222`. */
  host: z.string(),
  keyType: z.string(),
  /** `SHA256:…`, as `ssh-keygen -l` prints it. */
  fingerprint: z.string(),
  /** `pinned` by a person, or `learned` from the first fetch. */
  origin: z.enum(['pinned', 'learned']),
  addedAt: z.string(),
});
export type HostKey = z.infer<typeof hostKeySchema>;

const credentialBase = {
  id: z.string(),
  name: z.string().optional(),
  /** Ids of the services whose source uses this credential. */
  usedBy: z.array(z.string()),
  createdAt: z.string(),
};

/** A git credential as the API shows it: never the private key or the token. */
export const gitCredentialSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('ssh'),
    ...credentialBase,
    /** The deploy key to add to the repository: `ssh-ed25519 AAAA… berth-<id>`. */
    publicKey: z.string(),
    hostKeys: z.array(hostKeySchema),
  }),
  z.object({ type: z.literal('https'), ...credentialBase, username: z.string() }),
]);
export type GitCredential = z.infer<typeof gitCredentialSchema>;

/**
 * The secret of a job's git source, sent only in the spec of a job that fetches. `knownHosts`
 * are the host keys to trust; for a host with none, the first fetch learns them.
 */
export const jobGitAuthSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('ssh'),
    credentialId: z.string(),
    /** OpenSSH private key file contents. */
    privateKey: z.string(),
    knownHosts: z.array(knownHostLineSchema).max(64),
  }),
  z.object({
    type: z.literal('https'),
    credentialId: z.string(),
    username: z.string(),
    token: z.string(),
  }),
]);
export type JobGitAuth = z.infer<typeof jobGitAuthSchema>;
