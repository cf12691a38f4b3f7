import { routeAlias, type Domain, type ProxyRoute, type ProxySettings } from '@berth/protocol';

/** Where the agent's proxy folder appears inside the proxy container. */
export const PROXY_MOUNT = '/berth';
export const CADDY_CONFIG_FILE = 'caddy.json';
export const ADMIN_SOCKET_FILE = 'admin.sock';
export const ACME_ROOT_FILE = 'acme-ca-root.pem';
/** Caddy's storage (certificates, ACME accounts), under the proxy folder. */
export const STORAGE_DIR = 'data';

const CONTAINER_HTTP_PORT = 80;
const CONTAINER_HTTPS_PORT = 443;

export interface CaddyConfigInput {
  routes: ProxyRoute[];
  settings: ProxySettings;
  /** The host port HTTPS is published on: a redirect names it unless it is 443. */
  httpsPort: number;
}

type Json = Record<string, unknown>;

interface HostRoute {
  serviceId: string;
  domain: Domain;
}

/** Every domain of every route, in a stable order so the same state renders the same bytes. */
function hostRoutes(routes: ProxyRoute[]): HostRoute[] {
  return routes
    .flatMap((route) => route.domains.map((domain) => ({ serviceId: route.serviceId, domain })))
    .sort((a, b) => (a.domain.host < b.domain.host ? -1 : a.domain.host > b.domain.host ? 1 : 0));
}

/**
 * Requests for the host go to whichever container carries the service's route alias now: Go
 * resolves the name on each dial, so a release switches traffic without a config reload.
 * No keep-alive, so no pooled connection outlives a switch; a refused dial (the old release
 * closing) is retried for a few seconds, which reaches the new one.
 */
function proxyRoute({ serviceId, domain }: HostRoute): Json {
  return {
    match: [{ host: [domain.host] }],
    handle: [
      {
        handler: 'reverse_proxy',
        upstreams: [{ dial: `${routeAlias(serviceId)}:${domain.port}` }],
        transport: { protocol: 'http', keep_alive: { enabled: false }, dial_timeout: '2s' },
        load_balancing: { try_duration: '5s', try_interval: '100ms' },
      },
    ],
    terminal: true,
  };
}

function redirectRoute(host: string, httpsPort: number): Json {
  const port = httpsPort === CONTAINER_HTTPS_PORT ? '' : `:${httpsPort}`;
  return {
    match: [{ host: [host] }],
    handle: [
      {
        handler: 'static_response',
        status_code: 308,
        headers: { Location: [`https://{http.request.host}${port}{http.request.uri}`] },
      },
    ],
    terminal: true,
  };
}

/** Hosts the proxy serves no route for get a plain 404, not Caddy's empty 200. */
const NOT_FOUND_ROUTE: Json = {
  handle: [{ handler: 'static_response', status_code: 404, body: 'no such site\n' }],
  terminal: true,
};

function tlsPolicies(https: HostRoute[], settings: ProxySettings): Json[] {
  const internal = https.filter((r) => r.domain.tls === 'internal').map((r) => r.domain.host);
  const acme = https.filter((r) => r.domain.tls === 'acme').map((r) => r.domain.host);
  const policies: Json[] = [];
  if (internal.length > 0) policies.push({ subjects: internal, issuers: [{ module: 'internal' }] });
  if (acme.length > 0) {
    policies.push({
      subjects: acme,
      issuers: [
        {
          module: 'acme',
          ...(settings.acmeCa ? { ca: settings.acmeCa } : {}),
          ...(settings.acmeEmail ? { email: settings.acmeEmail } : {}),
          ...(settings.acmeCaRootPem
            ? { trusted_roots_pem_files: [`${PROXY_MOUNT}/${ACME_ROOT_FILE}`] }
            : {}),
        },
      ],
    });
  }
  return policies;
}

/**
 * The whole Caddy configuration for a server's routes: an HTTPS server for the domains with
 * certificates, and an HTTP server that redirects them (or serves HTTP-only domains). Caddy
 * answers ACME HTTP-01 challenges on :80 itself, before these routes. Pure: the same input
 * gives the same JSON.
 */
export function renderCaddyConfig({ routes, settings, httpsPort }: CaddyConfigInput): Json {
  const all = hostRoutes(routes);
  const https = all.filter((r) => r.domain.https);
  const httpRoutes = all.map((r) =>
    r.domain.https && r.domain.redirectHttp
      ? redirectRoute(r.domain.host, httpsPort)
      : proxyRoute(r),
  );
  const servers: Json = {};
  if (https.length > 0) {
    servers['berth-https'] = {
      listen: [`:${CONTAINER_HTTPS_PORT}`],
      routes: [...https.map(proxyRoute), NOT_FOUND_ROUTE],
    };
  }
  servers['berth-http'] = {
    listen: [`:${CONTAINER_HTTP_PORT}`],
    automatic_https: { disable_redirects: true },
    routes: [...httpRoutes, NOT_FOUND_ROUTE],
  };
  const policies = tlsPolicies(https, settings);
  return {
    admin: { listen: `unix/${PROXY_MOUNT}/${ADMIN_SOCKET_FILE}` },
    storage: { module: 'file_system', root: `${PROXY_MOUNT}/${STORAGE_DIR}` },
    // JSON lines on stderr: the agent reads certificate failures from them.
    logging: { logs: { default: { encoder: { format: 'json' }, level: 'INFO' } } },
    apps: {
      http: { http_port: CONTAINER_HTTP_PORT, https_port: CONTAINER_HTTPS_PORT, servers },
      ...(policies.length > 0 ? { tls: { automation: { policies } } } : {}),
    },
  };
}

/** The rendered configuration as the bytes written to caddy.json and posted to /load. */
export function caddyConfigText(input: CaddyConfigInput): string {
  return `${JSON.stringify(renderCaddyConfig(input), null, 2)}\n`;
}
