import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { imageReferenceSchema, nameSchema } from '@berth/protocol';
import cron from 'node-cron';
import { z } from 'zod';

export const DEFAULT_STATE_DIR = '/var/lib/berth-agent';
export const DEFAULT_STATUS_PORT = 7071;
export const DEFAULT_RECONNECT_MAX_MS = 30_000;
export const DEFAULT_KEEP_IMAGES = 5;
export const DEFAULT_PRUNE_SCHEDULE = '17 * * * *';
export const DEFAULT_PROXY_IMAGE = 'caddy:2';
export const DEFAULT_PROXY_HTTP_PORT = 80;
export const DEFAULT_PROXY_HTTPS_PORT = 443;
export const DEFAULT_PROXY_BIND = '0.0.0.0';

/** The proxy container that serves the domains of this server's services. */
export interface ProxyConfig {
  image: string;
  /** Host ports the proxy publishes for plain HTTP and HTTPS. */
  httpPort: number;
  httpsPort: number;
  /** The host address those ports are published on. */
  bind: string;
}

export interface AgentConfig {
  /** The control plane's base URL, without a trailing slash; may carry a path prefix. */
  controlPlaneUrl: URL;
  /** Only read on the first start, before an identity exists. Never log it. */
  joinToken: string | undefined;
  stateDir: string;
  statusPort: number;
  name: string;
  reconnectMaxMs: number;
  /** Successful deployments per service whose image is kept for rollbacks. */
  keepImages: number;
  /** node-cron expression for pruning old deployment images. */
  pruneSchedule: string;
  proxy: ProxyConfig;
}

// Empty strings count as unset: systemd EnvironmentFile and `VAR= cmd` both produce them.
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const integer = (min: number, max: number, fix: string) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number; ${fix}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}; ${fix}`);

const controlPlaneUrl = z
  .string({
    error: 'is required: set it to the control plane base URL, e.g. https://berth.example.com',
  })
  .trim()
  .min(1, 'is required: set it to the control plane base URL, e.g. https://berth.example.com')
  .transform((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({
        code: 'custom',
        message:
          'is not a valid URL: use an http:// or https:// base URL, e.g. https://berth.example.com',
      });
      return z.NEVER;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({
        code: 'custom',
        message: `must use http:// or https://, not ${url.protocol}//`,
      });
      return z.NEVER;
    }
    if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a plain base URL, without credentials, query string or fragment',
      });
      return z.NEVER;
    }
    url.pathname = url.pathname.replace(/\/+$/, '');
    return url;
  });

const envSchema = z.object({
  BERTH_CONTROL_PLANE_URL: controlPlaneUrl,
  BERTH_JOIN_TOKEN: optional(
    z
      .string()
      .trim()
      .max(256, 'is too long: paste the token exactly as `POST /api/v1/join-tokens` gave it'),
  ),
  BERTH_AGENT_STATE_DIR: optional(z.string().trim().min(1)),
  BERTH_AGENT_STATUS_PORT: optional(
    integer(0, 65535, 'set it to a free TCP port for the local status endpoint (default 7071)'),
  ),
  BERTH_AGENT_NAME: optional(nameSchema),
  BERTH_AGENT_RECONNECT_MAX_MS: optional(
    integer(100, 3_600_000, 'set it to the longest wait between reconnects, in milliseconds'),
  ),
  BERTH_AGENT_KEEP_IMAGES: optional(
    integer(1, 1000, 'set it to how many successful deployments per service keep their image'),
  ),
  BERTH_AGENT_PRUNE_SCHEDULE: optional(
    z
      .string()
      .trim()
      .refine(
        (value) => cron.validate(value),
        'must be a cron expression (5 fields, or 6 with seconds), e.g. "17 * * * *"',
      ),
  ),
  BERTH_PROXY_IMAGE: optional(z.string().trim().pipe(imageReferenceSchema)),
  BERTH_PROXY_HTTP_PORT: optional(
    integer(1, 65535, 'set it to the host port the proxy serves plain HTTP on (default 80)'),
  ),
  BERTH_PROXY_HTTPS_PORT: optional(
    integer(1, 65535, 'set it to the host port the proxy serves HTTPS on (default 443)'),
  ),
  BERTH_PROXY_BIND: optional(
    z
      .string()
      .trim()
      .refine(
        (value) => isIP(value) !== 0,
        'must be an IP address the proxy publishes its ports on, e.g. 0.0.0.0 or 127.0.0.1',
      ),
  ),
});

// How to fix a variable whose schema message does not say so itself.
const FIX_HINTS: Record<string, string> = {
  BERTH_AGENT_NAME:
    'set it to a printable name of 1-100 characters, or unset it to use the host name',
};

export type ConfigResult = { ok: true; config: AgentConfig } | { ok: false; errors: string[] };

/** Reads the agent's configuration from the environment. Never echoes a value back. */
export function loadConfig(env: NodeJS.ProcessEnv): ConfigResult {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((issue) => {
      const variable = issue.path.map(String).join('.') || '(environment)';
      const hint = FIX_HINTS[variable];
      return hint ? `${variable} ${issue.message}; ${hint}` : `${variable} ${issue.message}`;
    });
    return { ok: false, errors };
  }
  const values = parsed.data;
  return {
    ok: true,
    config: {
      controlPlaneUrl: values.BERTH_CONTROL_PLANE_URL,
      joinToken: values.BERTH_JOIN_TOKEN,
      stateDir: resolve(values.BERTH_AGENT_STATE_DIR ?? DEFAULT_STATE_DIR),
      statusPort: values.BERTH_AGENT_STATUS_PORT ?? DEFAULT_STATUS_PORT,
      name: values.BERTH_AGENT_NAME ?? (hostname().slice(0, 100) || 'berth-agent'),
      reconnectMaxMs: values.BERTH_AGENT_RECONNECT_MAX_MS ?? DEFAULT_RECONNECT_MAX_MS,
      keepImages: values.BERTH_AGENT_KEEP_IMAGES ?? DEFAULT_KEEP_IMAGES,
      pruneSchedule: values.BERTH_AGENT_PRUNE_SCHEDULE ?? DEFAULT_PRUNE_SCHEDULE,
      proxy: {
        image: values.BERTH_PROXY_IMAGE ?? DEFAULT_PROXY_IMAGE,
        httpPort: values.BERTH_PROXY_HTTP_PORT ?? DEFAULT_PROXY_HTTP_PORT,
        httpsPort: values.BERTH_PROXY_HTTPS_PORT ?? DEFAULT_PROXY_HTTPS_PORT,
        bind: values.BERTH_PROXY_BIND ?? DEFAULT_PROXY_BIND,
      },
    },
  };
}

/** The base URL as a person wrote it: no trailing slash. */
export function displayUrl(base: URL): string {
  return base.href.replace(/\/$/, '');
}

/** `<base>/<path>`, keeping any path prefix the base URL has. */
export function controlPlaneEndpoint(base: URL, path: string, scheme: 'http' | 'ws' = 'http'): URL {
  const url = new URL(base.href);
  url.pathname = `${base.pathname.replace(/\/+$/, '')}${path}`;
  if (scheme === 'ws') url.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  return url;
}
