import { Hono } from 'hono';
import { BerthError } from '../errors.js';
import { describeRotation } from '../secrets/rotate-command.js';
import { rotateSecretKey } from '../secrets/rotation.js';
import type { AppDeps } from './deps.js';

/**
 * `POST /api/v1/system/rotate-secret-key`: seals every stored secret under a new key while the
 * control plane runs. The answer never holds a key: with BERTH_SECRET_KEY, the new key waits in
 * `secret.key.next` in the data dir for the operator to move it into the environment.
 */
export function secretKeyRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.post('/system/rotate-secret-key', async (c) => {
    const { store, log } = deps;
    const { keyring } = store;
    if (!keyring) {
      throw new BerthError(
        'CONFLICT',
        'this control plane keeps its records in memory; there is no key to rotate',
      );
    }
    const result = await rotateSecretKey({ keyring, resealSecrets: () => store.resealSecrets() });
    log.info(`secrets sealed under new key id ${result.keyId} (was ${result.previousKeyId})`);
    return c.json({
      keyId: result.keyId,
      previousKeyId: result.previousKeyId,
      keySource: result.source,
      ...(result.pendingKeyFile ? { pendingKeyFile: result.pendingKeyFile } : {}),
      message: describeRotation(result, keyring.keyFile, { showKey: false }).trim(),
    });
  });
  return app;
}
