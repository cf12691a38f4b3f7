import { z } from 'zod';
import { portNumberSchema } from './validators.js';

/**
 * A host name a service answers to through the proxy: lowercase DNS labels of letters, digits
 * and inner hyphens, at least two of them, at most 253 characters. No wildcards, no IP addresses.
 */
export const domainHostSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(1, 'must not be empty')
  .max(253, 'must be at most 253 characters')
  .refine(
    (host) => host.split('.').every((label) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(label)),
    'must be a host name such as "app.example.com": labels of letters, digits and inner hyphens',
  )
  .refine((host) => host.includes('.'), 'must have at least two labels, such as "app.example.com"')
  .refine((host) => !/^[0-9.]+$/.test(host), 'must be a host name, not an IP address');

export const domainTlsSchema = z.enum(['acme', 'internal']);
export type DomainTls = z.infer<typeof domainTlsSchema>;

/**
 * One domain of a service: requests for `host` go to the service's container on `port`.
 * `https` gets a certificate (from the ACME CA, or the proxy's own CA with `tls: "internal"`);
 * `redirectHttp` answers plain HTTP with a redirect to HTTPS.
 */
export const domainSchema = z
  .object({
    host: domainHostSchema,
    port: portNumberSchema,
    https: z.boolean().default(true),
    redirectHttp: z.boolean().default(true),
    tls: domainTlsSchema.default('acme'),
  })
  .strict();
export type Domain = z.infer<typeof domainSchema>;
export type DomainInput = z.input<typeof domainSchema>;

export const MAX_DOMAINS_PER_SERVICE = 50;

export const domainsSchema = z
  .array(domainSchema)
  .max(MAX_DOMAINS_PER_SERVICE, `must have at most ${MAX_DOMAINS_PER_SERVICE} domains`)
  .superRefine((domains, ctx) => {
    const seen = new Set<string>();
    domains.forEach((domain, index) => {
      if (seen.has(domain.host)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: [index, 'host'],
          message: `"${domain.host}" is listed twice`,
        });
      }
      seen.add(domain.host);
    });
  });

/** Seconds the previous release may take to finish its requests once traffic has moved. */
export const drainSecondsSchema = z.number().int().min(0).max(3600);
export const DEFAULT_DRAIN_SECONDS = 30;

export const certificateStateSchema = z.enum(['pending', 'issued', 'failed']);
export type CertificateState = z.infer<typeof certificateStateSchema>;

/** A domain's certificate as the proxy on the service's server has it (HTTPS domains only). */
export const domainStatusSchema = z.object({
  host: z.string().max(253),
  certificate: certificateStateSchema,
  expiresAt: z.string().max(64).optional(),
  error: z.string().max(2048).optional(),
});
export type DomainStatus = z.infer<typeof domainStatusSchema>;

/** The proxy container on a server: what the agent last saw of it. */
export const proxyStatusSchema = z.object({
  state: z.enum(['running', 'starting', 'failed']),
  /** Times the agent found it stopped or gone and started it again. */
  restarts: z.number().int().nonnegative(),
  lastRestartAt: z.string().max(64).optional(),
  error: z.string().max(2048).optional(),
});
export type ProxyStatus = z.infer<typeof proxyStatusSchema>;

/** The Docker network that carries proxied traffic of one environment: the proxy and live releases. */
export function routeNetworkName(environmentId: string): string {
  return `berth-route-${environmentId}`.replace(/[^a-zA-Z0-9_.-]/g, '-');
}

/**
 * The DNS name the proxy sends a service's requests to. Only the release that serves carries it,
 * on its environment's route network: a release joins once healthy and leaves when it stops.
 */
export function routeAlias(serviceId: string): string {
  return `berth-route-${serviceId}`.replace(/[^a-zA-Z0-9-]/g, '-').toLowerCase();
}
