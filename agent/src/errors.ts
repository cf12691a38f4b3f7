import type { ErrorCode } from '@berth/protocol';

export interface AgentErrorOptions {
  retryable?: boolean;
  cause?: unknown;
}

/**
 * The agent's one error class: a code from the protocol's closed union, whether to
 * retry, and what caused it. Jobs end with it too: CANCELLED and TIMEOUT for a
 * cancel or a passed deadline, other codes for a failure the message says how to fix.
 * INTERNAL means a bug.
 */
export class AgentError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: AgentErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgentError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

// Network failures that say "not now" rather than "never": the peer may come back.
const RETRYABLE_SYSTEM_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/** The one place that decides whether a failure is worth another attempt. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof AgentError) return err.retryable;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && RETRYABLE_SYSTEM_CODES.has(code)) return true;
  // fetch() wraps network failures as `TypeError: fetch failed` with the system error as cause.
  if (err.cause !== undefined && err.cause !== err) return isRetryable(err.cause);
  return false;
}

/** A short, single-line description of an error and its causes, for logs. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const own =
    typeof code === 'string' && !(err instanceof AgentError) && !err.message.includes(code)
      ? `${err.message} (${code})`
      : err.message;
  if (err.cause === undefined || err.cause === err) return own;
  const cause = describeError(err.cause);
  // Some messages already quote their cause; say it once.
  return own.includes(cause) ? own : `${own}: ${cause}`;
}
