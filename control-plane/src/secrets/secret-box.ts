import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { BerthError } from '../errors.js';

/** AES-256-GCM: a 32-byte key, a 12-byte nonce; the 16-byte tag is 22 base64url characters. */
const KEY_BYTES = 32;
const IV_BYTES = 12;
const PREFIX = 'berth:v1:';

/** A sealed value: `berth:v1:<keyId>:<iv>:<ciphertext>:<tag>`, each part base64url. */
const SEALED = /^berth:v1:([0-9a-f]{16}):([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]*):([A-Za-z0-9_-]{22})$/;

export interface SecretKey {
  /** A fingerprint of the key that names it in sealed values and messages; not secret. */
  id: string;
  bytes: Buffer;
}

/** Names a 32-byte key by a hash of it, so a value says which key sealed it without revealing it. */
export function secretKeyOf(bytes: Buffer): SecretKey {
  if (bytes.length !== KEY_BYTES) throw new Error(`a secret key has ${KEY_BYTES} bytes`);
  const id = createHash('sha256')
    .update('berth secret key id\0')
    .update(bytes)
    .digest('hex')
    .slice(0, 16);
  return { id, bytes: Buffer.from(bytes) };
}

export function generateSecretKey(): SecretKey {
  return secretKeyOf(randomBytes(KEY_BYTES));
}

export function isSealed(value: string): boolean {
  return value.startsWith(PREFIX);
}

/** The key id a sealed value names, or null for a plain value. */
export function sealedKeyId(value: string): string | null {
  return SEALED.exec(value)?.[1] ?? null;
}

/**
 * Seals and opens strings with AES-256-GCM. It seals under one key and opens values sealed under
 * any key it holds, so values sealed before a rotation still open while it runs. The version and
 * key id are authenticated with the value: a value moved between keys or edited does not open.
 */
export class SecretBox {
  #sealing: SecretKey;
  readonly #keys = new Map<string, SecretKey>();
  /** Says where the keys come from, for messages, e.g. `/data/secret.key`. */
  readonly #keySource: string;

  constructor(options: { sealing: SecretKey; others?: SecretKey[]; keySource: string }) {
    this.#sealing = options.sealing;
    this.#keySource = options.keySource;
    for (const key of [options.sealing, ...(options.others ?? [])]) this.#keys.set(key.id, key);
  }

  /** The id of the key new values are sealed under. */
  get sealingKeyId(): string {
    return this.#sealing.id;
  }

  /** Ids of every key this box opens values with. */
  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  /** Seals new values under `key` from now on; values under the other keys still open. */
  useSealingKey(key: SecretKey): void {
    this.#keys.set(key.id, key);
    this.#sealing = key;
  }

  /** Forgets every key but the sealing key, once nothing is sealed under them any more. */
  dropOtherKeys(): void {
    for (const id of this.#keys.keys()) if (id !== this.#sealing.id) this.#keys.delete(id);
  }

  seal(plain: string): string {
    const key = this.#sealing;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key.bytes, iv);
    cipher.setAAD(aadOf(key.id));
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return `${PREFIX}${key.id}:${b64(iv)}:${b64(ciphertext)}:${b64(tag)}`;
  }

  /** Opens a sealed value; `where` names it in errors (a file and field, never the value). */
  open(sealed: string, where: string): string {
    const match = SEALED.exec(sealed);
    if (!match) {
      throw new BerthError(
        'DATA_CORRUPT',
        `${where} is not a sealed Berth secret; restore the file from a backup`,
      );
    }
    const [, keyId, iv, ciphertext, tag] = match as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    const key = this.#keys.get(keyId);
    if (!key) throw this.#unknownKey(keyId, where);
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(iv, 'base64url'));
    decipher.setAAD(aadOf(keyId));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch (err) {
      throw new BerthError(
        'DATA_CORRUPT',
        `${where} does not open under key id ${keyId}: the value was changed or damaged; restore the file from a backup`,
        { cause: err },
      );
    }
  }

  #unknownKey(keyId: string, where: string): BerthError {
    const held = this.keyIds.join(', ');
    return new BerthError(
      'DATA_CORRUPT',
      `${where} is sealed under key id ${keyId} but the key in ${this.#keySource} is key id ${held}; ` +
        'restore the right secret.key into the data dir or set BERTH_SECRET_KEY to the key that sealed it',
    );
  }
}

function aadOf(keyId: string): Buffer {
  return Buffer.from(`${PREFIX}${keyId}`, 'utf8');
}

function b64(bytes: Buffer): string {
  return bytes.toString('base64url');
}
