import { describe, expect, it } from 'vitest';
import { FakeEngine } from '../testing/fake-engine.js';
import { fakeJobContext } from '../testing/fake-job-context.js';
import { checkDatabaseHealth, databaseProbeDelayMs } from './database-health.js';
import { databaseProbe } from './probes.js';
import { databaseSpec } from '../testing/database-fixtures.js';

async function runningContainer(engine: FakeEngine): Promise<string> {
  const image = engine.newImageId();
  engine.images.set(image, { id: image, tags: [], repoDigests: [], labels: {} });
  const id = await engine.createContainer({ name: 'db', image, env: {}, labels: {}, ports: [] });
  await engine.startContainer(id);
  return id;
}

const postgres = { source: { type: 'database' as const, engine: 'postgres' as const }, env: {} };

describe('the database health check', () => {
  it('probes at once, then backs off from 100 ms doubling to 2 s', async () => {
    const engine = new FakeEngine();
    const id = await runningContainer(engine);
    let calls = 0;
    engine.execResult = () => {
      calls += 1;
      return calls < 8
        ? { exitCode: 2, stdout: 'no response', stderr: '' }
        : { exitCode: 0, stdout: 'accepting connections', stderr: '' };
    };
    const { ctx, slept, clock } = fakeJobContext(engine, databaseSpec('postgres'));
    const started = clock.now;
    const health = await checkDatabaseHealth(ctx, engine, id, postgres);
    expect(health).toEqual({
      ok: true,
      answeredAt: started + 100 + 200 + 400 + 800 + 1600 + 2000 + 2000,
    });
    expect(slept).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
    expect(engine.execs[0]?.cmd).toEqual([
      'pg_isready',
      '-h',
      '127.0.0.1',
      '-p',
      '5432',
      '-U',
      'postgres',
    ]);
    expect(databaseProbeDelayMs(0)).toBe(100);
    expect(databaseProbeDelayMs(40)).toBe(2000);
  });

  it('gives up after 180 s with the last answer', async () => {
    const engine = new FakeEngine();
    const id = await runningContainer(engine);
    engine.execResult = () => ({ exitCode: 1, stdout: '', stderr: 'rejecting connections' });
    const { ctx, clock } = fakeJobContext(engine, databaseSpec('postgres'));
    const started = clock.now;
    const health = await checkDatabaseHealth(ctx, engine, id, postgres);
    expect(health).toEqual({
      ok: false,
      reason: 'pg_isready did not answer within 180 s (last: exit status 1: rejecting connections)',
    });
    expect(clock.now - started).toBe(180_000);
  });

  it('fails as soon as the container exits, with the probe it last saw', async () => {
    const engine = new FakeEngine();
    const id = await runningContainer(engine);
    engine.execResult = (containerId) => {
      const c = engine.containers.get(containerId)!;
      c.state = 'exited';
      c.exitCode = 1;
      return { exitCode: 2, stdout: 'no response', stderr: '' };
    };
    const { ctx } = fakeJobContext(engine, databaseSpec('postgres'));
    const health = await checkDatabaseHealth(ctx, engine, id, postgres);
    expect(health).toMatchObject({ ok: false });
    expect(!health.ok && health.reason).toMatch(
      /exited with status 1 after 0\.1 s \(last pg_isready: exit status 2: no response\)/,
    );
  });

  it('passes redis only on PONG, and keeps every secret out of the command', () => {
    const redis = databaseProbe('redis', { REDIS_PASSWORD: 'pw' });
    expect(
      redis.passes({ exitCode: 0, stdout: 'NOAUTH Authentication required.\n', stderr: '' }),
    ).toBe(false);
    expect(redis.passes({ exitCode: 0, stdout: 'PONG\n', stderr: '' })).toBe(true);
    const mysql = databaseProbe('mysql', { MYSQL_ROOT_PASSWORD: 'pw' });
    expect(mysql.cmd).toEqual(['mysqladmin', 'ping', '-h', '127.0.0.1', '-P', '3306', '-uroot']);
    expect(mysql.env).toEqual({ MYSQL_PWD: 'pw' });
    const pg = databaseProbe('postgres', { POSTGRES_USER: 'app', POSTGRES_PASSWORD: 'pw' });
    expect(pg.cmd).toContain('app');
    for (const probe of [redis, mysql, pg]) expect(probe.cmd.join(' ')).not.toContain('pw');
  });
});
