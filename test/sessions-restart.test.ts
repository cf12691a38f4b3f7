import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  restartControlPlane,
  startControlPlane,
  stopAll,
  type ControlPlane,
} from './support/processes.js';

interface Browser {
  cookie: string;
  csrfToken: string;
}

/** Signs in as the dashboard does: the admin token for a session cookie and a CSRF token. */
async function signIn(cp: ControlPlane): Promise<Browser> {
  const res = await fetch(`${cp.url}/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: cp.token }),
  });
  expect(res.status).toBe(201);
  const cookie = /berth_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')?.[0];
  if (!cookie) throw new Error('no session cookie');
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return { cookie, csrfToken };
}

async function projectsStatus(cp: ControlPlane, browser: Browser): Promise<number> {
  const res = await fetch(`${cp.url}/api/v1/projects`, { headers: { cookie: browser.cookie } });
  await res.body?.cancel();
  return res.status;
}

async function sessionOf(cp: ControlPlane, browser: Browser): Promise<unknown> {
  const res = await fetch(`${cp.url}/session`, { headers: { cookie: browser.cookie } });
  return res.json();
}

describe('dashboard sessions across control-plane restarts', () => {
  let cp: ControlPlane;

  beforeAll(async () => {
    cp = await startControlPlane();
  });
  afterAll(stopAll);

  it('keeps a browser signed in across a restart and a crash, with the same CSRF token', async () => {
    const browser = await signIn(cp);
    expect(await projectsStatus(cp, browser)).toBe(200);

    cp.process.kill('SIGTERM');
    await cp.process.exited;
    cp = await restartControlPlane(cp);
    expect(await projectsStatus(cp, browser)).toBe(200);
    expect(await sessionOf(cp, browser)).toMatchObject({
      signedIn: true,
      csrfToken: browser.csrfToken,
    });

    // A session answered a moment before a crash is on disk already.
    const fresh = await signIn(cp);
    cp.process.kill('SIGKILL');
    await cp.process.exited;
    cp = await restartControlPlane(cp);
    expect(await projectsStatus(cp, fresh)).toBe(200);
    // A change made with the cookie still needs the session's CSRF token.
    const created = await fetch(`${cp.url}/api/v1/projects`, {
      method: 'POST',
      headers: {
        cookie: fresh.cookie,
        'content-type': 'application/json',
        'x-csrf-token': fresh.csrfToken,
      },
      body: JSON.stringify({ name: 'after a crash' }),
    });
    expect(created.status).toBe(201);
  });

  it('signs every browser out everywhere, for good', async () => {
    const [a, b] = [await signIn(cp), await signIn(cp)];
    const res = await fetch(`${cp.url}/api/v1/sessions`, {
      method: 'DELETE',
      headers: { cookie: a.cookie, 'x-csrf-token': a.csrfToken },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { signedOut: number }).signedOut).toBeGreaterThanOrEqual(2);
    for (const browser of [a, b]) expect(await projectsStatus(cp, browser)).toBe(401);

    cp.process.kill('SIGTERM');
    await cp.process.exited;
    cp = await restartControlPlane(cp);
    for (const browser of [a, b]) expect(await projectsStatus(cp, browser)).toBe(401);
    // The admin token itself, the break-glass credential, still works.
    const admin = await fetch(`${cp.url}/api/v1/projects`, {
      headers: { authorization: `Bearer ${cp.token}` },
    });
    expect(admin.status).toBe(200);
  });
});
