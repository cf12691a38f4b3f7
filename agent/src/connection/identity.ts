import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  type KeyObject,
} from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { challengeSigningPayload, enrollResponseSchema } from '@berth/protocol';
import { writeFileAtomic } from '../atomic-write.js';
import { AgentError } from '../errors.js';

export const KEY_FILE = 'agent.key';
export const IDENTITY_FILE = 'identity.json';

/** Who this agent is to the control plane: the enrolled id and the key that proves it. */
export interface AgentIdentity {
  agentId: string;
  name: string;
  privateKey: KeyObject;
}

export interface AgentKey {
  privateKey: KeyObject;
  /** base64 DER (SPKI), the shape enrollment expects. */
  publicKeyBase64: string;
}

/** Creates the state dir if needed and keeps it private to the agent's user (0700). */
export async function prepareStateDir(stateDir: string): Promise<void> {
  try {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await chmod(stateDir, 0o700);
  } catch (err) {
    throw new AgentError(
      'INVALID_INPUT',
      `cannot create the state dir ${stateDir}: ${(err as Error).message}; ` +
        'set BERTH_AGENT_STATE_DIR to a directory this user may write',
      { cause: err },
    );
  }
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function corrupt(path: string, why: string, cause?: unknown): AgentError {
  return new AgentError(
    'DATA_CORRUPT',
    `${path} ${why}; move the state dir aside and enroll again with a new BERTH_JOIN_TOKEN`,
    { cause },
  );
}

function parseKey(pem: string, path: string): AgentKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (err) {
    throw corrupt(path, 'is not a readable private key', err);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw corrupt(path, `holds a ${privateKey.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  }
  const publicKeyBase64 = createPublicKey(privateKey)
    .export({ type: 'spki', format: 'der' })
    .toString('base64');
  return { privateKey, publicKeyBase64 };
}

/** The saved identity, or null when this agent has never enrolled. */
export async function loadIdentity(stateDir: string): Promise<AgentIdentity | null> {
  const identityPath = join(stateDir, IDENTITY_FILE);
  const keyPath = join(stateDir, KEY_FILE);
  const raw = await readOptional(identityPath);
  if (raw === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw corrupt(identityPath, 'is not valid JSON', err);
  }
  const parsed = enrollResponseSchema.safeParse(json);
  if (!parsed.success) throw corrupt(identityPath, 'lacks agentId or name');
  const pem = await readOptional(keyPath);
  if (pem === null) throw corrupt(keyPath, 'is missing although the agent is enrolled');
  const { privateKey } = parseKey(pem, keyPath);
  return { agentId: parsed.data.agentId, name: parsed.data.name, privateKey };
}

/**
 * The key to enroll with. A key left by an enrollment that never finished is reused,
 * so a crash between key and identity costs nothing but the retry.
 */
export async function loadOrCreateKey(stateDir: string): Promise<AgentKey> {
  const keyPath = join(stateDir, KEY_FILE);
  const existing = await readOptional(keyPath);
  if (existing !== null) return parseKey(existing, keyPath);
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await writeFileAtomic(keyPath, pem, 0o600);
  return parseKey(pem, keyPath);
}

export async function saveIdentity(
  stateDir: string,
  identity: { agentId: string; name: string },
): Promise<void> {
  const body = JSON.stringify({ agentId: identity.agentId, name: identity.name }, null, 2);
  await writeFileAtomic(join(stateDir, IDENTITY_FILE), `${body}\n`, 0o600);
}

/** The base64 Ed25519 signature that answers an `auth.challenge`. */
export function signChallenge(identity: AgentIdentity, nonce: string): string {
  return sign(null, challengeSigningPayload(nonce, identity.agentId), identity.privateKey).toString(
    'base64',
  );
}
