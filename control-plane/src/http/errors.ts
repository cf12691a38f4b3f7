import type { ErrorBody } from '@berth/protocol';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { BerthError, describeError } from '../errors.js';
import type { Logger } from '../log.js';

export function errorResponse(c: Context, err: BerthError): Response {
  const body: ErrorBody = {
    error: {
      code: err.code,
      message: err.message,
      ...(err.fields ? { fields: err.fields } : {}),
    },
  };
  if (err.status === 401 && err.code === 'UNAUTHORIZED') c.header('WWW-Authenticate', 'Bearer');
  return c.json(body, err.status as ContentfulStatusCode);
}

/** The one place an HTTP failure becomes a JSON error body. */
export function createErrorHandler(log: Logger): ErrorHandler {
  return (err, c) => {
    if (err instanceof BerthError) return errorResponse(c, err);
    if (err instanceof HTTPException) {
      const code =
        err.status === 401 ? 'UNAUTHORIZED' : err.status === 404 ? 'NOT_FOUND' : 'INVALID_INPUT';
      return errorResponse(
        c,
        new BerthError(code, err.message || 'bad request', { status: err.status }),
      );
    }
    log.error(`${c.req.method} ${c.req.path} failed: ${describeError(err)}`);
    return errorResponse(
      c,
      new BerthError('INTERNAL', 'internal error; the control plane log has the details', {
        cause: err,
      }),
    );
  };
}

export const notFoundHandler: NotFoundHandler = (c) =>
  errorResponse(c, new BerthError('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`));
