/// <reference lib="dom" />
import type { ErrorBody, SignInBody, User } from '@berth/protocol';
import { setCurrentUser } from './access.js';

/** An HTTP API failure, with the contract's error code and the fields it names. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: { path: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken = '';
let onSignedOut: () => void = () => undefined;

/** Called when the session is gone (a 401), so the app can show the sign-in form. */
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

async function request(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function errorFrom(res: Response): Promise<ApiError> {
  let parsed: Partial<ErrorBody> | undefined;
  try {
    parsed = (await res.json()) as Partial<ErrorBody>;
  } catch {
    parsed = undefined;
  }
  const error = parsed?.error;
  return new ApiError(
    res.status,
    error?.code ?? 'HTTP_ERROR',
    error?.message ?? `The control plane answered HTTP ${res.status}`,
    error?.fields ?? [],
  );
}

/** Calls the API with the session cookie; a change also sends the CSRF token. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  return (await apiWithHeaders<T>(method, path, body)).body;
}

/** As `api`, with the answer's headers (e.g. the `X-Next-Cursor` of a page). */
export async function apiWithHeaders<T>(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ body: T; headers: Headers }> {
  let res: Response;
  try {
    res = await request(method, path, body);
  } catch {
    throw new ApiError(
      0,
      'NETWORK',
      'The control plane cannot be reached; check that it is running',
    );
  }
  if (res.status === 401) {
    onSignedOut();
    throw await errorFrom(res);
  }
  if (!res.ok) throw await errorFrom(res);
  if (res.status === 204) return { body: undefined as T, headers: res.headers };
  return { body: (await res.json()) as T, headers: res.headers };
}

/** Asks whether the browser is signed in; remembers the CSRF token and the user when it is. */
export async function loadSession(): Promise<boolean> {
  const res = await fetch('/session', { credentials: 'same-origin' });
  if (!res.ok) throw new ApiError(res.status, 'HTTP_ERROR', `GET /session answered ${res.status}`);
  const body = (await res.json()) as { signedIn: boolean; csrfToken?: string; user?: User };
  if (!body.signedIn || !body.csrfToken || !body.user) return false;
  started(body as { csrfToken: string; user: User });
  return true;
}

function started(body: { csrfToken: string; user: User }): void {
  setCsrfToken(body.csrfToken);
  setCurrentUser(body.user);
}

/** A sign-in's outcome: in, or the account wants its two-factor code first. */
export type SignInResult = { signedIn: true } | { signedIn: false; secondFactor: string };

export async function signIn(body: SignInBody): Promise<SignInResult> {
  const res = await request('POST', '/session', body);
  if (res.status === 401 && !('token' in body) && body.code === undefined) {
    const answer = (await res
      .clone()
      .json()
      .catch(() => ({}))) as { secondFactor?: boolean; error?: { message?: string } };
    if (answer.secondFactor) {
      return { signedIn: false, secondFactor: answer.error?.message ?? 'Enter your code' };
    }
  }
  if (!res.ok) throw await errorFrom(res);
  started((await res.json()) as { csrfToken: string; user: User });
  return { signedIn: true };
}

/** Creates the invited account and signs it in. */
export async function acceptInvite(body: {
  token: string;
  name: string;
  password: string;
}): Promise<void> {
  const res = await request('POST', '/invites/accept', body);
  if (!res.ok) throw await errorFrom(res);
  started((await res.json()) as { csrfToken: string; user: User });
}

export async function signOut(): Promise<void> {
  await request('DELETE', '/session');
  setCsrfToken('');
  setCurrentUser(null);
}
