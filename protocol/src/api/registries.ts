import { z } from 'zod';
import { CONTROL_CHARS, REGISTRY_HOST } from './validators.js';

/** The host Docker pulls from when an image names no registry (`busybox`, `library/nginx`). */
export const DOCKER_HUB_HOST = 'docker.io';

/** Other names of Docker Hub; a credential for any of them is one for docker.io. */
const DOCKER_HUB_ALIASES = new Set(['index.docker.io', 'registry-1.docker.io']);

function canonicalHost(host: string): string {
  const lower = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB_HOST : lower;
}

/** A registry host: `registry.example.com`, `127.0.0.1:5000`, `[::1]:5000`; kept in lower case. */
export const registryHostSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .refine(
    (host) => REGISTRY_HOST.test(host),
    'must be a registry host such as "registry.example.com" or "127.0.0.1:5000" (no scheme, no path)',
  )
  .transform(canonicalHost);

/** Docker sends these as HTTP basic auth, where a ":" would end the user name. */
export const registryUsernameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .refine(
    (name) => !name.includes(':') && !CONTROL_CHARS.test(name),
    'must not contain ":" or control characters',
  );

export const registryPasswordSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(4096, 'must be at most 4096 characters')
  .refine((password) => !CONTROL_CHARS.test(password), 'must not contain control characters');

/** A registry credential as the API shows it: never with its password. */
export const registrySchema = z.object({
  id: z.string(),
  host: z.string(),
  username: z.string(),
});
export type Registry = z.infer<typeof registrySchema>;

export const createRegistryBodySchema = z
  .object({
    host: registryHostSchema,
    username: registryUsernameSchema,
    password: registryPasswordSchema,
  })
  .strict();
export type CreateRegistryBody = z.infer<typeof createRegistryBodySchema>;

/** A new password, a new user name, or both; the host stays (delete and add for another). */
export const patchRegistryBodySchema = z
  .object({
    username: registryUsernameSchema.optional(),
    password: registryPasswordSchema.optional(),
  })
  .strict()
  .refine(
    (body) => body.username !== undefined || body.password !== undefined,
    'give a new "password", a new "username", or both',
  );
export type PatchRegistryBody = z.infer<typeof patchRegistryBodySchema>;

/** A credential handed to the agent inside the one job that pulls or builds with it. */
export const registryAuthSchema = z.object({
  host: z.string().min(1).max(255),
  username: z.string().min(1).max(255),
  password: z.string().min(1).max(4096),
});
export type RegistryAuth = z.infer<typeof registryAuthSchema>;

/**
 * The registry an image reference pulls from, as Docker decides it: the first path component
 * when it has a "." or ":" or is "localhost", else Docker Hub.
 */
export function registryHostOf(image: string): string {
  const slash = image.indexOf('/');
  if (slash < 0) return DOCKER_HUB_HOST;
  const first = image.slice(0, slash);
  return /[.:]/.test(first) || first === 'localhost' ? canonicalHost(first) : DOCKER_HUB_HOST;
}
