import { describe, expect, it } from 'vitest';
import { fakeJobContext } from '../testing/fake-job-context.js';
import { IMAGES, databaseSpec, engineWith } from '../testing/database-fixtures.js';
import { runDeployJob } from '../jobs/deploy-job.js';
import { dnsAliases } from '../jobs/service-container.js';

describe('DNS aliases', () => {
  it('makes display names DNS-safe and keeps names that already are', () => {
    expect(dnsAliases('db')).toEqual(['db']);
    expect(dnsAliases('Main DB')).toEqual(['main-db']);
    expect(dnsAliases('Api')).toEqual(['Api', 'api']);
    expect(dnsAliases('  café_api! ')).toEqual(['caf-api']);
  });
});

describe('deploying a database', () => {
  it('joins the environment network under its name and mounts the data volume', async () => {
    const engine = engineWith('postgres');
    const { ctx } = fakeJobContext(engine, databaseSpec('postgres'));
    const outcome = await runDeployJob(ctx);
    expect(outcome.status).toBe('succeeded');
    expect(engine.networks.get('berth-env-env1')).toEqual({ 'berth.environment': 'env1' });
    expect(engine.volumes.get('berth-svcdb-data')).toEqual({ 'berth.service': 'svcdb' });
    const [container] = engine.running();
    expect(container?.spec.network).toEqual({ name: 'berth-env-env1', aliases: ['main-db'] });
    expect(container?.spec.volumes).toEqual([
      { name: 'berth-svcdb-data', path: '/var/lib/postgresql/data' },
    ]);
    expect(container?.spec.ports).toEqual([]);
    expect(container?.spec.cmd).toBeUndefined();
  });

  it('publishes the database port only when the job asks for it', async () => {
    const engine = engineWith('postgres');
    const spec = databaseSpec('postgres', 1, { expose: { port: 25432 } });
    const outcome = await runDeployJob(fakeJobContext(engine, spec).ctx);
    expect(outcome).toMatchObject({ status: 'succeeded', result: { publicPort: 25432 } });
    expect(engine.running()[0]?.spec.ports).toEqual([
      { container: 5432, host: 25432, hostIp: '0.0.0.0' },
    ]);
  });

  it('an image service without an environment keeps the default network', async () => {
    const engine = engineWith('postgres');
    const spec = databaseSpec('postgres');
    spec.service = {
      ...spec.service,
      source: { type: 'image', image: IMAGES.postgres },
      environmentId: undefined,
    };
    await runDeployJob(fakeJobContext(engine, spec).ctx);
    expect(engine.running()[0]?.spec.network).toBeUndefined();
    expect(engine.networks.size).toBe(0);
  });

  it('gives redis its password in a 0600 config file, never on the command line', async () => {
    const engine = engineWith('redis');
    const { ctx, lines } = fakeJobContext(engine, databaseSpec('redis'));
    engine.execResult = () => ({ exitCode: 0, stdout: 'PONG\n', stderr: '' });
    expect((await runDeployJob(ctx)).status).toBe('succeeded');
    const [container] = engine.running();
    expect(container?.spec.cmd).toEqual(['redis-server', '/etc/berth/redis.conf']);
    expect(container?.spec.env).toEqual({ REDIS_PASSWORD: 's3cret "redis"' });
    expect(JSON.stringify(container?.spec.labels)).not.toContain('s3cret');
    const [file] = engine.files.get(container!.id) ?? [];
    expect(file).toMatchObject({ path: '/etc/berth/redis.conf', mode: 0o600, owner: 'redis' });
    const config = file!.content.toString();
    expect(config).toContain('requirepass "s3cret \\"redis\\""\n');
    expect(config).toContain('dir /data\n');
    expect(config).toContain('protected-mode no\n');
    const [probe] = engine.execs;
    expect(probe?.cmd).toEqual(['redis-cli', '-h', '127.0.0.1', '-p', '6379', 'ping']);
    expect(probe?.env).toEqual({ REDISCLI_AUTH: 's3cret "redis"' });
    expect(lines.some((l) => l.text.includes('s3cret'))).toBe(false);
  });

  it('refuses a redis service without a password', async () => {
    const engine = engineWith('redis');
    const spec = databaseSpec('redis');
    spec.service.env = {};
    await expect(runDeployJob(fakeJobContext(engine, spec).ctx)).rejects.toThrow(/REDIS_PASSWORD/);
    expect(engine.containers.size).toBe(0);
  });

  it('stops the previous container before the new one starts, on the same volume', async () => {
    const engine = engineWith('mariadb');
    await runDeployJob(fakeJobContext(engine, databaseSpec('mariadb', 1)).ctx);
    const first = engine.running()[0]!;
    // The fake refuses to start a second container on a volume in use.
    const { ctx, lines, stopped } = fakeJobContext(engine, databaseSpec('mariadb', 2));
    const outcome = await runDeployJob(ctx);
    expect(outcome.status).toBe('succeeded');
    expect(stopped).toEqual([[first.id]]);
    expect(engine.containers.has(first.id)).toBe(false);
    expect(engine.running()).toHaveLength(1);
    expect(lines.some((l) => l.text.includes('hand over its data volume'))).toBe(true);
    const probe = engine.execs.at(-1);
    expect(probe?.cmd).toEqual([
      'mariadb-admin',
      'ping',
      '-h',
      '127.0.0.1',
      '-P',
      '3306',
      '-uroot',
    ]);
    expect(probe?.env).toEqual({ MYSQL_PWD: 's3cret-root' });
  });

  it('starts the previous container again when the new one never gets ready', async () => {
    const engine = engineWith('postgres');
    await runDeployJob(fakeJobContext(engine, databaseSpec('postgres', 1)).ctx);
    const first = engine.running()[0]!;
    engine.execResult = () => ({ exitCode: 2, stdout: '127.0.0.1:5432 - no response', stderr: '' });
    const { ctx } = fakeJobContext(engine, databaseSpec('postgres', 2));
    const outcome = await runDeployJob(ctx);
    expect(outcome.status).toBe('failed');
    expect('error' in outcome && outcome.error).toMatch(
      /pg_isready did not answer within 180 s \(last: exit status 2: 127.0.0.1:5432 - no response\).*#1 was restored/,
    );
    expect(engine.running().map((c) => c.id)).toEqual([first.id]);
  });
});
