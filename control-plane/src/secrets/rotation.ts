import { BerthError } from '../errors.js';
import {
  removeSecretKeyFile,
  replaceSecretKeyFile,
  writeSecretKeyFile,
} from '../store/secret-key-file.js';
import type { Keyring, KeySource } from './keyring.js';
import { generateSecretKey, type SecretKey } from './secret-box.js';

/** What holds the sealed values: it seals every one again under the box's current key. */
export interface Resealable {
  keyring: Keyring;
  resealSecrets(): Promise<void>;
}

export interface RotationResult {
  keyId: string;
  previousKeyId: string;
  source: KeySource;
  /** The new key. Only the command line shows it, once; it is never logged. */
  key: SecretKey;
  /**
   * With BERTH_SECRET_KEY: the file that keeps the new key until BERTH_SECRET_KEY is set to it
   * and the control plane restarted; the data is sealed under it already.
   */
  pendingKeyFile?: string;
}

const rotating = new WeakSet<Keyring>();

/**
 * Seals every stored secret under a new key. The steps keep a key on disk for every value at
 * every moment, so a crash anywhere leaves a data dir the next start opens and finishes:
 *
 * 1. the new key is written to secret.key.next (0600); from then on new values use it;
 * 2. db.json and the history are sealed again under it; values name their key, and the start
 *    opens values under either key while secret.key.next exists;
 * 3. secret.key.next is renamed over secret.key. With BERTH_SECRET_KEY there is no secret.key:
 *    secret.key.next stays until a start with BERTH_SECRET_KEY set to it removes it.
 */
export async function rotateSecretKey(target: Resealable): Promise<RotationResult> {
  const { keyring } = target;
  if (keyring.next) {
    throw new BerthError(
      'CONFLICT',
      keyring.source === 'environment'
        ? `the last rotation is waiting for BERTH_SECRET_KEY to be set to the key in ${keyring.nextKeyFile}; set it and restart the control plane before rotating again`
        : 'a secret key rotation is already running',
    );
  }
  if (rotating.has(keyring))
    throw new BerthError('CONFLICT', 'a secret key rotation is already running');
  rotating.add(keyring);
  try {
    const previousKeyId = keyring.box.sealingKeyId;
    const next = generateSecretKey();
    await writeSecretKeyFile(keyring.nextKeyFile, next);
    keyring.next = next;
    return { ...(await sealUnderNext(target, next)), previousKeyId };
  } finally {
    rotating.delete(keyring);
  }
}

/** Finishes a rotation a crash cut short; a start calls it when secret.key.next exists. */
export async function resumeRotation(target: Resealable): Promise<RotationResult | null> {
  const { keyring } = target;
  if (!keyring.next) return null;
  return { ...(await sealUnderNext(target, keyring.next)), previousKeyId: keyring.primary.id };
}

async function sealUnderNext(
  target: Resealable,
  next: SecretKey,
): Promise<Omit<RotationResult, 'previousKeyId'>> {
  const { keyring } = target;
  keyring.box.useSealingKey(next);
  await target.resealSecrets();
  const result = { keyId: next.id, source: keyring.source, key: next };
  if (keyring.source === 'file') {
    await replaceSecretKeyFile(keyring.nextKeyFile, keyring.keyFile);
  } else if (keyring.primary.id === next.id) {
    // BERTH_SECRET_KEY is the new key now: the copy on disk is no longer needed.
    await removeSecretKeyFile(keyring.nextKeyFile);
  } else {
    return { ...result, pendingKeyFile: keyring.nextKeyFile };
  }
  keyring.primary = next;
  keyring.next = null;
  keyring.box.dropOtherKeys();
  return result;
}
