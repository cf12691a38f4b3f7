import type { AgentMessageInput } from '@berth/protocol';
import type { AgentConfig } from '../config.js';
import type { AgentConnection } from '../connection/agent-connection.js';
import type { Engine } from '../docker/engine.js';
import type { Logger } from '../log.js';
import { systemSleep } from '../time.js';
import type { CaddyAdmin } from './caddy-admin.js';
import { runProxyLoop } from './proxy-loop.js';
import { ProxyManager, type ProxyReport } from './proxy-manager.js';

export interface ProxySystem {
  manager: ProxyManager;
  /** Hands `proxy.sync` to the manager; sends the latest `proxy.status` after each reconnect. */
  attach(connection: AgentConnection): void;
  /** Stops checking the proxy; the proxy container keeps serving. */
  stop(): Promise<void>;
}

/**
 * Starts the proxy manager from the last sync saved on disk (a killed proxy is repaired before
 * the control plane is back) and its 2-second check loop.
 */
export async function startProxySystem(options: {
  config: AgentConfig;
  engine: Engine;
  logger: Logger;
  signal: AbortSignal;
  /** Sends to the control plane; false when not connected (the latest goes again on connect). */
  send: (message: AgentMessageInput) => boolean;
  /** Caddy's admin API; the socket in the proxy folder by default. */
  admin?: CaddyAdmin;
}): Promise<ProxySystem> {
  const { config, engine, logger, send } = options;
  const statusMessage = (report: ProxyReport): AgentMessageInput => ({
    type: 'proxy.status',
    proxy: report.proxy,
    domains: report.domains,
  });
  const manager = new ProxyManager({
    engine,
    stateDir: config.stateDir,
    config: config.proxy,
    logger,
    signal: options.signal,
    onReport: (report) => void send(statusMessage(report)),
    ...(options.admin ? { admin: options.admin } : {}),
  });
  await manager.restore();
  const loop = new AbortController();
  options.signal.addEventListener('abort', () => loop.abort(), { once: true });
  const done = runProxyLoop({ signal: loop.signal, manager, sleep: systemSleep });

  return {
    manager,
    attach(connection) {
      connection.on('proxy.sync', (message) => {
        void manager.sync({ settings: message.settings, routes: message.routes });
      });
      connection.on('connected', () => {
        const latest = manager.latest;
        if (latest) send(statusMessage(latest));
      });
    },
    async stop() {
      loop.abort();
      await done;
    },
  };
}
