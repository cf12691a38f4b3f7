import type { ControlPlane } from './processes.js';

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
}

/** Calls the control plane's HTTP API as the admin (or with the token given). */
export async function api<T = unknown>(
  cp: Pick<ControlPlane, 'url' | 'token'>,
  method: string,
  path: string,
  body?: unknown,
  options: { token?: string | null; rawBody?: string } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? cp.token : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let payload: string | undefined;
  if (options.rawBody !== undefined) payload = options.rawBody;
  else if (body !== undefined) payload = JSON.stringify(body);
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${cp.url}${path}`, { method, headers, body: payload });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed as T };
}

export interface ServerView {
  id: string;
  name: string;
  status: 'online' | 'reconnecting' | 'offline';
  lastSeenAt: string | null;
  agentVersion: string | null;
  docker: { version: string } | null;
}

export async function createJoinToken(cp: ControlPlane, ttlSeconds?: number): Promise<string> {
  const res = await api<{ token: string }>(
    cp,
    'POST',
    '/api/v1/join-tokens',
    ttlSeconds ? { ttlSeconds } : {},
  );
  if (res.status !== 201) throw new Error(`join token: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token;
}

export async function listServers(cp: ControlPlane): Promise<ServerView[]> {
  const res = await api<ServerView[]>(cp, 'GET', '/api/v1/servers');
  if (res.status !== 200) throw new Error(`servers: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
