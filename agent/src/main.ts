import { loadConfig } from './config.js';
import { createDockerEngine } from './docker/docker-engine.js';
import { createDockerRuntime } from './docker/docker-runtime.js';
import { startJobSystem } from './jobs/job-system.js';
import { describeError } from './errors.js';
import { createLogger } from './log.js';
import { runAgent } from './run-agent.js';

// A stuck shutdown must not keep a stopped service alive.
const FORCE_EXIT_MS = 10_000;

const logger = createLogger();
const config = loadConfig(process.env);
if (!config.ok) {
  logger.error('the agent configuration is invalid:');
  for (const error of config.errors) logger.error(`  ${error}`);
  process.exit(1);
}

const shutdown = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info(`${signal} received; shutting down`);
    shutdown.abort();
    setTimeout(() => process.exit(0), FORCE_EXIT_MS).unref();
  });
}

try {
  const jobs = await startJobSystem({
    config: config.config,
    engine: createDockerEngine(),
    logger,
    signal: shutdown.signal,
  });
  await runAgent({
    config: config.config,
    logger,
    docker: createDockerRuntime(),
    signal: shutdown.signal,
    onConnection: (connection) => jobs.attach(connection),
    runningJobs: () => jobs.runner.runningCount,
    heldJobs: () => jobs.runner.heldJobs(),
  });
  await jobs.stop();
  logger.info('stopped');
  process.exit(0);
} catch (err) {
  logger.error(describeError(err));
  process.exit(1);
}
