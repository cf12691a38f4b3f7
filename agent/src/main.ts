import { loadConfig } from './config.js';
import { createDockerEngine } from './docker/docker-engine.js';
import { startJobSystem, type JobSystem } from './job-system.js';
import { describeError } from './errors.js';
import { createLogger } from './log.js';
import { runAgent } from './run-agent.js';

// Once jobs are cancelled, a stuck shutdown must not keep the process alive.
const FORCE_EXIT_MS = 30_000;

const logger = createLogger();
const config = loadConfig(process.env);
if (!config.ok) {
  logger.error('the agent configuration is invalid:');
  for (const error of config.errors) logger.error(`  ${error}`);
  process.exit(1);
}

const shutdown = new AbortController();
let jobs: JobSystem | undefined;
let stopping = false;

/**
 * The first SIGTERM lets running deployments finish (the connection stays up so
 * their logs and outcomes arrive); a second one cancels them, which restores
 * each service's previous release, and stops at once.
 */
function onStopSignal(signal: NodeJS.Signals): void {
  const running = jobs?.runner.runningCount ?? 0;
  if (!stopping && running > 0) {
    stopping = true;
    logger.info(
      `${signal} received; waiting for ${running} running job(s) to finish (send it again to cancel them)`,
    );
    void jobs?.runner.drain().then(() => shutdown.abort());
    return;
  }
  logger.info(`${signal} received; shutting down`);
  shutdown.abort();
  setTimeout(() => process.exit(0), FORCE_EXIT_MS).unref();
}
process.on('SIGTERM', onStopSignal);
process.on('SIGINT', onStopSignal);

const docker = createDockerEngine();
try {
  jobs = await startJobSystem({
    config: config.config,
    engine: docker,
    logger,
    signal: shutdown.signal,
  });
  await runAgent({
    config: config.config,
    logger,
    docker,
    signal: shutdown.signal,
    onConnection: (connection) => jobs?.attach(connection),
    runningJobs: () => jobs?.runner.runningCount ?? 0,
    heldJobs: () => jobs?.runner.heldJobs() ?? [],
  });
  await jobs.stop();
  logger.info('stopped');
  process.exit(0);
} catch (err) {
  logger.error(describeError(err));
  process.exit(1);
}
