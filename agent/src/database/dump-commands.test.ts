import { describe, expect, it } from 'vitest';
import {
  credentialsFor,
  dumpCommand,
  loadCommand,
  mariadbCountsSql,
  unescapeBatch,
  versionCommand,
} from './dump-commands.js';

const MYSQL_ENV = { MYSQL_ROOT_PASSWORD: 'root-pw', MYSQL_DATABASE: 'shop' };

describe('database command lines', () => {
  it('mysql uses mysqldump and the mysql client, with the password in MYSQL_PWD only', () => {
    const c = credentialsFor('mysql', MYSQL_ENV);
    expect(dumpCommand(c)).toEqual({
      cmd: [
        'mysqldump',
        '--single-transaction',
        '--routines',
        '--events',
        '--add-drop-database',
        '-h',
        '127.0.0.1',
        '-uroot',
        '--databases',
        'shop',
      ],
      env: { MYSQL_PWD: 'root-pw' },
    });
    expect(loadCommand(c, { clean: true })).toEqual({
      cmd: ['mysql', '-h', '127.0.0.1', '-uroot'],
      env: { MYSQL_PWD: 'root-pw' },
    });
    expect(versionCommand(c).cmd).toEqual([
      'mysql',
      '-h',
      '127.0.0.1',
      '-uroot',
      '-N',
      '-B',
      '-D',
      'shop',
      '-e',
      'SELECT VERSION()',
    ]);
  });

  it('mariadb uses mariadb-dump, and reads the MYSQL_ names its image also accepts', () => {
    const c = credentialsFor('mariadb', MYSQL_ENV);
    expect(c).toMatchObject({ user: 'root', password: 'root-pw', database: 'shop' });
    expect(dumpCommand(c).cmd[0]).toBe('mariadb-dump');
    expect(loadCommand(c, { clean: false }).cmd[0]).toBe('mariadb');
  });

  it('postgres defaults the user and database like the official image', () => {
    const c = credentialsFor('postgres', { POSTGRES_PASSWORD: 'pw' });
    expect(dumpCommand(c)).toEqual({
      cmd: ['pg_dump', '-Fc', '-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres'],
      env: { PGPASSWORD: 'pw' },
    });
  });

  it('redis streams its RDB file and authenticates through REDISCLI_AUTH', () => {
    const c = credentialsFor('redis', { REDIS_PASSWORD: 'rpw' });
    expect(dumpCommand(c, { rdbPath: '/data/dump.rdb' })).toEqual({
      cmd: ['cat', '/data/dump.rdb'],
      env: {},
    });
    expect(versionCommand(c)).toEqual({
      cmd: ['redis-cli', 'INFO', 'server'],
      env: { REDISCLI_AUTH: 'rpw' },
    });
    expect(versionCommand(credentialsFor('redis', {})).env).toEqual({});
  });

  it('names the missing variable', () => {
    expect(() => credentialsFor('postgres', {})).toThrow('the service has no POSTGRES_PASSWORD');
    expect(() => credentialsFor('mariadb', { MARIADB_ROOT_PASSWORD: 'x' })).toThrow(
      'the service has no MARIADB_DATABASE',
    );
  });

  it('quotes table names with backticks and keys the counts by position', () => {
    expect(mariadbCountsSql(['a', 'we`ird'])).toBe(
      'SELECT 0, COUNT(*) FROM `a` UNION ALL SELECT 1, COUNT(*) FROM `we``ird`',
    );
    expect(unescapeBatch('tab\\there\\\\')).toBe('tab\there\\');
  });
});
