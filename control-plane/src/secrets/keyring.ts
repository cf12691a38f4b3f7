import { join } from 'node:path';
import { BerthError } from '../errors.js';
import {
  NEXT_SECRET_KEY_FILE,
  readSecretKeyFile,
  SECRET_KEY_FILE,
  writeSecretKeyFile,
} from '../store/secret-key-file.js';
import { generateSecretKey, SecretBox, secretKeyOf, type SecretKey } from './secret-box.js';

/** Where the key comes from: BERTH_SECRET_KEY, or secret.key in the data dir. */
export type KeySource = 'environment' | 'file';

/** The keys of one data dir, and the box that seals with them. */
export interface Keyring {
  box: SecretBox;
  source: KeySource;
  /** The key the control plane started with (BERTH_SECRET_KEY or secret.key). */
  primary: SecretKey;
  /** The key of a rotation that has not finished; it seals new values until it does. */
  next: SecretKey | null;
  /** `$BERTH_DATA_DIR/secret.key` and `secret.key.next`. */
  keyFile: string;
  nextKeyFile: string;
  /** True when this start generated secret.key, because the data dir had none. */
  created: boolean;
}

export interface LoadKeyringOptions {
  dataDir: string;
  /** The bytes of BERTH_SECRET_KEY, when it is set. */
  environmentKey?: Buffer | undefined;
  /** Ids of the keys the stored secrets are sealed under; asked only before generating a key. */
  sealedKeyIds: () => Promise<string[]>;
}

/**
 * BERTH_SECRET_KEY, else `secret.key` in the data dir, else a new key written there (0600), but
 * only when nothing is sealed yet: a missing key file is an error, not a fresh start.
 */
export async function loadKeyring(options: LoadKeyringOptions): Promise<Keyring> {
  const keyFile = join(options.dataDir, SECRET_KEY_FILE);
  const nextKeyFile = join(options.dataDir, NEXT_SECRET_KEY_FILE);
  const next = await readSecretKeyFile(nextKeyFile);
  let primary: SecretKey;
  let source: KeySource;
  let created = false;
  if (options.environmentKey) {
    primary = secretKeyOf(options.environmentKey);
    source = 'environment';
  } else {
    source = 'file';
    const stored = await readSecretKeyFile(keyFile);
    if (stored) {
      primary = stored;
    } else {
      const sealedUnder = (await options.sealedKeyIds()).filter((id) => id !== next?.id);
      if (sealedUnder.length > 0) {
        throw new BerthError(
          'DATA_CORRUPT',
          `${options.dataDir}/db.json holds secrets sealed under key id ${sealedUnder.join(', ')} ` +
            `but there is no key: ${keyFile} is missing and BERTH_SECRET_KEY is unset; ` +
            'restore secret.key from your backup of the data dir or set BERTH_SECRET_KEY',
        );
      }
      primary = generateSecretKey();
      await writeSecretKeyFile(keyFile, primary);
      created = true;
    }
  }
  const keySource = source === 'environment' ? 'BERTH_SECRET_KEY' : keyFile;
  const box = new SecretBox({
    sealing: next ?? primary,
    others: next && next.id !== primary.id ? [primary] : [],
    keySource: next ? `${keySource} and ${nextKeyFile}` : keySource,
  });
  return { box, source, primary, next, keyFile, nextKeyFile, created };
}
