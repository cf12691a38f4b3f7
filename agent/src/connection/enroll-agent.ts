import { join } from 'node:path';
import { displayUrl, type AgentConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { Sleep } from '../time.js';
import { enrollWithRetry } from './enroll.js';
import { IDENTITY_FILE, loadOrCreateKey, saveIdentity, type AgentIdentity } from './identity.js';

export interface EnrollAgentOptions {
  config: AgentConfig;
  joinToken: string;
  logger: Logger;
  signal: AbortSignal;
  sleep: Sleep;
  random: () => number;
}

/** First start: make (or reuse) the keypair, trade the join token for an id, save the identity. */
export async function enrollAgent(options: EnrollAgentOptions): Promise<AgentIdentity> {
  const { config, logger } = options;
  const key = await loadOrCreateKey(config.stateDir);
  logger.info(
    `enrolling with the control plane at ${displayUrl(config.controlPlaneUrl)} as "${config.name}"`,
  );
  const enrolled = await enrollWithRetry({
    controlPlaneUrl: config.controlPlaneUrl,
    joinToken: options.joinToken,
    name: config.name,
    publicKeyBase64: key.publicKeyBase64,
    signal: options.signal,
    logger,
    sleep: options.sleep,
    random: options.random,
    capMs: config.reconnectMaxMs,
  });
  await saveIdentity(config.stateDir, enrolled);
  logger.info(
    `enrolled as "${enrolled.name}" (${enrolled.agentId}); identity saved in ` +
      `${join(config.stateDir, IDENTITY_FILE)}, so later starts need no join token`,
  );
  return { agentId: enrolled.agentId, name: enrolled.name, privateKey: key.privateKey };
}
