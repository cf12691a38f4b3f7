import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** What `scripts/agent-release.mjs` writes next to the bundle, as `manifest.json`. */
const manifestSchema = z.object({
  version: z.string().regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?$/),
  file: z.string().regex(/^[A-Za-z0-9._-]+$/),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
});
export type AgentReleaseManifest = z.infer<typeof manifestSchema>;

/**
 * The files a worker server downloads: the installer, the agent bundle and its
 * manifest. Read from disk on demand, so a rebuild is served without a restart.
 */
export interface AgentRelease {
  /** The directory the files are read from, for messages. */
  readonly dir: string;
  /** The manifest, or null when the release is not built (or unreadable). */
  manifest(): Promise<AgentReleaseManifest | null>;
  /** The installer text, or null when it is missing. */
  installScript(): Promise<string | null>;
  /** The bundle the manifest names, or null when either is missing. */
  bundle(): Promise<{ manifest: AgentReleaseManifest; bytes: Uint8Array<ArrayBuffer> } | null>;
}

const missing = (err: unknown) => (err as { code?: unknown }).code === 'ENOENT';

export function agentReleaseFromDir(dir: string): AgentRelease {
  // The manifest is read on every server listing; re-parse it only when it changes.
  let cached: { mtimeMs: number; manifest: AgentReleaseManifest | null } | undefined;

  async function manifest(): Promise<AgentReleaseManifest | null> {
    const path = join(dir, 'manifest.json');
    try {
      const { mtimeMs } = await stat(path);
      if (cached?.mtimeMs === mtimeMs) return cached.manifest;
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readFile(path, 'utf8'));
      } catch {
        parsed = null;
      }
      const result = manifestSchema.safeParse(parsed);
      cached = { mtimeMs, manifest: result.success ? result.data : null };
      return cached.manifest;
    } catch (err) {
      if (missing(err)) return null;
      throw err;
    }
  }

  async function optionalFile(name: string): Promise<Buffer | null> {
    try {
      return await readFile(join(dir, name));
    } catch (err) {
      if (missing(err)) return null;
      throw err;
    }
  }

  return {
    dir,
    manifest,
    async installScript() {
      return (await optionalFile('install.sh'))?.toString('utf8') ?? null;
    },
    async bundle() {
      const current = await manifest();
      if (!current) return null;
      const bytes = await optionalFile(current.file);
      return bytes ? { manifest: current, bytes: new Uint8Array(bytes) } : null;
    },
  };
}

function parts(version: string): { core: number[]; pre: boolean } | null {
  const match = /^(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?(?:\+.*)?$/.exec(version);
  if (!match) return null;
  return { core: [Number(match[1]), Number(match[2]), Number(match[3])], pre: !!match[4] };
}

/**
 * Whether an agent reporting `agentVersion` is older than `latest`. Unreadable
 * versions are never called outdated: that would be a guess.
 */
export function isOlderVersion(agentVersion: string | null, latest: string | null): boolean {
  if (agentVersion === null || latest === null) return false;
  const a = parts(agentVersion);
  const b = parts(latest);
  if (!a || !b) return false;
  for (let i = 0; i < 3; i++) {
    const diff = a.core[i]! - b.core[i]!;
    if (diff !== 0) return diff < 0;
  }
  // 1.2.0-rc.1 comes before 1.2.0; two pre-releases of one version are not ranked.
  return a.pre && !b.pre;
}
