import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { controlPlaneEndpoint, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const result = loadConfig({ BERTH_CONTROL_PLANE_URL: 'https://berth.example.com/' });
    expect(result).toEqual({
      ok: true,
      config: {
        controlPlaneUrl: new URL('https://berth.example.com'),
        joinToken: undefined,
        stateDir: '/var/lib/berth-agent',
        statusPort: 7071,
        name: hostname(),
        reconnectMaxMs: 30_000,
        keepImages: 5,
        pruneSchedule: '17 * * * *',
        proxy: { image: 'caddy:2', httpPort: 80, httpsPort: 443, bind: '0.0.0.0' },
      },
    });
  });

  it('reads every variable', () => {
    const result = loadConfig({
      BERTH_CONTROL_PLANE_URL: 'http://10.0.0.5:8080',
      BERTH_JOIN_TOKEN: 'jt_abc',
      BERTH_AGENT_STATE_DIR: '/srv/berth',
      BERTH_AGENT_STATUS_PORT: '9000',
      BERTH_AGENT_NAME: 'web-1',
      BERTH_AGENT_RECONNECT_MAX_MS: '5000',
    });
    expect(result.ok && result.config).toMatchObject({
      joinToken: 'jt_abc',
      stateDir: '/srv/berth',
      statusPort: 9000,
      name: 'web-1',
      reconnectMaxMs: 5000,
    });
  });

  it('names each bad variable and how to fix it, without echoing values', () => {
    const result = loadConfig({
      BERTH_CONTROL_PLANE_URL: 'ftp://secret-host',
      BERTH_JOIN_TOKEN: 'x'.repeat(300),
      BERTH_AGENT_STATUS_PORT: '70000',
      BERTH_AGENT_NAME: 'bad\u0007name',
      BERTH_AGENT_RECONNECT_MAX_MS: 'soon',
    });
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(errors).toHaveLength(5);
    expect(errors[0]).toMatch(/^BERTH_CONTROL_PLANE_URL must use http:\/\/ or https:\/\//);
    expect(errors[1]).toMatch(/^BERTH_JOIN_TOKEN is too long/);
    expect(errors[2]).toMatch(
      /^BERTH_AGENT_STATUS_PORT must be between 0 and 65535; set it to a free TCP port/,
    );
    expect(errors[3]).toMatch(/^BERTH_AGENT_NAME must not contain control characters; set it to/);
    expect(errors[4]).toMatch(/^BERTH_AGENT_RECONNECT_MAX_MS must be a whole number; set it to/);
    expect(errors.join('\n')).not.toContain('xxxx');
    expect(errors.join('\n')).not.toContain('secret-host');
  });

  it('requires the control plane URL and refuses URLs with credentials', () => {
    const missing = loadConfig({});
    expect(!missing.ok && missing.errors).toEqual([
      expect.stringMatching(
        /^BERTH_CONTROL_PLANE_URL is required: set it to the control plane base URL/,
      ),
    ]);
    const withCredentials = loadConfig({ BERTH_CONTROL_PLANE_URL: 'https://user:pw@cp.example' });
    expect(!withCredentials.ok && withCredentials.errors[0]).toMatch(/without credentials/);
    const notAUrl = loadConfig({ BERTH_CONTROL_PLANE_URL: 'cp.example' });
    expect(!notAUrl.ok && notAUrl.errors[0]).toMatch(/is not a valid URL/);
  });

  it('reads the proxy settings and refuses a bad image, port or address', () => {
    const result = loadConfig({
      BERTH_CONTROL_PLANE_URL: 'http://cp:8080',
      BERTH_PROXY_IMAGE: '127.0.0.1:5000/berth-test/caddy:latest',
      BERTH_PROXY_HTTP_PORT: '8080',
      BERTH_PROXY_HTTPS_PORT: '8443',
      BERTH_PROXY_BIND: '127.0.0.1',
    });
    expect(result.ok && result.config.proxy).toEqual({
      image: '127.0.0.1:5000/berth-test/caddy:latest',
      httpPort: 8080,
      httpsPort: 8443,
      bind: '127.0.0.1',
    });
    const bad = loadConfig({
      BERTH_CONTROL_PLANE_URL: 'http://cp:8080',
      BERTH_PROXY_IMAGE: 'Caddy 2',
      BERTH_PROXY_HTTP_PORT: '0',
      BERTH_PROXY_HTTPS_PORT: 'https',
      BERTH_PROXY_BIND: 'localhost',
    });
    expect(!bad.ok && bad.errors).toEqual([
      expect.stringMatching(/^BERTH_PROXY_IMAGE must be an image reference/),
      expect.stringMatching(/^BERTH_PROXY_HTTP_PORT must be between 1 and 65535; set it to/),
      expect.stringMatching(/^BERTH_PROXY_HTTPS_PORT must be a whole number; set it to/),
      expect.stringMatching(/^BERTH_PROXY_BIND must be an IP address/),
    ]);
  });

  it('treats empty variables as unset', () => {
    const result = loadConfig({
      BERTH_CONTROL_PLANE_URL: 'http://cp:8080',
      BERTH_JOIN_TOKEN: '',
      BERTH_AGENT_STATUS_PORT: '',
    });
    expect(result.ok && result.config).toMatchObject({ joinToken: undefined, statusPort: 7071 });
  });
});

describe('controlPlaneEndpoint', () => {
  it('keeps a path prefix and switches to ws/wss for the socket', () => {
    expect(
      controlPlaneEndpoint(new URL('https://cp.example/berth'), '/agent/v1/connect', 'ws').href,
    ).toBe('wss://cp.example/berth/agent/v1/connect');
    expect(controlPlaneEndpoint(new URL('http://cp:8080'), '/agent/v1/enroll').href).toBe(
      'http://cp:8080/agent/v1/enroll',
    );
    expect(controlPlaneEndpoint(new URL('http://cp:8080'), '/agent/v1/connect', 'ws').href).toBe(
      'ws://cp:8080/agent/v1/connect',
    );
  });
});
