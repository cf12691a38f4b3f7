import type { Actor, AuditInput } from '@berth/protocol';
import type { Context, MiddlewareHandler } from 'hono';
import { actorOf } from '../auth/permissions.js';

/** Where audit entries go (store/audit-log.ts). `record` never throws into a request. */
export interface AuditSink {
  record(input: AuditInput): void;
}

/** Drops every entry: for unit tests that build the app without a data dir. */
export const NO_AUDIT: AuditSink = { record: () => undefined };

export const ANONYMOUS: Actor = { type: 'anonymous', name: 'anonymous' };

interface ConnEnv {
  incoming?: { socket?: { remoteAddress?: string } };
}

/**
 * The address the request came from: the socket's peer. X-Forwarded-For is not trusted, since a
 * client could write anything there; behind a proxy the proxy's address is what is recorded.
 */
export function clientIp(c: Context): string | undefined {
  const address = (c.env as ConnEnv | undefined)?.incoming?.socket?.remoteAddress;
  return address?.startsWith('::ffff:') ? address.slice(7) : address;
}

export function outcomeOf(status: number): AuditInput['outcome'] {
  if (status === 401 || status === 403 || status === 429) return 'denied';
  return status < 400 ? 'success' : 'failure';
}

/** The first words of an error answer, for the entry's detail; never a request body. */
async function errorDetail(c: Context): Promise<string | undefined> {
  if (c.res.status < 400) return undefined;
  try {
    const body = (await c.res.clone().json()) as { error?: { message?: unknown } };
    const message = body.error?.message;
    return typeof message === 'string' ? message.slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Appends an entry for every change made through the API (every method but GET and HEAD), and
 * for reads that reveal a secret, denied ones included. Runs around access control, so it sees
 * who was refused too.
 */
export function auditTrail(sink: AuditSink): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const rule = c.get('rule');
    const reading = c.req.method === 'GET' || c.req.method === 'HEAD';
    if (reading && rule?.need !== 'secrets') return;
    const principal = c.get('principal');
    const id = idOf(c.req.path, rule?.path);
    const projectId = c.get('projectId');
    const detail = await errorDetail(c);
    sink.record({
      actor: principal ? actorOf(principal) : ANONYMOUS,
      action: rule?.action ?? `${c.req.method} ${c.req.path}`.slice(0, 200),
      ...(id && rule ? { target: { type: rule.target ?? rule.action.split('.')[0]!, id } } : {}),
      ...(projectId ? { projectId } : {}),
      ...ipOf(c),
      outcome: outcomeOf(c.res.status),
      status: c.res.status,
      ...(detail ? { detail } : {}),
    });
  };
}

export function ipOf(c: Context): { ip?: string } {
  const ip = clientIp(c);
  return ip ? { ip } : {};
}

/** The `:id` of a request's path, by the position of `:id` in its rule's pattern. */
function idOf(path: string, pattern: string | undefined): string | undefined {
  if (!pattern) return undefined;
  const index = pattern.split('/').indexOf(':id');
  if (index < 0) return undefined;
  const value = path.split('/')[index];
  return value ? decodeURIComponent(value) : undefined;
}
