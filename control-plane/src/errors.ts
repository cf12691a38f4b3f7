import type { ErrorCode } from '@berth/protocol';

export interface FieldIssue {
  path: string;
  message: string;
}

export interface BerthErrorOptions {
  /** HTTP status; defaults from the code. */
  status?: number;
  cause?: unknown;
  fields?: FieldIssue[];
}

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  INVALID_INPUT: 400,
  MALFORMED_FRAME: 400,
  PROTOCOL_MISMATCH: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  AUTH_FAILED: 401,
  JOIN_TOKEN_INVALID: 401,
  JOIN_TOKEN_USED: 401,
  JOIN_TOKEN_EXPIRED: 401,
  SERVER_REVOKED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  NO_DEPLOYMENT: 409,
  EXPOSED: 409,
  IMAGE_GONE: 409,
  NOT_SUCCEEDED: 409,
  ALREADY_FINISHED: 409,
  FRAME_TOO_LARGE: 413,
  // Cancelled work is a state the request cannot change, like ALREADY_FINISHED.
  CANCELLED: 409,
  // Not a fault of the control plane itself: what it needs is missing or down.
  NOT_BUILT: 503,
  UNREACHABLE: 503,
  TIMEOUT: 504,
  // DATA_CORRUPT and INTERNAL answer 500.
};

/** The one error type of the control plane. `code` comes from the protocol's closed union. */
export class BerthError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly fields: FieldIssue[] | undefined;

  constructor(code: ErrorCode, message: string, options: BerthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BerthError';
    this.code = code;
    this.status = options.status ?? STATUS_BY_CODE[code] ?? 500;
    this.fields = options.fields;
  }
}

export function notFound(kind: string, id: string): BerthError {
  return new BerthError('NOT_FOUND', `${kind} "${id}" not found`);
}

/** A short, one-line description of any thrown value, for logs. */
export function describeError(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s+/g, ' ').slice(0, 500);
}
