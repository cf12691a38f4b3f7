import type { Config } from '../config.js';
import { BerthError } from '../errors.js';
import type { Logger } from '../log.js';
import { runningControlPlane } from '../store/pid-file.js';
import { join } from 'node:path';
import { compactHistoryIfPending } from '../store/lmdb-compaction.js';
import { HISTORY_DIR, openFileStore } from '../store/store.js';
import { secretKeyText } from './key-text.js';
import { rotateSecretKey, type RotationResult } from './rotation.js';

/**
 * `node control-plane/dist/main.js rotate-secret-key`: seals every stored secret under a new key,
 * with the control plane stopped. A running one rotates through its API instead, since it holds
 * db.json in memory and would write it back under the old key.
 */
export async function rotateSecretKeyCommand(options: {
  config: Config;
  log: Logger;
  /** Where the result goes: stdout, never the log, since it may hold the new key. */
  print: (text: string) => void;
}): Promise<void> {
  const { config, log, print } = options;
  const pid = await runningControlPlane(config.dataDir);
  if (pid !== null) {
    throw new BerthError(
      'CONFLICT',
      `the control plane (pid ${pid}) is running on ${config.dataDir}; stop it first, ` +
        'or rotate while it runs with POST /api/v1/system/rotate-secret-key',
    );
  }
  const store = await openFileStore(config.dataDir, {
    secretKey: config.secretKey,
    onMigrated: (summary) => log.info(summary),
    onWarning: (message) => log.warn(message),
  });
  const { keyring } = store;
  let result: RotationResult;
  try {
    if (!keyring) throw new Error('a store on disk always has a keyring');
    result = await rotateSecretKey({ keyring, resealSecrets: () => store.resealSecrets() });
  } finally {
    await store.close();
  }
  // Nothing else has the history open now: drop the bytes sealed under the old key.
  await compactHistoryIfPending(join(config.dataDir, HISTORY_DIR));
  print(describeRotation(result, keyring.keyFile, { showKey: true }));
}

/** What a rotation did and what the operator must do next. */
export function describeRotation(
  result: RotationResult,
  keyFile: string,
  options: { showKey: boolean },
): string {
  const done = `The secrets are now sealed under key id ${result.keyId} (was ${result.previousKeyId}).`;
  if (!result.pendingKeyFile) {
    return `${done}\nThe new key is in ${keyFile}; back it up with the data dir.\n`;
  }
  const where = `It is kept in ${result.pendingKeyFile} (mode 0600) until a start with the new BERTH_SECRET_KEY deletes it.`;
  if (!options.showKey) {
    return `${done}\nSet BERTH_SECRET_KEY to the contents of ${result.pendingKeyFile} and restart. ${where}\n`;
  }
  return (
    `${done}\nSet BERTH_SECRET_KEY to this new key before the next start; it is shown only this once:\n\n` +
    `  ${secretKeyText(result.key.bytes)}\n\n${where}\n`
  );
}
