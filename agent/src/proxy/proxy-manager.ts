import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProxyStatus } from '@berth/protocol';
import type { ProxyConfig } from '../config.js';
import { backoffDelayMs } from '../connection/backoff.js';
import type { Engine } from '../docker/engine.js';
import { describeError, isRetryable } from '../errors.js';
import { writeFileAtomic } from '../atomic-write.js';
import type { Logger } from '../log.js';
import { systemNow, systemSleep, type Now, type Sleep } from '../time.js';
import { createCaddyAdmin, type CaddyAdmin } from './caddy-admin.js';
import {
  ACME_ROOT_FILE,
  ADMIN_SOCKET_FILE,
  CADDY_CONFIG_FILE,
  STORAGE_DIR,
  caddyConfigText,
} from './caddy-config.js';
import { certificateStatuses, type HostCertificate } from './certificates.js';
import {
  PROXY_DIR_LABEL,
  PROXY_SPEC_LABEL,
  attachRouteNetworks,
  ensureProxyImage,
  findProxyContainer,
  proxyContainerSpec,
  proxySpecDigest,
} from './proxy-container.js';
import { readDesired, writeDesired, type ProxyDesired } from './routes-file.js';
import { joinCurrentRelease } from '../jobs/route-network.js';

/** What the agent reports to the control plane as `proxy.status`. */
export interface ProxyReport {
  proxy: ProxyStatus;
  domains: HostCertificate[];
}

export interface ProxyManagerOptions {
  engine: Engine;
  /** The agent's state dir: the proxy folder (mounted at /berth) is `<stateDir>/proxy`. */
  stateDir: string;
  config: ProxyConfig;
  logger: Logger;
  /** Aborts image pulls when the agent stops. */
  signal: AbortSignal;
  /** Called after each sync, and after a check when the proxy or a certificate changed. */
  onReport: (report: ProxyReport) => void;
  now?: Now;
  sleep?: Sleep;
  random?: () => number;
  /** Defaults to Caddy's admin socket in the proxy folder. */
  admin?: CaddyAdmin;
}

// Caddy opens its admin socket within a second of starting; a slow host gets more.
const ADMIN_WAIT_MS = 15_000;
const RETRY_BASE_MS = 2_000;
const RETRY_CAP_MS = 60_000;
const LOG_LINES = 300;
/** How long the proxy's log lines read for certificate errors are reused, in milliseconds. */
const LOGS_TTL_MS = 10_000;
/**
 * Once every HTTPS host has its certificate, the periodic check reads them again only this
 * often (renewals); while one is pending or failed, every check reads them.
 */
const ISSUED_TTL_MS = 60_000;

/**
 * Keeps the server's proxy container in the state the control plane last asked for: running,
 * attached to each route network, serving the rendered Caddy config. It repairs a proxy that
 * stopped or vanished, and reports its state and each HTTPS domain's certificate.
 */
export class ProxyManager {
  readonly #o: ProxyManagerOptions;
  readonly #dir: string;
  readonly #admin: CaddyAdmin;
  readonly #now: Now;
  readonly #sleep: Sleep;
  readonly #random: () => number;
  #desired: ProxyDesired | null = null;
  #queue: Promise<void> = Promise.resolve();
  #containerId: string | null = null;
  /** A proxy existed: finding none (or a stopped one) is a restart, not a first start. */
  #existed = false;
  #restarts = 0;
  #lastRestartAt: string | undefined;
  #written: string | null = null;
  #attached: string | null = null;
  #applied: string | null = null;
  /** The ACME root Caddy was last given; null when unknown. */
  #appliedPem: string | null = null;
  #failures = 0;
  #retryAtMs = 0;
  #lastError: string | null = null;
  #lastReportText: string | null = null;
  #latest: ProxyReport | null = null;
  #logs: { atMs: number; containerId: string; lines: string[] } | null = null;
  #certificates: { atMs: number; key: string; domains: HostCertificate[] } | null = null;
  /** Wakes `untilRoutes` when a sync brings routes. */
  #routesArrived: (() => void) | null = null;

  constructor(options: ProxyManagerOptions) {
    this.#o = options;
    this.#dir = join(options.stateDir, 'proxy');
    this.#admin = options.admin ?? createCaddyAdmin(join(this.#dir, ADMIN_SOCKET_FILE));
    this.#now = options.now ?? systemNow;
    this.#sleep = options.sleep ?? systemSleep;
    this.#random = options.random ?? Math.random;
  }

  /** The last report, to send again after a reconnect; null while the server has no routes. */
  get latest(): ProxyReport | null {
    return this.#latest;
  }

  get proxyDir(): string {
    return this.#dir;
  }

  /** True while the last sync (or the one saved on disk) has routes: the proxy should run. */
  get hasRoutes(): boolean {
    return (this.#desired?.routes.length ?? 0) > 0;
  }

  /**
   * Resolves once there are routes (at once if there are already), or when the signal aborts.
   * A server without domains runs no proxy, so there is nothing to check until a sync.
   */
  untilRoutes(signal: AbortSignal): Promise<void> {
    if (this.hasRoutes || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        this.#routesArrived = null;
        resolve();
      };
      this.#routesArrived = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Loads the last sync saved before the agent stopped, so `check` can repair the proxy. */
  async restore(): Promise<void> {
    const saved = await readDesired(join(this.#dir, 'routes.json'));
    if (saved && this.#desired === null) {
      this.#desired = saved;
      this.#existed = saved.routes.length > 0;
    }
  }

  /** Takes the control plane's whole desired state, applies it, and reports. */
  sync(desired: ProxyDesired): Promise<void> {
    return this.#serial(async () => {
      this.#desired = desired;
      // The loop's next check queues behind this sync, so it sees the applied state.
      if (desired.routes.length > 0) this.#routesArrived?.();
      await mkdir(this.#dir, { recursive: true, mode: 0o700 });
      await writeDesired(join(this.#dir, 'routes.json'), desired);
      this.#failures = 0;
      this.#retryAtMs = 0;
      if (desired.routes.length === 0) {
        await this.#removeProxy();
        return;
      }
      await this.#report(await this.#reconcile(), true);
      await this.#routeCurrentReleases(desired);
    });
  }

  /** Puts on its route network each current release that no release of its service is on yet. */
  async #routeCurrentReleases(desired: ProxyDesired): Promise<void> {
    for (const route of desired.routes) {
      try {
        if (await joinCurrentRelease(this.#o.engine, route)) {
          this.#o.logger.info(`proxy: service ${route.serviceId} is routed to its current release`);
        }
      } catch (err) {
        this.#o.logger.warn(
          `proxy: could not route service ${route.serviceId} to its current release: ${describeError(err)}`,
        );
      }
    }
  }

  /** The periodic check: repairs the proxy if it stopped or vanished, and reports changes. */
  check(): Promise<void> {
    return this.#serial(async () => {
      if (!this.#desired || this.#desired.routes.length === 0) return;
      if (this.#now() < this.#retryAtMs) return;
      await this.#report(await this.#reconcile(), false);
    });
  }

  #serial(task: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(task).catch((err: unknown) => {
      this.#o.logger.error(`the proxy manager failed: ${describeError(err)}`);
    });
    this.#queue = run;
    return run;
  }

  async #reconcile(): Promise<ProxyStatus> {
    const desired = this.#desired!;
    try {
      const text = await this.#writeFiles(desired);
      const id = await this.#ensureRunning();
      const environments = [...new Set(desired.routes.map((r) => r.environmentId))].sort();
      const attachKey = `${id} ${environments.join(',')}`;
      if (this.#attached !== attachKey) {
        await attachRouteNetworks(this.#o.engine, id, environments);
        this.#attached = attachKey;
      }
      await this.#apply(id, text, desired.settings.acmeCaRootPem ?? '');
      if (this.#lastError !== null) this.#o.logger.info('the proxy is running again');
      this.#failures = 0;
      this.#lastError = null;
      return this.#status('running');
    } catch (err) {
      // Engine ids differ on each attempt; without them a repeated failure reads the same.
      const error = describeError(err).replace(/\b[0-9a-f]{64}\b/g, '…');
      if (error !== this.#lastError) this.#o.logger.error(`proxy: ${error}`);
      this.#lastError = error;
      this.#retryAtMs =
        this.#now() +
        backoffDelayMs({
          attempt: this.#failures,
          baseMs: RETRY_BASE_MS,
          capMs: RETRY_CAP_MS,
          random: this.#random,
        });
      this.#failures += 1;
      return { ...this.#status('failed'), error: error.slice(0, 2000) };
    }
  }

  #status(state: ProxyStatus['state']): ProxyStatus {
    return {
      state,
      restarts: this.#restarts,
      ...(this.#lastRestartAt ? { lastRestartAt: this.#lastRestartAt } : {}),
    };
  }

  /** Writes caddy.json (and the ACME root) when they changed; returns the config text. */
  async #writeFiles(desired: ProxyDesired): Promise<string> {
    const text = caddyConfigText({ ...desired, httpsPort: this.#o.config.httpsPort });
    const pem = desired.settings.acmeCaRootPem;
    const key = `${text}\n${pem ?? ''}`;
    if (this.#written === key) return text;
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const pemPath = join(this.#dir, ACME_ROOT_FILE);
    if (pem) await writeFileAtomic(pemPath, pem, 0o600);
    else await rm(pemPath, { force: true });
    await writeFileAtomic(join(this.#dir, CADDY_CONFIG_FILE), text, 0o600);
    this.#written = key;
    return text;
  }

  /** The running proxy's id: created, started or recreated as needed. */
  async #ensureRunning(): Promise<string> {
    const { engine, config, logger } = this.#o;
    let found = await findProxyContainer(engine);
    const digest = proxySpecDigest(config, this.#dir);
    const owner = found?.labels[PROXY_DIR_LABEL];
    if (found && owner !== undefined && owner !== this.#dir) {
      throw new Error(
        `the proxy container ${found.name} on this Docker engine belongs to the agent whose ` +
          `state dir has ${owner}; one engine runs one proxy. Remove it with ` +
          `"docker rm -f ${found.name}" if that agent is gone`,
      );
    }
    if (found && found.labels[PROXY_SPEC_LABEL] !== digest) {
      logger.info('recreating the proxy container: its image, ports or bind address changed');
      await engine.removeContainer(found.id);
      found = null;
      this.#existed = false;
    }
    if (!found) {
      if (this.#existed) this.#countRestart('the proxy container was gone; creating it again');
      const imageId = await ensureProxyImage({
        engine,
        reference: config.image,
        signal: this.#o.signal,
        logger,
      });
      const id = await engine.createContainer(
        proxyContainerSpec({ imageId, proxyDir: this.#dir, config }),
      );
      this.#useContainer(id);
      await this.#start(id);
      if (!this.#existed) logger.info(`started the proxy (${config.image})`);
      this.#existed = true;
      return id;
    }
    if (found.id !== this.#containerId) this.#useContainer(found.id);
    if (found.state !== 'running' && found.state !== 'restarting') {
      if (found.state !== 'created')
        this.#countRestart(`the proxy container was ${found.state}; starting it again`);
      this.#applied = null;
      await this.#start(found.id);
    }
    this.#existed = true;
    return found.id;
  }

  #useContainer(id: string): void {
    this.#containerId = id;
    this.#attached = null;
    this.#applied = null;
  }

  async #start(id: string): Promise<void> {
    const { config } = this.#o;
    try {
      await this.#o.engine.startContainer(id);
    } catch (err) {
      throw new Error(
        `cannot start the proxy container: ${describeError(err)}. ` +
          `It publishes ${config.bind}:${config.httpPort} and ${config.bind}:${config.httpsPort}; ` +
          'free those ports or set BERTH_PROXY_HTTP_PORT, BERTH_PROXY_HTTPS_PORT or BERTH_PROXY_BIND',
        { cause: err },
      );
    }
  }

  #countRestart(why: string): void {
    this.#restarts += 1;
    this.#lastRestartAt = new Date(this.#now()).toISOString();
    this.#o.logger.warn(why);
  }

  /** Posts the config to Caddy unless this container already has it; waits for the socket. */
  async #apply(id: string, text: string, pem: string): Promise<void> {
    const key = `${id}\n${text}`;
    // The same config naming a changed root file: Caddy reads files only when it reloads.
    const force = this.#applied === key && this.#appliedPem !== null && this.#appliedPem !== pem;
    if (this.#applied === key && !force) return;
    const startedAt = this.#now();
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.#admin.load(text, { force });
        break;
      } catch (err) {
        if (!isRetryable(err) || this.#now() - startedAt > ADMIN_WAIT_MS) throw err;
        const delay = backoffDelayMs({ attempt, baseMs: 100, capMs: 1000, random: this.#random });
        await this.#sleep(Math.max(delay, 50), this.#o.signal);
        if (this.#o.signal.aborted) throw err;
      }
    }
    this.#applied = key;
    this.#appliedPem = pem;
  }

  async #report(proxy: ProxyStatus, force: boolean): Promise<void> {
    const routes = this.#desired?.routes ?? [];
    const hosts = routes.flatMap((r) =>
      r.domains.filter((d) => d.https).map((d) => ({ serviceId: r.serviceId, host: d.host })),
    );
    const domains = await this.#certificateStatuses(hosts, force);
    const report: ProxyReport = { proxy, domains };
    this.#latest = report;
    const text = JSON.stringify(report);
    if (!force && text === this.#lastReportText) return;
    this.#lastReportText = text;
    this.#o.onReport(report);
  }

  async #certificateStatuses(
    hosts: { serviceId: string; host: string }[],
    force: boolean,
  ): Promise<HostCertificate[]> {
    const key = JSON.stringify(hosts);
    const cached = this.#certificates;
    const settled = cached?.domains.every((d) => d.certificate === 'issued') ?? false;
    if (!force && settled && cached?.key === key && this.#now() - cached.atMs < ISSUED_TTL_MS) {
      return cached.domains;
    }
    const domains = await certificateStatuses({
      storageDir: join(this.#dir, STORAGE_DIR),
      hosts,
      recentLogs: () => this.#recentLogs(),
    });
    this.#certificates = { atMs: this.#now(), key, domains };
    return domains;
  }

  /** The proxy's last log lines, a long line's parts joined again; read at most every 10 s. */
  async #recentLogs(): Promise<string[]> {
    const containerId = this.#containerId;
    if (!containerId) return [];
    const cached = this.#logs;
    if (cached?.containerId === containerId && this.#now() - cached.atMs < LOGS_TTL_MS)
      return cached.lines;
    const lines: string[] = [];
    for (const part of await this.#o.engine.containerLogs(containerId, LOG_LINES)) {
      if (part.continued && lines.length > 0) lines[lines.length - 1] += part.text;
      else lines.push(part.text);
    }
    this.#logs = { atMs: this.#now(), containerId, lines };
    return lines;
  }

  /** A server without routes runs no proxy. */
  async #removeProxy(): Promise<void> {
    const found = await findProxyContainer(this.#o.engine);
    if (found) {
      await this.#o.engine.removeContainer(found.id);
      this.#o.logger.info('removed the proxy: no service on this server has a domain');
    }
    this.#containerId = null;
    this.#existed = false;
    this.#attached = null;
    this.#applied = null;
    this.#latest = null;
    this.#lastReportText = null;
  }
}
