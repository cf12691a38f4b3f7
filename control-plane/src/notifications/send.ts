import type { Now, Sleep } from '../clock.js';

/** What a receiver answered; `status` is absent when it could not be reached. */
export interface PostResult {
  status?: number;
  error?: string;
}

/** Posts a body; never throws. Injected so tests need no network. */
export type Post = (request: {
  url: string;
  body: string;
  headers: Record<string, string>;
}) => Promise<PostResult>;

export interface RetryPolicy {
  attempts: number;
  /** Delay before the second attempt, in milliseconds; it doubles each time, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

/** 5 attempts, waiting about 1 s, 2 s, 4 s and 8 s between them (16 s at most). */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 1000, maxDelayMs: 16_000 };

/** How long to wait after failed attempt `attempt` (1-based): exponential, capped, with jitter. */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: () => number): number {
  const full = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // Up to a quarter less, so targets failing together do not retry in step.
  return Math.round(full * (1 - 0.25 * random()));
}

/** Whether a failed attempt may succeed later: unreachable, 5xx, 408 or 429. */
export function isRetryable(result: PostResult): boolean {
  if (result.status === undefined) return true;
  return result.status >= 500 || result.status === 408 || result.status === 429;
}

export function isDelivered(result: PostResult): boolean {
  return result.status !== undefined && result.status >= 200 && result.status < 300;
}

export interface DeliverDeps {
  post: Post;
  sleep: Sleep;
  now: Now;
  random: () => number;
  policy: RetryPolicy;
  signal?: AbortSignal;
}

/**
 * Posts until the receiver answers 2xx, a failure cannot get better, or the attempts run out.
 * `onAttempt` is told each attempt's result and whether it was the last. Resolves to whether
 * it was delivered.
 */
export async function deliverWithRetries(
  deps: DeliverDeps,
  request: Parameters<Post>[0],
  onAttempt: (result: PostResult, at: number, last: boolean) => Promise<void>,
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const at = deps.now();
    const result = await deps.post(request);
    const delivered = isDelivered(result);
    const last =
      delivered ||
      !isRetryable(result) ||
      attempt >= deps.policy.attempts ||
      !!deps.signal?.aborted;
    await onAttempt(result, at, last);
    if (last) return delivered;
    await deps.sleep(retryDelayMs(deps.policy, attempt, deps.random), deps.signal);
    // Shutting down: the log keeps the attempts made.
    if (deps.signal?.aborted) return false;
  }
}

/** Timeout of one attempt, in milliseconds. */
const POST_TIMEOUT_MS = 10_000;

/** The real Post: fetch, no redirects followed, the error without the URL. */
export const fetchPost: Post = async ({ url, body, headers }) => {
  try {
    const response = await fetch(url, {
      method: 'POST',
      body,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(POST_TIMEOUT_MS),
    });
    await response.body?.cancel();
    return { status: response.status };
  } catch (err) {
    return { error: reachError(err, url) };
  }
};

function reachError(err: unknown, url: string): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const text = cause instanceof Error ? cause.message : String(cause);
  // Keep the URL, which may hold a token, out of every message.
  return text.split(url).join('(url)').slice(0, 300);
}
