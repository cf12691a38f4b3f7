import { request as httpRequest } from 'node:http';
import { connect } from 'node:tls';
import { CADDY_REGISTRY_IMAGE } from './caddy-image.js';

// The app behind the proxy in the proxy tests: Caddy's file-server (busybox httpd stalls
// near 125 requests/s), built FROM the proxy test image in the test registry. Its page
// names the release: the version baked into the commit and the container's hostname
// (Docker sets HOSTNAME to the container's short id), so each answer says who gave it.

/** The port the app listens on inside its container. */
export const PROXY_APP_PORT = 8080;

/** `buildSleepSeconds` adds a slow build step, for a release to cancel while it builds. */
export function proxyAppFiles(version: string, buildSleepSeconds = 0): Record<string, string> {
  return {
    Dockerfile: [
      `FROM ${CADDY_REGISTRY_IMAGE}`,
      ...(buildSleepSeconds > 0 ? [`RUN sleep ${buildSleepSeconds}`] : []),
      'COPY Caddyfile /etc/caddy/Caddyfile',
      'COPY site /srv',
      `EXPOSE ${PROXY_APP_PORT}`,
      'CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]',
      '',
    ].join('\n'),
    Caddyfile: [
      '{',
      '\tadmin off',
      '\tauto_https off',
      '}',
      `:${PROXY_APP_PORT} {`,
      '\troot * /srv',
      '\ttemplates',
      '\tfile_server',
      '}',
      '',
    ].join('\n'),
    'site/index.html': `${version} {{env "HOSTNAME"}}\n`,
  };
}

/** The version and container short id an answer names. */
export function releaseOf(body: string): { version: string; container: string } {
  const [version = '', container = ''] = body.trim().split(/\s+/);
  return { version, container };
}

export interface PlainAnswer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTP GET to 127.0.0.1:<port> with the Host header, on a new connection. */
export function getVia(port: number, host: string, path = '/'): Promise<PlainAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, headers: { host }, agent: false, timeout: 5_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${host}${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export interface TlsAnswer {
  status: number;
  body: string;
  /** The certificate the proxy presented, as node:tls sees it. */
  peer: { subjectaltname?: string; issuerCN: string; valid_to: string };
  authorized: boolean;
}

/**
 * One HTTPS GET to 127.0.0.1:<port> with SNI and Host = `host`, trusting only `ca`. A
 * certificate that does not chain to `ca` or does not name `host` fails the request.
 */
export function getTls(port: number, host: string, ca: string, path = '/'): Promise<TlsAnswer> {
  return new Promise((resolve, reject) => {
    let peer: TlsAnswer['peer'] = { issuerCN: '', valid_to: '' };
    const socket = connect({ host: '127.0.0.1', port, servername: host, ca }, () => {
      const cert = socket.getPeerCertificate();
      peer = {
        subjectaltname: cert.subjectaltname,
        issuerCN: String(cert.issuer?.CN ?? ''),
        valid_to: cert.valid_to,
      };
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    });
    let raw = '';
    socket.setEncoding('utf8');
    socket.setTimeout(5_000, () => socket.destroy(new Error(`HTTPS ${host} timed out`)));
    socket.on('data', (chunk: string) => (raw += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', ...rest] = raw.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({
        status,
        body: decodeChunked(head, rest.join('\r\n\r\n')),
        peer,
        authorized: socket.authorized,
      });
    });
  });
}

function decodeChunked(head: string, body: string): string {
  if (!/transfer-encoding:\s*chunked/i.test(head)) return body;
  let out = '';
  let rest = body;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    if (eol < 0) return out;
    const size = parseInt(rest.slice(0, eol), 16);
    if (!size) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}
