import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../crypto.js';
import { fakeClock } from '../testing/fake-clock.js';
import { DashboardSessions, SESSION_COOKIE, type SessionEntry } from './session.js';
import { TEST_ADMIN_TOKEN, createTestApp } from './testing.js';

type TestApp = Awaited<ReturnType<typeof createTestApp>>;

/** Signs in as a browser would and returns the cookie header and CSRF token. */
async function signIn(t: TestApp, headers: Record<string, string> = {}) {
  const res = await t.call('POST', '/session', {
    token: null,
    body: { token: TEST_ADMIN_TOKEN },
    headers,
  });
  expect(res.status).toBe(201);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const value = new RegExp(`${SESSION_COOKIE}=([^;]+)`).exec(setCookie)?.[1];
  if (!value) throw new Error(`no session cookie in ${setCookie}`);
  return {
    setCookie,
    cookie: `${SESSION_COOKIE}=${value}`,
    sessionId: value,
    csrfToken: res.json.csrfToken as string,
  };
}

describe('dashboard sign-in', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie and answers a CSRF token', async () => {
    const t = await createTestApp();
    const { setCookie, csrfToken } = await signIn(t);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Secure/i);
    expect(csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('marks the cookie Secure when the dashboard is served over https', async () => {
    const t = await createTestApp();
    const proxied = await signIn(t, { 'x-forwarded-proto': 'https' });
    expect(proxied.setCookie).toMatch(/; Secure/i);
    const direct = await t.app.request('https://berth.example/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: TEST_ADMIN_TOKEN }),
    });
    expect(direct.headers.get('set-cookie')).toMatch(/; Secure/i);
  });

  it('refuses a wrong token without setting a cookie', async () => {
    const t = await createTestApp();
    const res = await t.call('POST', '/session', { token: null, body: { token: 'nope' } });
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe('UNAUTHORIZED');
    expect(res.json.error.message).toContain('admin-token');
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('says whether the browser is signed in, and never lets the answer be cached', async () => {
    const t = await createTestApp();
    const out = await t.call('GET', '/session', { token: null });
    expect(out.json).toEqual({ signedIn: false });
    const { cookie, csrfToken } = await signIn(t);
    const res = await t.call('GET', '/session', { token: null, headers: { cookie } });
    expect(res.json).toMatchObject({
      signedIn: true,
      csrfToken,
      user: { name: 'owner', role: 'owner' },
    });
    expect(res.headers.get('cache-control')).toBe('no-store');
  });
});

describe('API access with the session cookie', () => {
  it('reads with the cookie alone', async () => {
    const t = await createTestApp();
    const { cookie } = await signIn(t);
    expect(
      (await t.call('GET', '/api/v1/projects', { token: null, headers: { cookie } })).status,
    ).toBe(200);
    const forged = `${SESSION_COOKIE}=not-a-session`;
    const res = await t.call('GET', '/api/v1/projects', {
      token: null,
      headers: { cookie: forged },
    });
    expect(res.status).toBe(401);
  });

  it('refuses a change without the CSRF token, or with a wrong one', async () => {
    const t = await createTestApp();
    const { cookie, csrfToken } = await signIn(t);
    const attempts: Record<string, string>[] = [
      { cookie },
      { cookie, 'x-csrf-token': `${csrfToken}x` },
    ];
    for (const headers of attempts) {
      const res = await t.call('POST', '/api/v1/projects', {
        token: null,
        headers,
        body: { name: 'forged' },
      });
      expect(res.status).toBe(403);
      expect(res.json.error.message).toContain('x-csrf-token');
    }
    expect(t.store.projects.list()).toHaveLength(0);
    const ok = await t.call('POST', '/api/v1/projects', {
      token: null,
      headers: { cookie, 'x-csrf-token': csrfToken },
      body: { name: 'shop' },
    });
    expect(ok.status).toBe(201);
  });

  it("does not accept another session's CSRF token", async () => {
    const t = await createTestApp();
    const first = await signIn(t);
    const second = await signIn(t);
    const res = await t.call('POST', '/api/v1/projects', {
      token: null,
      headers: { cookie: first.cookie, 'x-csrf-token': second.csrfToken },
      body: { name: 'shop' },
    });
    expect(res.status).toBe(403);
  });

  it('leaves bearer access as it was: no CSRF token needed, a wrong bearer is refused', async () => {
    const t = await createTestApp();
    const bearer = await t.call('POST', '/api/v1/projects', { body: { name: 'api' } });
    expect(bearer.status).toBe(201);
    const { cookie, csrfToken } = await signIn(t);
    const wrongBearer = await t.call('GET', '/api/v1/projects', {
      token: 'wrong',
      headers: { cookie, 'x-csrf-token': csrfToken },
    });
    expect(wrongBearer.status).toBe(401);
    expect(wrongBearer.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('ends the session after 12 hours without use', async () => {
    const t = await createTestApp();
    const { cookie } = await signIn(t);
    t.clock.advance(11 * 3600_000);
    expect(
      (await t.call('GET', '/api/v1/projects', { token: null, headers: { cookie } })).status,
    ).toBe(200);
    t.clock.advance(11 * 3600_000);
    expect(
      (await t.call('GET', '/api/v1/projects', { token: null, headers: { cookie } })).status,
    ).toBe(200);
    t.clock.advance(12 * 3600_000 + 1);
    expect(
      (await t.call('GET', '/api/v1/projects', { token: null, headers: { cookie } })).status,
    ).toBe(401);
  });

  it('signs out: the cookie is cleared and the session no longer works', async () => {
    const t = await createTestApp();
    const { cookie, csrfToken } = await signIn(t);
    const refused = await t.call('DELETE', '/session', { token: null, headers: { cookie } });
    expect(refused.status).toBe(403);
    const res = await t.call('DELETE', '/session', {
      token: null,
      headers: { cookie, 'x-csrf-token': csrfToken },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('set-cookie')).toMatch(
      new RegExp(`${SESSION_COOKIE}=;.*Max-Age=0`, 'i'),
    );
    expect(
      (await t.call('GET', '/api/v1/projects', { token: null, headers: { cookie } })).status,
    ).toBe(401);
  });
});

describe('DashboardSessions', () => {
  it('keeps only a hash of each session id', () => {
    const held = new Map<string, SessionEntry>();
    const sessions = new DashboardSessions(fakeClock().now, { byHash: held });
    const { id } = sessions.create('usr_test');
    expect([...held.keys()]).toEqual([sha256Hex(id)]);
    expect(JSON.stringify([...held.values()])).not.toContain(id);
    expect(sessions.lookup(id)).toBeDefined();
    expect(sessions.lookup(`${id}x`)).toBeUndefined();
  });

  it('ends a session a week after sign-in even when it is used', () => {
    const clock = fakeClock();
    const sessions = new DashboardSessions(clock.now);
    const { id } = sessions.create('usr_test');
    for (let hour = 0; hour < 7 * 24; hour += 6) {
      expect(sessions.lookup(id)).toBeDefined();
      clock.advance(6 * 3600_000);
    }
    clock.advance(1);
    expect(sessions.lookup(id)).toBeUndefined();
  });

  it('drops the oldest sessions past its limit', () => {
    const sessions = new DashboardSessions(fakeClock().now);
    const first = sessions.create('usr_test');
    for (let i = 0; i < 1_000; i++) sessions.create('usr_test');
    expect(sessions.size).toBe(1_000);
    expect(sessions.lookup(first.id)).toBeUndefined();
  });
});
