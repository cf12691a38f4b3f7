import type { Domain, DomainStatus, ProxyStatus } from '@berth/protocol';

/** One server's last `proxy.status`: its proxy, and its certificates keyed by service then host. */
interface ServerProxyReport {
  proxy: ProxyStatus;
  certificates: Map<string, Map<string, DomainStatus>>;
}

export interface ProxyStatusReport {
  proxy: ProxyStatus;
  domains: ReadonlyArray<DomainStatus & { serviceId: string }>;
}

/**
 * What each server's proxy last reported, kept in memory: agents report again after every
 * `proxy.sync`, which they get on each connection, so a restart of the control plane loses nothing
 * for long.
 */
export class ProxyStatuses {
  readonly #byServer = new Map<string, ServerProxyReport>();

  /** Replaces the server's report with this one; returns the services named in either. */
  record(serverId: string, report: ProxyStatusReport): Set<string> {
    const named = new Set(this.#byServer.get(serverId)?.certificates.keys());
    const certificates = new Map<string, Map<string, DomainStatus>>();
    for (const { serviceId, ...status } of report.domains) {
      let hosts = certificates.get(serviceId);
      if (!hosts) certificates.set(serviceId, (hosts = new Map()));
      hosts.set(status.host, status);
    }
    this.#byServer.set(serverId, { proxy: report.proxy, certificates });
    for (const serviceId of certificates.keys()) named.add(serviceId);
    return named;
  }

  proxyOf(serverId: string): ProxyStatus | undefined {
    return this.#byServer.get(serverId)?.proxy;
  }

  /**
   * The certificate of each HTTPS domain of the service, as its server's proxy reported it; a
   * domain the proxy has not reported yet is `pending`.
   */
  domainStatusOf(
    serverId: string,
    service: { id: string; domains?: readonly Domain[] | undefined },
  ): DomainStatus[] {
    const reported = this.#byServer.get(serverId)?.certificates.get(service.id);
    return (service.domains ?? [])
      .filter((domain) => domain.https)
      .map((domain) => reported?.get(domain.host) ?? { host: domain.host, certificate: 'pending' });
  }

  /** Drops a deleted server's report. */
  forget(serverId: string): void {
    this.#byServer.delete(serverId);
  }
}
