// Wiring only: configuration, admin token, start, and signal handling; or one command.
import { resolveAdminToken } from './admin-token.js';
import { loadConfig } from './config.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { describeError } from './errors.js';
import { createConsoleLogger } from './log.js';
import { rotateSecretKeyCommand } from './secrets/rotate-command.js';

const USAGE = 'usage: node control-plane/dist/main.js [rotate-secret-key]';

// A shutdown that takes longer than this is cut short.
const SHUTDOWN_TIMEOUT_MS = 10_000;

async function main(): Promise<void> {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    console.error(loaded.message);
    process.exit(1);
  }
  const { config } = loaded;
  const log = createConsoleLogger();
  const command = process.argv[2];
  if (command === 'rotate-secret-key') {
    try {
      await rotateSecretKeyCommand({ config, log, print: (text) => process.stdout.write(text) });
    } catch (err) {
      log.error(`could not rotate the secret key: ${describeError(err)}`);
      process.exit(1);
    }
    return;
  }
  if (command !== undefined) {
    console.error(`unknown command ${JSON.stringify(command)}; ${USAGE}`);
    process.exit(2);
  }

  let controlPlane: ControlPlane;
  try {
    const admin = await resolveAdminToken(config);
    if (admin.savedTo) console.log(`Admin token (saved to ${admin.savedTo}): ${admin.token}`);
    if (admin.token.length < 16)
      log.warn('BERTH_ADMIN_TOKEN is shorter than 16 characters; use a longer one');
    controlPlane = await startControlPlane({ config, adminToken: admin.token, log });
  } catch (err) {
    log.error(`could not start: ${describeError(err)}`);
    process.exit(1);
  }
  log.info(
    `control plane listening on http://${config.host}:${controlPlane.port} (data in ${config.dataDir})`,
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      process.exit(0);
    }
    stopping = true;
    log.info(`${signal} received; shutting down`);
    setTimeout(() => {
      log.warn(`shutdown took over ${SHUTDOWN_TIMEOUT_MS} ms; exiting`);
      process.exit(0);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    controlPlane.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error(`shutdown failed: ${describeError(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(`control plane failed: ${describeError(err)}`);
  process.exit(1);
});
