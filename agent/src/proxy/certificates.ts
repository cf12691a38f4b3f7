import { X509Certificate } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DomainStatus } from '@berth/protocol';
import { z } from 'zod';

export interface HttpsHost {
  serviceId: string;
  host: string;
}

export type HostCertificate = DomainStatus & { serviceId: string };

const MAX_ERROR_CHARS = 2000;

/** A line of Caddy's JSON log, as far as certificate failures go. */
const caddyLogLineSchema = z.object({
  level: z.string(),
  logger: z.string().optional(),
  msg: z.string().optional(),
  identifier: z.string().optional(),
  error: z.string().optional(),
});

/**
 * The certificate the proxy holds for a host: Caddy keeps each one as
 * `<storage>/certificates/<issuer>/<host>/<host>.crt` (`local` for its internal CA). Of several
 * issuers' certificates the one that expires last counts. Null when there is none yet.
 */
export async function readCertificate(
  storageDir: string,
  host: string,
): Promise<{ expiresAt: string } | null> {
  const root = join(storageDir, 'certificates');
  let issuers: string[];
  try {
    issuers = await readdir(root);
  } catch {
    return null;
  }
  let latest: Date | null = null;
  for (const issuer of issuers) {
    let pem: string;
    try {
      pem = await readFile(join(root, issuer, host, `${host}.crt`), 'utf8');
    } catch {
      continue;
    }
    try {
      const validTo = new Date(new X509Certificate(pem).validTo);
      if (!Number.isNaN(validTo.getTime()) && (latest === null || validTo > latest))
        latest = validTo;
    } catch {
      // Half written while Caddy saves it: the next check reads it whole.
    }
  }
  return latest ? { expiresAt: latest.toISOString() } : null;
}

/**
 * The last error Caddy logged while obtaining a certificate for the host, from its JSON log
 * lines (`"logger":"tls.obtain"`, level error), or null.
 */
export function lastObtainError(lines: string[], host: string): string | null {
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const line = lines[i]!;
    if (!line.includes('tls.obtain') || !line.includes(host)) continue;
    let parsed: z.infer<typeof caddyLogLineSchema>;
    try {
      const result = caddyLogLineSchema.safeParse(JSON.parse(line));
      if (!result.success) continue;
      parsed = result.data;
    } catch {
      continue;
    }
    if (parsed.logger !== 'tls.obtain' || parsed.level !== 'error') continue;
    const names = parsed.identifier === host || (parsed.error ?? '').includes(host);
    if (!names) continue;
    const text = [parsed.msg, parsed.error].filter(Boolean).join(': ');
    return (text || line).slice(0, MAX_ERROR_CHARS);
  }
  return null;
}

/**
 * Each HTTPS host's certificate: issued (with its expiry) when Caddy stored one; failed when
 * Caddy's recent log says obtaining it failed; pending otherwise.
 */
export async function certificateStatuses(options: {
  storageDir: string;
  hosts: HttpsHost[];
  /** Reads the proxy's recent log lines; only called when some host has no certificate. */
  recentLogs: () => Promise<string[]>;
}): Promise<HostCertificate[]> {
  const found = await Promise.all(
    options.hosts.map(async (h) => ({
      ...h,
      cert: await readCertificate(options.storageDir, h.host),
    })),
  );
  const missing = found.some((f) => f.cert === null);
  const logs = missing ? await options.recentLogs().catch(() => []) : [];
  return found.map(({ serviceId, host, cert }): HostCertificate => {
    if (cert) return { serviceId, host, certificate: 'issued', expiresAt: cert.expiresAt };
    const error = lastObtainError(logs, host);
    return error === null
      ? { serviceId, host, certificate: 'pending' }
      : { serviceId, host, certificate: 'failed', error };
  });
}
