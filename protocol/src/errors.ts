import { z } from 'zod';

/**
 * The closed set of error codes used over HTTP and over the agent socket.
 * `INTERNAL` means a bug; every failure a person can act on has its own code.
 */
export const ERROR_CODES = [
  'INVALID_INPUT',
  'UNAUTHORIZED',
  /** Signed in, but the role or token scope does not allow it. */
  'FORBIDDEN',
  /** Too many attempts (sign-ins); the answer says when to try again. */
  'RATE_LIMITED',
  'NOT_FOUND',
  'CONFLICT',
  'NO_DEPLOYMENT',
  'EXPOSED',
  'IMAGE_GONE',
  'NOT_SUCCEEDED',
  'ALREADY_FINISHED',
  'JOIN_TOKEN_INVALID',
  'JOIN_TOKEN_USED',
  'JOIN_TOKEN_EXPIRED',
  'SERVER_REVOKED',
  'AUTH_FAILED',
  'PROTOCOL_MISMATCH',
  'MALFORMED_FRAME',
  'UNKNOWN_MESSAGE',
  'FRAME_TOO_LARGE',
  'UNEXPECTED_MESSAGE',
  /** A peer or an operation did not answer within its deadline. */
  'TIMEOUT',
  /** The operation was cancelled before it finished. */
  'CANCELLED',
  /** Something the operation needs (the control plane, Docker, a registry) cannot be reached. */
  'UNREACHABLE',
  /** A data file on disk is damaged or not Berth's; it must be restored or moved away. */
  'DATA_CORRUPT',
  /** A release artifact (the agent bundle, the installer) is missing or built wrong. */
  'NOT_BUILT',
  /** A backup, its verification or a restore failed; the message says which step and why. */
  'BACKUP_FAILED',
  'INTERNAL',
] as const;

export const errorCodeSchema = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof errorCodeSchema>;

export const errorBodySchema = z.object({
  error: z.object({
    code: errorCodeSchema,
    message: z.string(),
    fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** WebSocket close codes the control plane uses; 4000-4999 are application-defined. */
export const CLOSE_CODES = {
  /** Authentication failed or the identity is unknown. */
  authFailed: 4401,
  /** The server was deleted; the agent must enroll again with a new join token. */
  revoked: 4403,
  /** The protocol major versions differ. */
  protocolMismatch: 4406,
  /** A newer connection with the same identity replaced this one. */
  replaced: 4409,
  /** The peer missed its liveness window. */
  livenessTimeout: 4408,
  /** Too many bad frames in a row. */
  tooManyBadFrames: 4400,
  /** The control plane is admitting other agents; connect again after `connect.retry`'s delay. */
  tryAgainLater: 1013,
  /** The peer read too slowly: its send buffer passed the bound. */
  slowConsumer: 4429,
} as const;

/** Formats zod issues as `path: message` pairs, naming each bad field. */
export function describeIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)',
    message: issue.message,
  }));
}
