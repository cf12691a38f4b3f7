import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hotp, totpStep, base32Decode } from '../auth/totp.js';
import { silentLogger } from '../log.js';
import { AuditLog } from '../store/audit-log.js';
import { addEnvironment, createTestApp } from './testing.js';

type TestApp = Awaited<ReturnType<typeof createTestApp>>;

const PASSWORD = 'correct horse battery';

async function stage() {
  const dir = await mkdtemp(join(tmpdir(), 'berth-sign-in-'));
  const audit = await AuditLog.open(join(dir, 'audit.ndjson'), {
    now: Date.now,
    log: silentLogger,
  });
  const t = await createTestApp({ withQueue: true, audit });
  return { t, audit };
}

function cookieOf(res: { headers: Headers }): string {
  return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
}

/** Invites `name` with `projects` and accepts; answers the new session's headers. */
async function invite(t: TestApp, name: string, projects: Record<string, string> = {}) {
  const created = await t.call('POST', '/api/v1/invites', { body: { projects } });
  expect(created.status).toBe(201);
  expect(created.json.url).toMatch(/\/#\/invite\/[A-Za-z0-9_-]{43}$/);
  const accepted = await t.call('POST', '/invites/accept', {
    token: null,
    body: { token: created.json.token, name, password: PASSWORD },
  });
  expect(accepted.status).toBe(201);
  return {
    token: created.json.token as string,
    user: accepted.json.user,
    headers: { cookie: cookieOf(accepted), 'x-csrf-token': accepted.json.csrfToken as string },
  };
}

function signIn(t: TestApp, body: Record<string, string>) {
  return t.call('POST', '/session', { token: null, body });
}

describe('sign-in with a name and password', () => {
  it('makes a user from a one-time invite that works for 72 hours', async () => {
    const { t } = await stage();
    const first = await invite(t, 'ana');
    expect(first.user).toMatchObject({ name: 'ana', role: 'member', hasPassword: true });
    const again = await t.call('POST', '/invites/accept', {
      token: null,
      body: { token: first.token, name: 'eve', password: PASSWORD },
    });
    expect(again.status).toBe(401);
    expect(again.json.error.message).toContain('already used');
    const late = await t.call('POST', '/api/v1/invites', { body: {} });
    t.clock.advance(73 * 3600_000);
    const expired = await t.call('POST', '/invites/accept', {
      token: null,
      body: { token: late.json.token, name: 'bob', password: PASSWORD },
    });
    expect(expired.json.error.message).toContain('expired');
    const short = await t.call('POST', '/invites/accept', {
      token: null,
      body: { token: 'x', name: 'bob', password: 'short' },
    });
    expect(short.status).toBe(400);
  });

  it('signs in with the password, refuses a wrong one, then slows guessing with growing delays', async () => {
    const { t, audit } = await stage();
    await invite(t, 'ana');
    expect((await signIn(t, { name: 'ana', password: PASSWORD })).status).toBe(201);
    const answers: number[] = [];
    for (let i = 0; i < 6; i++)
      answers.push((await signIn(t, { name: 'ana', password: 'guess' })).status);
    expect(answers).toEqual([401, 401, 401, 401, 401, 429]);
    const limited = await signIn(t, { name: 'ana', password: PASSWORD });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    t.clock.advance(1_000);
    expect((await signIn(t, { name: 'ana', password: PASSWORD })).status).toBe(201);
    const entries = await audit.query({ action: 'session.sign-in' });
    expect(entries.map((e) => e.outcome).reverse()).toEqual([
      'success',
      ...Array(5).fill('failure'),
      'denied',
      'denied',
      'success',
    ]);
    expect(entries.at(-2)).toMatchObject({ actor: { type: 'anonymous', name: 'ana' } });
    const session = await signIn(t, { name: 'ana', password: PASSWORD });
    const out = await t.call('DELETE', '/session', {
      token: null,
      headers: { cookie: cookieOf(session), 'x-csrf-token': session.json.csrfToken },
    });
    expect(out.status).toBe(204);
    expect((await audit.query({ limit: 1 }))[0]).toMatchObject({
      action: 'session.sign-out',
      actor: { type: 'user', name: 'ana' },
    });
  });

  it('asks for a second factor once two-factor is on, takes each code once, and a recovery code once', async () => {
    const { t } = await stage();
    const ana = await invite(t, 'ana');
    const started = await t.call('POST', '/api/v1/users/me/totp', {
      token: null,
      headers: ana.headers,
    });
    expect(started.json.otpauthUrl).toContain('otpauth://totp/Berth%3Aana');
    const code = () => hotp(base32Decode(started.json.secret), totpStep(t.clock.now()));
    const confirmed = await t.call('POST', '/api/v1/users/me/totp/confirm', {
      token: null,
      headers: ana.headers,
      body: { code: code() },
    });
    expect(confirmed.json.user.totpEnabled).toBe(true);
    const recovery: string[] = confirmed.json.recoveryCodes;
    expect(recovery).toHaveLength(10);

    t.clock.advance(30_000);
    const asked = await signIn(t, { name: 'ana', password: PASSWORD });
    expect(asked.status).toBe(401);
    expect(asked.json.secondFactor).toBe(true);
    expect(asked.headers.get('set-cookie')).toBeNull();
    const now = code();
    expect((await signIn(t, { name: 'ana', password: PASSWORD, code: now })).status).toBe(201);
    expect((await signIn(t, { name: 'ana', password: PASSWORD, code: now })).status).toBe(401);
    expect((await signIn(t, { name: 'ana', password: PASSWORD, code: recovery[0]! })).status).toBe(
      201,
    );
    expect((await signIn(t, { name: 'ana', password: PASSWORD, code: recovery[0]! })).status).toBe(
      401,
    );
  });

  it('signs a disabled user out at once and keeps them out', async () => {
    const { t } = await stage();
    const ana = await invite(t, 'ana');
    const disabled = await t.call('PATCH', `/api/v1/users/${ana.user.id}`, {
      body: { disabled: true },
    });
    expect(disabled.json.disabled).toBe(true);
    expect(
      (await t.call('GET', '/api/v1/users/me', { token: null, headers: ana.headers })).status,
    ).toBe(401);
    expect((await signIn(t, { name: 'ana', password: PASSWORD })).status).toBe(401);
  });
});

describe('roles and tokens', () => {
  it('lets a deployer token deploy, but never read env values or the webhook secret', async () => {
    const { t, audit } = await stage();
    const env = await addEnvironment(t);
    const projectId = (await t.call('GET', `/api/v1/environments/${env.id}`)).json.projectId;
    const service = (
      await t.call('POST', `/api/v1/environments/${env.id}/services`, {
        body: {
          name: 'web',
          source: { type: 'git', repository: 'https://git.example.com/web.git', ref: 'main' },
          env: { API_KEY: 'top-secret' },
        },
      })
    ).json;
    const dev = await invite(t, 'dev', { [projectId]: 'deployer' });
    const made = await t.call('POST', '/api/v1/tokens', {
      token: null,
      headers: dev.headers,
      body: { name: 'ci', scopes: ['deploy'] },
    });
    expect(made.json.token).toMatch(/^berth_pat_/);
    const ci = made.json.token as string;

    const deployed = await t.call('POST', `/api/v1/services/${service.id}/deployments`, {
      token: ci,
      body: {},
    });
    expect(deployed.status).toBe(202);
    expect(deployed.json.deployment.triggeredBy).toEqual({
      type: 'token',
      id: made.json.id,
      name: 'ci',
      userId: dev.user.id,
    });
    const seen = await t.call('GET', `/api/v1/services/${service.id}`, { token: ci });
    expect(seen.json).toMatchObject({ env: { API_KEY: '********' }, secretsHidden: true });
    expect(
      (await t.call('GET', `/api/v1/services/${service.id}/webhook`, { token: ci })).status,
    ).toBe(403);
    const saved = await t.call('PATCH', `/api/v1/services/${service.id}`, {
      token: ci,
      body: { env: {} },
    });
    expect(saved.status).toBe(403);
    expect((await t.call('GET', `/api/v1/tokens`, { token: ci })).status).toBe(403);

    const listed = (await t.call('GET', '/api/v1/tokens', { token: null, headers: dev.headers }))
      .json;
    expect(listed[0]).toMatchObject({ name: 'ci', scopes: ['deploy'] });
    expect(listed[0].lastUsedAt).toBeDefined();
    expect(JSON.stringify(listed)).not.toContain(ci);

    const log = await audit.query({});
    const deploy = log.find((e) => e.action === 'service.deploy');
    expect(deploy).toMatchObject({
      actor: { type: 'token', name: 'ci' },
      outcome: 'success',
      projectId,
    });
    const denied = log.find((e) => e.action === 'service.update');
    expect(denied).toMatchObject({ actor: { type: 'token' }, outcome: 'denied', status: 403 });
  });
});
