import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ProxySettings } from '@berth/protocol';
import { z } from 'zod';

const unsetIfEmpty = (value: unknown): unknown => (value === '' ? undefined : value);

/** Largest CA bundle read from BERTH_ACME_CA_ROOT, in bytes (the protocol carries at most 64 KiB). */
const MAX_ROOT_PEM_BYTES = 65_536;
const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

const acmeEnvSchema = z.object({
  BERTH_ACME_CA: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .url(
        'must be the URL of an ACME directory, e.g. BERTH_ACME_CA=https://acme-v02.api.letsencrypt.org/directory',
      )
      .refine(
        (value) => /^https?:\/\//.test(value),
        'must be an https:// (or http://) ACME directory URL',
      )
      .optional(),
  ),
  BERTH_ACME_CA_ROOT: z.preprocess(unsetIfEmpty, z.string().optional()),
  BERTH_ACME_EMAIL: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .email('must be an email address for the ACME account, e.g. BERTH_ACME_EMAIL=ops@example.com')
      .max(254)
      .optional(),
  ),
});

export type AcmeConfigResult =
  { ok: true; settings: ProxySettings } | { ok: false; issues: string[] };

/** Reads the PEM file BERTH_ACME_CA_ROOT names; an issue when it is missing or holds no certificate. */
function readRootPem(path: string): { pem: string } | { issue: string } {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = err instanceof Error && 'code' in err ? String(err.code) : 'unreadable';
    return {
      issue: `cannot read ${path} (${reason}); point it to a PEM file of the ACME CA's root`,
    };
  }
  if (Buffer.byteLength(pem) > MAX_ROOT_PEM_BYTES) {
    return { issue: `${path} is larger than ${MAX_ROOT_PEM_BYTES} bytes; keep only the CA's root` };
  }
  if (!CERTIFICATE_BLOCK.test(pem)) {
    return {
      issue: `${path} holds no "-----BEGIN CERTIFICATE-----" block; it must be the ACME CA's root certificate in PEM`,
    };
  }
  return { pem };
}

/**
 * The proxy settings sent to every agent: where certificates come from (BERTH_ACME_CA), which
 * root to trust for it (BERTH_ACME_CA_ROOT, a PEM file read once at start) and the account email.
 */
export function loadAcmeSettings(env: NodeJS.ProcessEnv, cwd: string): AcmeConfigResult {
  const parsed = acmeEnvSchema.safeParse(env);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map(
        (issue) => `${issue.path.map(String).join('.')}: ${issue.message}`,
      ),
    };
  }
  const {
    BERTH_ACME_CA: acmeCa,
    BERTH_ACME_CA_ROOT: rootPath,
    BERTH_ACME_EMAIL: acmeEmail,
  } = parsed.data;
  const settings: ProxySettings = {
    ...(acmeCa ? { acmeCa } : {}),
    ...(acmeEmail ? { acmeEmail } : {}),
  };
  if (rootPath) {
    const root = readRootPem(resolve(cwd, rootPath));
    if ('issue' in root) return { ok: false, issues: [`BERTH_ACME_CA_ROOT: ${root.issue}`] };
    settings.acmeCaRootPem = root.pem;
  }
  return { ok: true, settings };
}
