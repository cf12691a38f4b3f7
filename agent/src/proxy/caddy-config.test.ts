import { domainSchema, type DomainInput, type ProxyRoute } from '@berth/protocol';
import { describe, expect, it } from 'vitest';
import { caddyConfigText, renderCaddyConfig, type CaddyConfigInput } from './caddy-config.js';

const route = (serviceId: string, domains: DomainInput[], environmentId = 'env1'): ProxyRoute => ({
  serviceId,
  environmentId,
  domains: domains.map((d) => domainSchema.parse(d)),
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const servers = (config: Json): Json => config.apps.http.servers;
const render = (input: CaddyConfigInput): Json => renderCaddyConfig(input);
const hostsOf = (routes: Json[]) => routes.map((r) => r.match?.[0].host[0] ?? '*');

describe('renderCaddyConfig', () => {
  const routes = [
    route('svc_web', [{ host: 'www.example.com', port: 8080 }]),
    route('svc_api', [
      { host: 'api.example.com', port: 3000, redirectHttp: false },
      { host: 'plain.example.com', port: 3001, https: false },
      { host: 'intra.example.com', port: 3000, tls: 'internal' },
    ]),
  ];

  it('sends each HTTPS host to its service route alias, without keep-alive, retrying dials', () => {
    const config = render({ routes, settings: {}, httpsPort: 443 });
    const https = servers(config)['berth-https'];
    expect(https.listen).toEqual([':443']);
    expect(hostsOf(https.routes)).toEqual([
      'api.example.com',
      'intra.example.com',
      'www.example.com',
      '*',
    ]);
    expect(https.routes[2].handle).toEqual([
      {
        handler: 'reverse_proxy',
        upstreams: [{ dial: 'berth-route-svc-web:8080' }],
        transport: { protocol: 'http', keep_alive: { enabled: false }, dial_timeout: '2s' },
        load_balancing: { try_duration: '5s', try_interval: '100ms' },
      },
    ]);
    expect(https.routes[3]).toMatchObject({
      handle: [{ handler: 'static_response', status_code: 404 }],
      terminal: true,
    });
    expect(config.apps.http).toMatchObject({ http_port: 80, https_port: 443 });
  });

  it('redirects plain HTTP to HTTPS, and proxies HTTP-only and non-redirecting hosts', () => {
    const config = render({ routes, settings: {}, httpsPort: 443 });
    const http = servers(config)['berth-http'];
    expect(http.listen).toEqual([':80']);
    expect(http.automatic_https).toEqual({ disable_redirects: true });
    expect(hostsOf(http.routes)).toEqual([
      'api.example.com',
      'intra.example.com',
      'plain.example.com',
      'www.example.com',
      '*',
    ]);
    const handlers = http.routes.map((r: Json) => r.handle[0].handler);
    expect(handlers).toEqual([
      'reverse_proxy',
      'static_response',
      'reverse_proxy',
      'static_response',
      'static_response',
    ]);
    expect(http.routes[1].handle[0]).toEqual({
      handler: 'static_response',
      status_code: 308,
      headers: { Location: ['https://{http.request.host}{http.request.uri}'] },
    });
    expect(http.routes[2].handle[0].upstreams).toEqual([{ dial: 'berth-route-svc-api:3001' }]);
  });

  it('names the published HTTPS port in redirects when it is not 443', () => {
    const config = render({ routes, settings: {}, httpsPort: 8443 });
    expect(servers(config)['berth-http'].routes[1].handle[0].headers.Location).toEqual([
      'https://{http.request.host}:8443{http.request.uri}',
    ]);
  });

  it('gets certificates from the configured ACME CA, and internal ones from Caddy', () => {
    const config = render({
      routes,
      settings: {
        acmeCa: 'https://172.17.0.1:14000/dir',
        acmeCaRootPem: '-----BEGIN CERTIFICATE-----\n',
        acmeEmail: 'ops@example.com',
      },
      httpsPort: 443,
    });
    expect(config.apps.tls.automation.policies).toEqual([
      { subjects: ['intra.example.com'], issuers: [{ module: 'internal' }] },
      {
        subjects: ['api.example.com', 'www.example.com'],
        issuers: [
          {
            module: 'acme',
            ca: 'https://172.17.0.1:14000/dir',
            email: 'ops@example.com',
            trusted_roots_pem_files: ['/berth/acme-ca-root.pem'],
          },
        ],
      },
    ]);
    const plain = render({ routes, settings: {}, httpsPort: 443 });
    expect(plain.apps.tls.automation.policies[1].issuers).toEqual([{ module: 'acme' }]);
  });

  it('uses the admin socket and storage in the mounted folder', () => {
    const config = render({ routes, settings: {}, httpsPort: 443 });
    expect(config.admin).toEqual({ listen: 'unix//berth/admin.sock' });
    expect(config.storage).toEqual({ module: 'file_system', root: '/berth/data' });
  });

  it('serves no HTTPS and asks no certificate when every domain is HTTP-only', () => {
    const config = render({
      routes: [route('svc_a', [{ host: 'a.example.com', port: 80, https: false }])],
      settings: {},
      httpsPort: 443,
    });
    expect(Object.keys(servers(config))).toEqual(['berth-http']);
    expect(config.apps.tls).toBeUndefined();
  });

  it('renders the same bytes whatever order the routes come in', () => {
    const input = { settings: {}, httpsPort: 443 };
    expect(caddyConfigText({ ...input, routes })).toBe(
      caddyConfigText({ ...input, routes: [...routes].reverse() }),
    );
  });
});
