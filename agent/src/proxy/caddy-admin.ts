import { request } from 'node:http';
import { AgentError } from '../errors.js';

/** What the proxy manager needs from Caddy's admin API. */
export interface CaddyAdmin {
  /**
   * Replaces Caddy's whole configuration; Caddy skips the reload when nothing changed, unless
   * `force` (a file the config names, such as the ACME root, changed).
   */
  load(config: string, options?: { force?: boolean }): Promise<void>;
}

const TIMEOUT_MS = 15_000;
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * Caddy's admin API on its unix socket. Caddy refuses (403) a request whose Host header is not
 * an allowed origin, and a socket has none: the header must be sent, and empty.
 */
export function createCaddyAdmin(socketPath: string): CaddyAdmin {
  return {
    async load(config, options) {
      const answer = await post(socketPath, '/load', config, options?.force ?? false);
      if (answer.status < 200 || answer.status >= 300) {
        throw new AgentError(
          'INVALID_INPUT',
          `the proxy refused its configuration (HTTP ${answer.status}): ${caddyError(answer.body)}`,
        );
      }
    },
  };
}

function post(
  socketPath: string,
  path: string,
  body: string,
  force: boolean,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        path,
        method: 'POST',
        setHost: false,
        headers: {
          host: '',
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          // Caddy's way to reload a configuration it already has.
          ...(force ? { 'cache-control': 'must-revalidate' } : {}),
        },
        timeout: TIMEOUT_MS,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < MAX_ANSWER_BYTES) text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(
        new AgentError('TIMEOUT', `the proxy's admin socket ${socketPath} did not answer`, {
          retryable: true,
        }),
      ),
    );
    req.on('error', (err) =>
      reject(
        err instanceof AgentError
          ? err
          : new AgentError('UNREACHABLE', `cannot reach the proxy's admin socket ${socketPath}`, {
              retryable: true,
              cause: err,
            }),
      ),
    );
    req.end(body);
  });
}

/** Caddy answers errors as `{"error": "..."}`; fall back to the raw text. */
function caddyError(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && 'error' in parsed) {
      const error = (parsed as { error: unknown }).error;
      if (typeof error === 'string') return error;
    }
  } catch {
    // Not JSON: say what came.
  }
  return body.trim().slice(0, 1000) || '(no answer)';
}
