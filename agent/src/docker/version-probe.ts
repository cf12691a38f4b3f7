import Docker from 'dockerode';
import type { Now } from '../time.js';
import { systemNow } from '../time.js';

export interface VersionProbeOptions {
  /** Talk to this socket instead of DOCKER_HOST or /var/run/docker.sock. */
  socketPath?: string;
  /** How long one version call may take before Docker counts as unreachable. */
  timeoutMs?: number;
  /** How long an answer (or its absence) is reused, so heartbeats and status share one call. */
  cacheMs?: number;
  now?: Now;
}

const DEFAULT_TIMEOUT_MS = 3_000;
const DEFAULT_CACHE_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/**
 * Asks the engine its version ("20.10.24"), answering null when it cannot be reached.
 * It has its own client: the request timeout that makes a hung engine count as
 * unreachable would cut builds and followed logs short.
 */
export function createVersionProbe(
  options: VersionProbeOptions = {},
): () => Promise<string | null> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS;
  const now = options.now ?? systemNow;
  // The API version stays unset: an engine refuses a client that asks for an API version
  // newer than its own (Docker 20.10 speaks 1.41), so the engine's own version is used.
  const docker = new Docker({
    ...(options.socketPath ? { socketPath: options.socketPath } : {}),
    timeout: timeoutMs,
  });
  let cached: { value: string | null; at: number } | undefined;
  let inFlight: Promise<string | null> | undefined;

  const fetchVersion = async (): Promise<string | null> => {
    try {
      const info = await withTimeout(docker.version(), timeoutMs);
      return typeof info.Version === 'string' && info.Version !== '' ? info.Version : null;
    } catch {
      return null;
    }
  };

  return () => {
    if (cached && now() - cached.at < cacheMs) return Promise.resolve(cached.value);
    inFlight ??= fetchVersion().then((value) => {
      cached = { value, at: now() };
      inFlight = undefined;
      return value;
    });
    return inFlight;
  };
}
