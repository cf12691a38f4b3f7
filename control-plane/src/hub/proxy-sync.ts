import {
  protocolAtLeast,
  type ControlPlaneMessage,
  type ProxyRoute,
  type ProxySettings,
} from '@berth/protocol';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { AgentHandlers } from './agent-routes.js';
import type { AgentSessions } from './hub.js';

/** Whether an agent speaking this protocol version runs a proxy: `proxy.sync` came in 1.2. */
export function supportsProxy(protocolVersion: string): boolean {
  return protocolAtLeast(protocolVersion, '1.2');
}

/**
 * What the proxy of a server routes: every service there with at least one domain, with the
 * deployment serving it now.
 */
export async function proxyRoutesOn(store: Store, serverId: string): Promise<ProxyRoute[]> {
  const services = store.services
    .configsOnServer(serverId)
    .filter((service) => (service.domains ?? []).length > 0);
  return Promise.all(
    services.map(async (service) => {
      const { currentDeploymentId } = await store.history.serviceState(service.id);
      return {
        serviceId: service.id,
        environmentId: service.environmentId,
        domains: service.domains ?? [],
        ...(currentDeploymentId ? { currentDeploymentId } : {}),
      };
    }),
  );
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
    this.#syncInBackground(serverId);
  }

  /**
   * Sends the server's routes to its agent if it is connected and runs a proxy; false otherwise
   * (it gets them on its next connection). A server left without routes has no proxy to report.
   */
  async syncServer(serverId: string): Promise<boolean> {
    const version = this.#versions.get(serverId);
    if (version === undefined || !supportsProxy(version)) return false;
    const routes = await proxyRoutesOn(this.#options.store, serverId);
    const message: ControlPlaneMessage = {
      type: 'proxy.sync',
      settings: this.#options.settings,
      routes,
    };
    const sent = this.#options.sessions.send(serverId, message);
    if (sent && routes.length === 0) this.#options.store.proxies.forget(serverId);
    return sent;
  }

  /** Tells the proxy of the service's server, when the service's domains have changed. */
  serviceChanged(serviceId: string): void {
    const { store } = this.#options;
    const service = store.services.config(serviceId);
    const environment = service && store.environments.get(service.environmentId);
    if (environment) this.#syncInBackground(environment.serverId);
  }

  #syncInBackground(serverId: string): void {
    this.syncServer(serverId).catch((err: unknown) => {
      this.#options.log.warn(
        `could not send server ${serverId} its routes: ${err instanceof Error ? err.message : String(err)}`,
      );
    });
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
