import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../log.js';
import { AuditLog } from '../store/audit-log.js';
import { createTestApp, TEST_ADMIN_TOKEN } from './testing.js';

// Every API route against every kind of caller. What each route needs is written here from the
// roles as users know them, not read from the server's table, and every route the app serves
// must be listed, so a new route without a rule fails this test.

type Need = 'owner' | 'configure' | 'secrets' | 'deploy' | 'read' | 'member' | 'self';

const SECRET_ENV = 'very-secret-value-7f3a9c';

/** [method, path with fixture ids in braces, what it needs]. */
const ROUTES: [string, string, Need][] = [
  ['POST', '/api/v1/join-tokens', 'owner'],
  ['GET', '/api/v1/servers', 'member'],
  ['GET', '/api/v1/servers/{server}', 'member'],
  ['DELETE', '/api/v1/servers/{server}', 'owner'],
  ['POST', '/api/v1/projects', 'owner'],
  ['GET', '/api/v1/projects', 'member'],
  ['GET', '/api/v1/projects/{project}', 'read'],
  ['POST', '/api/v1/projects/{project}/environments', 'configure'],
  ['GET', '/api/v1/projects/{project}/environments', 'read'],
  ['GET', '/api/v1/environments/{environment}', 'read'],
  ['POST', '/api/v1/environments/{environment}/services', 'configure'],
  ['GET', '/api/v1/environments/{environment}/services', 'read'],
  ['GET', '/api/v1/services/{service}', 'read'],
  ['PATCH', '/api/v1/services/{service}', 'configure'],
  ['POST', '/api/v1/services/{service}/deployments', 'deploy'],
  ['POST', '/api/v1/services/{service}/restart', 'deploy'],
  ['POST', '/api/v1/services/{service}/stop', 'deploy'],
  ['GET', '/api/v1/services/{service}/deployments', 'read'],
  ['GET', '/api/v1/services/{service}/logs', 'read'],
  ['POST', '/api/v1/services/{database}/expose', 'configure'],
  ['POST', '/api/v1/services/{database}/unexpose', 'configure'],
  ['POST', '/api/v1/services/{database}/backups', 'deploy'],
  ['GET', '/api/v1/services/{database}/backups', 'read'],
  ['GET', '/api/v1/services/{service}/env', 'secrets'],
  ['GET', '/api/v1/services/{service}/webhook', 'secrets'],
  ['POST', '/api/v1/services/{service}/webhook/rotate', 'configure'],
  ['GET', '/api/v1/services/{service}/webhook/deliveries', 'read'],
  ['GET', '/api/v1/deployments/{deployment}', 'read'],
  ['GET', '/api/v1/deployments/{deployment}/logs', 'read'],
  ['POST', '/api/v1/deployments/{deployment}/rollback', 'deploy'],
  ['POST', '/api/v1/deployments/{deployment}/cancel', 'deploy'],
  ['GET', '/api/v1/jobs/{job}', 'read'],
  ['GET', '/api/v1/backups/{backup}', 'read'],
  ['GET', '/api/v1/backups/{backup}/download', 'secrets'],
  ['POST', '/api/v1/backups/{backup}/restore', 'deploy'],
  ['GET', '/api/v1/events', 'member'],
  ['POST', '/api/v1/projects/{project}/notifications', 'configure'],
  ['GET', '/api/v1/projects/{project}/notifications', 'read'],
  ['DELETE', '/api/v1/projects/{project}/notifications/ntf_x', 'configure'],
  ['GET', '/api/v1/projects/{project}/notifications/ntf_x/deliveries', 'read'],
  ['POST', '/api/v1/registries', 'owner'],
  ['GET', '/api/v1/registries', 'member'],
  ['GET', '/api/v1/registries/reg_x', 'member'],
  ['PATCH', '/api/v1/registries/reg_x', 'owner'],
  ['DELETE', '/api/v1/registries/reg_x', 'owner'],
  ['POST', '/api/v1/git-credentials', 'owner'],
  ['GET', '/api/v1/git-credentials', 'member'],
  ['GET', '/api/v1/git-credentials/gc_x', 'member'],
  ['PATCH', '/api/v1/git-credentials/gc_x', 'owner'],
  ['DELETE', '/api/v1/git-credentials/gc_x', 'owner'],
  ['POST', '/api/v1/system/rotate-secret-key', 'owner'],
  ['GET', '/api/v1/audit', 'owner'],
  ['GET', '/api/v1/users', 'owner'],
  ['PATCH', '/api/v1/users/{viewerId}', 'owner'],
  ['DELETE', '/api/v1/users/usr_nobody', 'owner'],
  ['GET', '/api/v1/invites', 'owner'],
  ['POST', '/api/v1/invites', 'owner'],
  ['DELETE', '/api/v1/invites/inv_x', 'owner'],
  ['GET', '/api/v1/users/me', 'member'],
  ['PUT', '/api/v1/users/me/password', 'self'],
  ['POST', '/api/v1/users/me/totp', 'self'],
  ['POST', '/api/v1/users/me/totp/confirm', 'self'],
  ['DELETE', '/api/v1/users/me/totp', 'self'],
  ['GET', '/api/v1/tokens', 'self'],
  ['POST', '/api/v1/tokens', 'self'],
  ['DELETE', '/api/v1/tokens/tok_x', 'self'],
  // Last: it signs the caller's sessions out.
  ['DELETE', '/api/v1/sessions', 'self'],
];

const ROLE_RIGHTS = {
  admin: ['read', 'deploy', 'configure', 'secrets'],
  deployer: ['read', 'deploy'],
  viewer: ['read'],
} as const;
const SCOPE_RIGHTS = {
  read: ROLE_RIGHTS.viewer,
  deploy: ROLE_RIGHTS.deployer,
  admin: ROLE_RIGHTS.admin,
};

type Role = keyof typeof ROLE_RIGHTS;
type Scope = keyof typeof SCOPE_RIGHTS;

/** A kind of caller: who they are in project A (where every target is), and how they call. */
interface Caller {
  name: string;
  /** undefined: signed in nowhere. */
  user?: { owner?: boolean; grants?: Record<string, Role> };
  via: 'none' | 'admin-token' | 'session' | 'token' | 'expired-token' | 'revoked-token';
  scopes?: Scope[];
  /** Token restricted to project "B" instead of none. */
  tokenToB?: boolean;
}

const CALLERS: Caller[] = [
  { name: 'no credential', via: 'none' },
  {
    name: 'expired token',
    user: { grants: { A: 'admin' } },
    via: 'expired-token',
    scopes: ['admin'],
  },
  {
    name: 'revoked token',
    user: { grants: { A: 'admin' } },
    via: 'revoked-token',
    scopes: ['admin'],
  },
  { name: 'owner (admin token)', user: { owner: true }, via: 'admin-token' },
  { name: 'owner (session)', user: { owner: true }, via: 'session' },
  { name: 'owner (admin token scope)', user: { owner: true }, via: 'token', scopes: ['admin'] },
  { name: 'owner (read token)', user: { owner: true }, via: 'token', scopes: ['read'] },
  { name: 'admin (session)', user: { grants: { A: 'admin' } }, via: 'session' },
  {
    name: 'admin (admin token)',
    user: { grants: { A: 'admin' } },
    via: 'token',
    scopes: ['admin'],
  },
  {
    name: 'admin (deploy token)',
    user: { grants: { A: 'admin' } },
    via: 'token',
    scopes: ['deploy'],
  },
  { name: 'deployer (session)', user: { grants: { A: 'deployer' } }, via: 'session' },
  {
    name: 'deployer (deploy token)',
    user: { grants: { A: 'deployer' } },
    via: 'token',
    scopes: ['deploy'],
  },
  {
    name: 'deployer (admin token)',
    user: { grants: { A: 'deployer' } },
    via: 'token',
    scopes: ['admin'],
  },
  { name: 'viewer (session)', user: { grants: { A: 'viewer' } }, via: 'session' },
  {
    name: 'viewer (read token)',
    user: { grants: { A: 'viewer' } },
    via: 'token',
    scopes: ['read'],
  },
  { name: 'viewer of all projects', user: { grants: { '*': 'viewer' } }, via: 'session' },
  { name: 'admin of another project', user: { grants: { B: 'admin' } }, via: 'session' },
  {
    name: 'admin everywhere, token for B only',
    user: { grants: { '*': 'admin' } },
    via: 'token',
    scopes: ['admin'],
    tokenToB: true,
  },
];

/** What the caller should get: allowed, forbidden (403), hidden (404) or unauthenticated (401). */
function expected(caller: Caller, need: Need): 'allowed' | 403 | 404 | 401 {
  if (
    !caller.user ||
    caller.via === 'none' ||
    (caller.via.endsWith('-token') && caller.via !== 'admin-token')
  ) {
    return 401;
  }
  const token = caller.via === 'token';
  if (need === 'member') return 'allowed';
  if (need === 'self') return token ? 403 : 'allowed';
  if (need === 'owner') {
    return caller.user.owner && (!token || caller.scopes?.includes('admin')) ? 'allowed' : 403;
  }
  const role: Role | undefined = caller.user.owner
    ? 'admin'
    : (caller.user.grants?.A ?? caller.user.grants?.['*']);
  const inA = role !== undefined && !(token && caller.tokenToB);
  const rights = new Set<string>(inA ? ROLE_RIGHTS[role] : []);
  if (token) {
    const capped = new Set<string>(caller.scopes!.flatMap((scope) => SCOPE_RIGHTS[scope]));
    for (const right of rights) if (!capped.has(right)) rights.delete(right);
  }
  if (!rights.has('read')) return 404;
  return rights.has(need) ? 'allowed' : 403;
}

async function openAudit(): Promise<AuditLog> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-access-'));
  return AuditLog.open(join(dir, 'audit.ndjson'), { now: Date.now, log: silentLogger });
}

async function stage(caller: Caller) {
  const audit = await openAudit();
  const t = await createTestApp({ withQueue: true, audit });
  const owner = (method: string, path: string, body?: unknown) =>
    t.call(method, path, body === undefined ? {} : { body });
  await t.addServer('srv_a');
  const a = (await owner('POST', '/api/v1/projects', { name: 'A' })).json;
  const b = (await owner('POST', '/api/v1/projects', { name: 'B' })).json;
  const env = (
    await owner('POST', `/api/v1/projects/${a.id}/environments`, {
      name: 'prod',
      serverId: 'srv_a',
    })
  ).json;
  const service = (
    await owner('POST', `/api/v1/environments/${env.id}/services`, {
      name: 'web',
      source: { type: 'git', repository: 'https://git.example.com/web.git', ref: 'main' },
      env: { API_KEY: SECRET_ENV },
    })
  ).json;
  const database = (
    await owner('POST', `/api/v1/environments/${env.id}/services`, {
      name: 'db',
      source: { type: 'database', engine: 'postgres' },
    })
  ).json;
  const deployed = (await owner('POST', `/api/v1/services/${service.id}/deployments`, {})).json;
  const backedUp = (await owner('POST', `/api/v1/services/${database.id}/backups`, {})).json;
  const ids: Record<string, string> = {
    server: 'srv_a',
    project: a.id,
    environment: env.id,
    service: service.id,
    database: database.id,
    deployment: deployed.deployment.id,
    job: deployed.job.id,
    backup: backedUp.backup.id,
  };
  const dbPassword: string = database.connection.password;

  // A viewer who is only a target of the user routes.
  ids.viewerId = (await member(t, { [a.id]: 'viewer' }, 'target-viewer')).user.id;

  const headers: Record<string, string> = {};
  if (caller.via === 'admin-token') headers.authorization = `Bearer ${TEST_ADMIN_TOKEN}`;
  if (caller.user && caller.via !== 'admin-token' && caller.via !== 'none') {
    const grants = Object.fromEntries(
      Object.entries(caller.user.grants ?? {}).map(([key, role]) => [
        key === 'A' ? a.id : key === 'B' ? b.id : key,
        role,
      ]),
    );
    const session = caller.user.owner ? await ownerSession(t) : await member(t, grants, 'caller');
    if (caller.via === 'session') {
      headers.cookie = session.cookie;
      headers['x-csrf-token'] = session.csrfToken;
    } else {
      const created = await t.call('POST', '/api/v1/tokens', {
        token: null,
        headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken },
        body: {
          name: 'ci',
          scopes: caller.scopes,
          ...(caller.tokenToB ? { projectId: b.id } : {}),
          ...(caller.via === 'expired-token' ? { expiresInDays: 1 } : {}),
        },
      });
      expect(created.status).toBe(201);
      headers.authorization = `Bearer ${created.json.token}`;
      if (caller.via === 'expired-token') t.clock.advance(2 * 24 * 3600_000);
      if (caller.via === 'revoked-token') {
        const revoked = await t.call('DELETE', `/api/v1/tokens/${created.json.id}`, {
          token: null,
          headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken },
        });
        expect(revoked.status).toBe(204);
      }
    }
  }
  return { t, ids, headers, secrets: [SECRET_ENV, dbPassword], audit };
}

async function ownerSession(t: Awaited<ReturnType<typeof createTestApp>>) {
  const res = await t.app.request('/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: TEST_ADMIN_TOKEN }),
  });
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  return { cookie, csrfToken: ((await res.json()) as { csrfToken: string }).csrfToken };
}

/** A member made the way people are: an invite from the owner, accepted with a password. */
async function member(
  t: Awaited<ReturnType<typeof createTestApp>>,
  projects: Record<string, Role>,
  name: string,
) {
  const invite = await t.call('POST', '/api/v1/invites', { body: { projects } });
  expect(invite.status).toBe(201);
  const res = await t.app.request('/invites/accept', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: invite.json.token, name, password: 'correct horse battery' }),
  });
  expect(res.status).toBe(201);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  const body = (await res.json()) as { csrfToken: string; user: { id: string } };
  return { cookie, csrfToken: body.csrfToken, user: body.user };
}

describe('access control: every route against every caller', () => {
  let checks = 0;
  afterAll(() => {
    console.log(
      `${checks} route × role checks (${ROUTES.length} routes, ${CALLERS.length} callers)`,
    );
  });

  it('lists every API route the app serves', async () => {
    const t = await createTestApp({ withQueue: true, audit: await openAudit() });
    const served = new Set(
      t.app.routes
        .filter((route) => route.method !== 'ALL' && route.path.startsWith('/api/'))
        .map((route) => `${route.method} ${route.path}`),
    );
    const listed = new Set(
      ROUTES.map(
        ([method, path]) =>
          `${method} ${path.replace(/\{[a-zA-Z]+\}|(?<=\/)(ntf|reg|gc|inv|tok|usr)_[a-z]+/g, ':id')}`,
      ),
    );
    const normalized = [...served].map((route) => route.replace(/:[a-zA-Z]+/g, ':id'));
    expect(normalized.filter((route) => !listed.has(route))).toEqual([]);
  });

  for (const caller of CALLERS) {
    it(`answers ${caller.name} as its role allows, never with a secret it may not read`, async () => {
      const { t, ids, headers, secrets } = await stage(caller);
      const mayReadSecrets = expected(caller, 'secrets') === 'allowed';
      const wrong: string[] = [];
      for (const [method, template, need] of ROUTES) {
        const path = template.replace(/\{([a-zA-Z]+)\}/g, (_, key: string) => ids[key]!);
        const controller = new AbortController();
        const res = await t.app.request(path, {
          method,
          headers: {
            ...headers,
            ...(method === 'GET' ? {} : { 'content-type': 'application/json' }),
          },
          ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }),
          signal: controller.signal,
        });
        const text = path.endsWith('/events') ? '' : await res.text();
        controller.abort();
        checks++;
        const want = expected(caller, need);
        const got = res.status;
        const ok =
          want === 'allowed'
            ? got !== 401 &&
              got !== 403 &&
              !(got === 404 && text.includes('not found') && !/_x|nobody/.test(path))
            : got === want;
        if (!ok)
          wrong.push(`${method} ${template}: expected ${want}, got ${got} ${text.slice(0, 160)}`);
        if (!mayReadSecrets) {
          for (const secret of secrets) {
            if (text.includes(secret)) wrong.push(`${method} ${template} answered a secret`);
          }
        }
      }
      expect(wrong).toEqual([]);
    });
  }
});
