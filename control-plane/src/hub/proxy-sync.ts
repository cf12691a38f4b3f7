import type { ControlPlaneMessage, ProxyRoute, ProxySettings } from '@berth/protocol';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { AgentHandlers } from './agent-routes.js';
import type { AgentSessions } from './hub.js';

/** The first protocol whose agents run a proxy and understand `proxy.sync`. */
const PROXY_PROTOCOL = { major: 1, minor: 2 };

/** Whether an agent speaking this protocol version ("1.2", "1.10", "2.0") runs a proxy. */
export function supportsProxy(protocolVersion: string): boolean {
  const match = /^(\d+)\.(\d+)/.exec(protocolVersion);
  if (!match) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return (
    major > PROXY_PROTOCOL.major ||
    (major === PROXY_PROTOCOL.major && minor >= PROXY_PROTOCOL.minor)
  );
}

/** What the proxy of a server routes: every service there with at least one domain. */
export function proxyRoutesOn(store: Store, serverId: string): ProxyRoute[] {
  return store.services
    .configsOnServer(serverId)
    .filter((service) => (service.domains ?? []).length > 0)
    .map((service) => ({
      serviceId: service.id,
      environmentId: service.environmentId,
      domains: service.domains ?? [],
    }));
}

export interface ProxySyncOptions {
  store: Store;
  sessions: Pick<AgentSessions, 'send'>;
  settings: ProxySettings;
  log: Logger;
  /** Told about each service whose certificates a report may have changed (the live views). */
  onServiceChanged?: (serviceId: string) => void;
}

/**
 * Keeps each server's proxy in step with the services' domains. It sends the whole desired state
 * (`proxy.sync`) after an agent's welcome and again whenever that server's routes change, and
 * records the `proxy.status` the agents send back.
 */
export class ProxySync {
  readonly #options: ProxySyncOptions;
  /** The protocol version of each server's agent, as its last hello said. */
  readonly #versions = new Map<string, string>();

  constructor(options: ProxySyncOptions) {
    this.#options = options;
  }

  /** After the welcome: agents of protocol 1.2 or later get their routes. */
  welcomed(serverId: string, protocolVersion: string): void {
    this.#versions.set(serverId, protocolVersion);
    this.syncServer(serverId);
  }

  /**
   * Sends the server's routes to its agent if it is connected and runs a proxy; false otherwise
   * (it gets them on its next connection).
   */
  syncServer(serverId: string): boolean {
    const version = this.#versions.get(serverId);
    if (version === undefined || !supportsProxy(version)) return false;
    const message: ControlPlaneMessage = {
      type: 'proxy.sync',
      settings: this.#options.settings,
      routes: proxyRoutesOn(this.#options.store, serverId),
    };
    return this.#options.sessions.send(serverId, message);
  }

  /** Tells the proxy of the service's server, when the service's domains have changed. */
  serviceChanged(serviceId: string): void {
    const { store } = this.#options;
    const service = store.services.config(serviceId);
    const environment = service && store.environments.get(service.environmentId);
    if (environment) this.syncServer(environment.serverId);
  }

  handlers(): AgentHandlers {
    return {
      'proxy.status': (serverId, message) => {
        const previous = this.#options.store.proxies.proxyOf(serverId);
        const named = this.#options.store.proxies.record(serverId, message);
        for (const serviceId of named) this.#options.onServiceChanged?.(serviceId);
        if (message.proxy.state === 'failed' && previous?.state !== 'failed') {
          this.#options.log.warn(
            `the proxy of server ${serverId} failed: ${message.proxy.error ?? 'no reason given'}`,
          );
        }
      },
    };
  }
}
