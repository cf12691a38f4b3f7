import {
  chmodSync,
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  watch,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { api } from '../support/api.js';
import {
  FAST_TIMING,
  ManagedProcess,
  REPO_ROOT,
  restartControlPlane,
  startControlPlane,
  stopAll,
  tempDir,
  type ControlPlane,
} from '../support/processes.js';

// A data dir written by release 0.1.0 (everything in one db.json) and every answer 0.1.0 gave on
// it; see test/fixtures/data-0.1.0/README.md.
const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'data-0.1.0');
const NOT_DATA = new Set(['expected-0.1.0.json', 'README.md']);
const BACKUP = 'db.json.pre-0.2.bak';
const MIGRATED = /migrated \S+db\.json from release 0\.1\.0: 8 deployment\(s\) and 11 job\(s\)/g;

const CP_ENV = {
  // The fixture's server has no agent: keep it online, as it was when 0.1.0 answered.
  BERTH_RESTART_GRACE_MS: '3600000',
  // Its queued jobs must not expire while they wait for that server (30 days, the maximum).
  BERTH_QUEUE_TIMEOUT_MS: String(30 * 24 * 3_600_000),
  // The fixture ages; its logs must not fall to the log retention.
  BERTH_LOG_RETENTION_DAYS: '0',
};

interface Answer {
  status: number;
  contentType: string | null;
  body: unknown;
}

interface Snapshot {
  servers: Answer;
  projects: Answer;
  environmentsOfProject: Answer;
  servicesOfEnvironment: Answer;
  services: Record<string, Answer>;
  deploymentLists: Record<string, Answer>;
  deployments: Record<string, Answer>;
  jobs: Record<string, Answer>;
  logs: Record<string, Answer>;
}

interface Expected {
  adminToken: string;
  ids: { projectId: string; environmentId: string; services: Record<string, string> };
  immediate: Snapshot & { takenAt: string };
}

interface DeploymentView {
  id: string;
  createdAt: string;
  number: number;
  status: string;
  trigger: string;
  serviceId: string;
  phases?: unknown[];
}

interface LegacyDb {
  services: Record<string, unknown>[];
  deployments: { id: string; jobId: string }[];
  servers: Record<string, unknown>[];
  revokedServerIds: string[];
  joinTokens: { tokenHash: string; usedAt?: string }[];
  [key: string]: unknown;
}

const expected = JSON.parse(readFileSync(join(FIXTURE, 'expected-0.1.0.json'), 'utf8')) as Expected;
const fixtureDb = readFileSync(join(FIXTURE, 'db.json'));
const legacy = JSON.parse(fixtureDb.toString('utf8')) as LegacyDb;
const jobOfDeployment = new Map(legacy.deployments.map((d) => [d.id, d.jobId]));
const fixtureLogs = readdirSync(join(FIXTURE, 'logs'));

const dirs: string[] = [];

/** A fresh copy of the 0.1.0 data dir, with the modes 0.1.0 gave it (git keeps none). */
function copyFixture(): string {
  const dataDir = join(tempDir('migration'), 'data');
  dirs.push(dirname(dataDir));
  cpSync(FIXTURE, dataDir, { recursive: true, filter: (src) => !NOT_DATA.has(basename(src)) });
  chmodSync(dataDir, 0o700);
  chmodSync(join(dataDir, 'logs'), 0o700);
  for (const name of ['db.json', 'admin-token']) chmodSync(join(dataDir, name), 0o600);
  for (const name of fixtureLogs) chmodSync(join(dataDir, 'logs', name), 0o600);
  return dataDir;
}

async function get(cp: ControlPlane, path: string, raw = false): Promise<Answer> {
  const res = await fetch(`${cp.url}${path}`, {
    headers: { authorization: `Bearer ${cp.token}` },
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const text = bytes.toString('utf8');
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    body: raw ? bytes : text ? (JSON.parse(text) as unknown) : null,
  };
}

async function each(
  cp: ControlPlane,
  ids: string[],
  path: (id: string) => string,
  raw = false,
): Promise<Record<string, Answer>> {
  const answers: Record<string, Answer> = {};
  for (const id of ids) answers[id] = await get(cp, path(id), raw);
  return answers;
}

/** The same calls 0.1.0 answered, on the control plane `cp`. */
async function snapshot(cp: ControlPlane): Promise<Snapshot> {
  const want = expected.immediate;
  const { ids } = expected;
  return {
    servers: await get(cp, '/api/v1/servers'),
    projects: await get(cp, '/api/v1/projects'),
    environmentsOfProject: await get(cp, `/api/v1/projects/${ids.projectId}/environments`),
    servicesOfEnvironment: await get(cp, `/api/v1/environments/${ids.environmentId}/services`),
    services: await each(cp, Object.keys(want.services), (id) => `/api/v1/services/${id}`),
    deploymentLists: await each(
      cp,
      Object.keys(want.deploymentLists),
      (id) => `/api/v1/services/${id}/deployments?limit=100`,
    ),
    deployments: await each(cp, Object.keys(want.deployments), (id) => `/api/v1/deployments/${id}`),
    jobs: await each(cp, Object.keys(want.jobs), (id) => `/api/v1/jobs/${id}`),
    logs: await each(cp, Object.keys(want.logs), (id) => `/api/v1/deployments/${id}/logs`, true),
  };
}

/**
 * A deployment as 0.1.0 answered it, with the one field added since: its timeline, which for
 * a deployment recorded before timelines existed is its time in the queue, from its times.
 */
function withTimeline(deployment: DeploymentView): DeploymentView {
  return {
    ...deployment,
    phases: [expect.objectContaining({ name: 'queued', startedAt: deployment.createdAt })],
  };
}

/** A service as 0.1.0 answered it, with the fields added since: no domains, the default drain. */
function withDomains(service: Record<string, unknown>): Record<string, unknown> {
  return { ...service, domains: [], drainSeconds: 30 };
}

/**
 * Every answer equals 0.1.0's, field for field: no field lost, none added but a deployment's
 * timeline (`phases`, see {@link withTimeline}) and a service's `domains` and `drainSeconds`
 * (see {@link withDomains}). Only a server's
 * `outdated` may differ (it compares the agent with the bundle this control plane serves), and
 * a server 0.1.0 showed online is `reconnecting` here: its agent is not running, and a restarted
 * control plane no longer calls a server online before its agent is back.
 * Deployment logs are compared byte for byte, with 0.1.0's answer and with the log file.
 */
async function expectAnswersOf010(cp: ControlPlane): Promise<void> {
  const actual = await snapshot(cp);
  const { takenAt: _takenAt, ...want } = structuredClone(expected.immediate);
  for (const answer of Object.values(want.deployments))
    answer.body = withTimeline(answer.body as DeploymentView);
  for (const answer of Object.values(want.deploymentLists))
    answer.body = (answer.body as DeploymentView[]).map(withTimeline);
  for (const answer of Object.values(want.services))
    answer.body = withDomains(answer.body as Record<string, unknown>);
  want.servicesOfEnvironment.body = (
    want.servicesOfEnvironment.body as Record<string, unknown>[]
  ).map(withDomains);
  want.servers.body = (want.servers.body as { status: string }[]).map((s) => ({
    ...s,
    status: s.status === 'online' ? 'reconnecting' : s.status,
    outdated: expect.any(Boolean),
  }));
  for (const [deploymentId, answer] of Object.entries(actual.logs)) {
    const bytes = answer.body as Buffer;
    expect(bytes.equals(Buffer.from(want.logs[deploymentId]!.body as string, 'utf8'))).toBe(true);
    const file = join(FIXTURE, 'logs', `${jobOfDeployment.get(deploymentId)}.ndjson`);
    expect(bytes.equals(existsSync(file) ? readFileSync(file) : Buffer.alloc(0))).toBe(true);
    answer.body = bytes.toString('utf8');
  }
  expect(actual).toEqual(want);
}

/** History pages (`limit`, `before` as an id or a number) cut 0.1.0's newest-first list alike. */
async function expectHistoryPages(cp: ControlPlane): Promise<void> {
  for (const [serviceId, answer] of Object.entries(expected.immediate.deploymentLists)) {
    const all = (answer.body as DeploymentView[]).map(withTimeline);
    const base = `/api/v1/services/${serviceId}/deployments`;
    expect((await get(cp, base)).body).toEqual(all);
    for (const limit of [1, 2]) {
      let before: string | undefined;
      for (let at = 0; at <= all.length; at += limit) {
        const page = await get(cp, `${base}?limit=${limit}${before ? `&before=${before}` : ''}`);
        expect(page.status).toBe(200);
        expect(page.body).toEqual(all.slice(at, at + limit));
        before = all[at + limit - 1]?.id;
        if (!before) break;
      }
    }
    const newest = all[0]!;
    expect((await get(cp, `${base}?limit=100&before=${newest.number}`)).body).toEqual(all.slice(1));
  }
}

/** The layout this release writes: configuration in db.json (v2), history in history/. */
function expectMigratedFiles(dataDir: string): void {
  const backup = join(dataDir, BACKUP);
  expect(readFileSync(backup).equals(fixtureDb)).toBe(true);
  expect(statSync(backup).mode & 0o777).toBe(0o600);

  const dbPath = join(dataDir, 'db.json');
  expect(statSync(dbPath).mode & 0o777).toBe(0o600);
  const db = JSON.parse(readFileSync(dbPath, 'utf8')) as Record<string, unknown>;
  expect(db.version).toBe(2);
  // Env values are sealed on disk (the API answers them plain, see expectAnswersOf010).
  const sealedEnv = (db.services as { env: Record<string, string> }[]).flatMap((service) =>
    Object.values(service.env),
  );
  expect(sealedEnv.length).toBeGreaterThan(0);
  for (const value of sealedEnv) expect(value).toMatch(/^berth:v1:[0-9a-f]{16}:/);
  db.services = (db.services as { env: Record<string, string> }[]).map((service) => ({
    ...service,
    env: Object.keys(service.env),
  }));
  for (const key of ['deployments', 'jobs', 'keptImages']) expect(db).not.toHaveProperty(key);
  // The configuration is kept whole, internals the API never shows included (keys, hashes, times).
  // Servers, tombstones and spent join tokens live in the server journal; db.json keeps the rest.
  const {
    deployments: _d,
    jobs: _j,
    keptImages: _k,
    services,
    servers,
    revokedServerIds,
    joinTokens,
    ...config
  } = legacy;
  expect(db).toEqual({
    version: 2,
    ...config,
    servers: [],
    revokedServerIds: [],
    joinTokens: joinTokens.filter((token) => !token.usedAt),
    services: services.map(
      ({ status: _s, primaryAction: _p, currentDeploymentId: _c, ...service }) => ({
        ...service,
        env: Object.keys(service.env as Record<string, string>),
      }),
    ),
    registries: [],
    gitCredentials: [],
    webhookDeliveries: [],
    notificationTargets: [],
    notificationDeliveries: [],
    sessions: [],
    // The first start of this release makes the owner, whom the admin token signs in as.
    users: [
      {
        id: expect.stringMatching(/^usr_/),
        name: 'owner',
        role: 'owner',
        projects: {},
        createdAt: expect.any(String),
      },
    ],
    invites: [],
    apiTokens: [],
  });
  const journalPath = join(dataDir, 'servers.ndjson');
  expect(statSync(journalPath).mode & 0o777).toBe(0o600);
  const journal = readFileSync(journalPath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(journal).toEqual(
    expect.arrayContaining([
      ...servers.map(({ status: _s, lastSeenAt: _l, ...server }) => ({ op: 'server', server })),
      ...revokedServerIds.map((id) => ({ op: 'revoke', id })),
      ...joinTokens
        .filter((token) => token.usedAt)
        .map((token) => ({ op: 'spent', tokenHash: token.tokenHash, until: expect.any(Number) })),
    ]),
  );
  expect(statSync(join(dataDir, 'history', 'data.mdb')).mode & 0o777).toBe(0o600);

  expect(
    readFileSync(join(dataDir, 'admin-token')).equals(readFileSync(join(FIXTURE, 'admin-token'))),
  ).toBe(true);
  expect(readdirSync(join(dataDir, 'logs')).sort()).toEqual([...fixtureLogs].sort());
  for (const name of fixtureLogs) {
    const file = readFileSync(join(dataDir, 'logs', name));
    expect(file.equals(readFileSync(join(FIXTURE, 'logs', name)))).toBe(true);
  }
}

function migrations(cp: ControlPlane): number {
  return [...cp.process.output.matchAll(MIGRATED)].length;
}

function start(dataDir: string): Promise<ControlPlane> {
  // No BERTH_ADMIN_TOKEN: the token 0.1.0 kept in the data dir must still be the one.
  return startControlPlane({ dataDir, env: CP_ENV });
}

type CrashPoint = 'spawn' | 'backup-temp' | 'backup' | 'rewrite';

/** The file whose appearance is the moment to kill; none for `spawn` (killed at once). */
const CRASH_AT: Record<CrashPoint, ((name: string) => boolean) | null> = {
  spawn: null,
  // Copying db.json to the backup's temp file.
  'backup-temp': (name) => name === `${BACKUP}.tmp`,
  // The backup is complete; the history is not imported yet.
  backup: (name) => name === BACKUP,
  // The history is imported; the new db.json is being written.
  rewrite: (name) => /^db\.json\.[0-9a-f]{12}\.tmp$/.test(name),
};

/** Starts a control plane on `dataDir` and SIGKILLs it at `at`; resolves to what it left. */
async function crashMigration(
  dataDir: string,
  at: CrashPoint,
): Promise<{ backup: boolean; version: unknown }> {
  const env = {
    BERTH_PORT: '0',
    BERTH_HOST: '127.0.0.1',
    BERTH_DATA_DIR: dataDir,
    ...FAST_TIMING,
    ...CP_ENV,
  };
  const script = join(REPO_ROOT, 'control-plane/dist/main.js');
  const isMoment = CRASH_AT[at];
  let proc: ManagedProcess | undefined;
  const watcher = watch(dataDir, (_event, name) => {
    if (name && isMoment?.(name)) proc?.kill('SIGKILL');
  });
  let missed = false;
  // Should the moment never come, the process is stopped all the same and the test fails.
  const timer = setTimeout(() => {
    missed = true;
    proc?.kill('SIGKILL');
  }, 15_000);
  try {
    proc = new ManagedProcess('control-plane-crash', script, env);
    if (!isMoment) proc.kill('SIGKILL');
    const exit = await proc.exited;
    expect(missed, `no moment to kill at ${at}:\n${proc.output}`).toBe(false);
    expect(exit.signal).toBe('SIGKILL');
  } finally {
    clearTimeout(timer);
    watcher.close();
  }
  const db = JSON.parse(readFileSync(join(dataDir, 'db.json'), 'utf8')) as { version?: unknown };
  return { backup: existsSync(join(dataDir, BACKUP)), version: db.version };
}

describe('upgrading a 0.1.0 data dir', () => {
  afterAll(async () => {
    await stopAll();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('migrates on first start, answers as 0.1.0 did, and migrates once only', async () => {
    const dataDir = copyFixture();
    let cp = await start(dataDir);
    expect(cp.token).toBe(expected.adminToken);
    expect(cp.process.output).not.toContain('Admin token (saved to');
    await expectAnswersOf010(cp);
    await expectHistoryPages(cp);
    expectMigratedFiles(dataDir);
    expect(migrations(cp)).toBe(1);
    expect(cp.process.output).toContain(`the old file is kept as ${join(dataDir, BACKUP)}`);

    // A restart finds the current layout: the same answers, and nothing migrates again.
    const dbAfterMigration = readFileSync(join(dataDir, 'db.json'));
    const backupMtimeMs = statSync(join(dataDir, BACKUP)).mtimeMs;
    await cp.process.stop();
    cp = await restartControlPlane(cp);
    await expectAnswersOf010(cp);
    expectMigratedFiles(dataDir);
    expect(migrations(cp)).toBe(0);
    expect(statSync(join(dataDir, BACKUP)).mtimeMs).toBe(backupMtimeMs);
    expect(readFileSync(join(dataDir, 'db.json')).equals(dbAfterMigration)).toBe(true);

    // A new deployment continues each service's numbering; with no agent it stays queued.
    const added = new Map<string, DeploymentView>();
    for (const [serviceId, answer] of Object.entries(expected.immediate.deploymentLists)) {
      const before = answer.body as DeploymentView[];
      const next = Math.max(...before.map((d) => d.number)) + 1;
      const res = await api<{
        deployment: DeploymentView;
        job: { status: string };
        message: string;
      }>(cp, 'POST', `/api/v1/services/${serviceId}/deployments`, {});
      expect(res.status).toBe(202);
      expect(res.body.message).toBe('Added to queue');
      expect(res.body.deployment).toMatchObject({
        serviceId,
        number: next,
        status: 'queued',
        trigger: 'redeploy',
      });
      expect(res.body.job.status).toBe('queued');
      added.set(serviceId, res.body.deployment);
      const list = await get(cp, `/api/v1/services/${serviceId}/deployments?limit=100`);
      expect(list.body).toEqual([res.body.deployment, ...before.map(withTimeline)]);
    }

    // Those deployments outlive a restart, which still migrates nothing.
    await cp.process.stop();
    cp = await restartControlPlane(cp);
    expect(migrations(cp)).toBe(0);
    expectMigratedFiles(dataDir);
    for (const [serviceId, deployment] of added) {
      const list = await get(cp, `/api/v1/services/${serviceId}/deployments?limit=1`);
      expect(list.body).toEqual([deployment]);
    }
    const [serviceId, last] = [...added][0]!;
    const again = await api<{ deployment: DeploymentView }>(
      cp,
      'POST',
      `/api/v1/services/${serviceId}/deployments`,
      { cache: 'none' },
    );
    expect(again.status).toBe(202);
    expect(again.body.deployment.number).toBe(last.number + 1);
  });

  it.each(['spawn', 'backup-temp', 'backup', 'rewrite'] as const)(
    'a control plane killed during the migration (at %s) completes it on the next start',
    async (at) => {
      // The kill races the migration; a run that got further than `at` is tried again.
      const wanted = { backup: at === 'backup' || at === 'rewrite', version: undefined };
      let dataDir = '';
      let left: { backup: boolean; version: unknown } = { backup: false, version: 'none yet' };
      for (let attempt = 1; attempt <= 5; attempt += 1) {
        dataDir = copyFixture();
        left = await crashMigration(dataDir, at);
        if (left.backup === wanted.backup && left.version === undefined) break;
      }
      // The kill left the 0.1.0 db.json in place, with or without the backup.
      expect(left).toEqual(wanted);

      const cp = await start(dataDir);
      expect(migrations(cp)).toBe(1);
      await expectAnswersOf010(cp);
      expectMigratedFiles(dataDir);
      expect(readdirSync(dataDir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
      await cp.process.stop();
    },
  );
});
