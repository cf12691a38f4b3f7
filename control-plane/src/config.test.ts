import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies the contract defaults', () => {
    const result = loadConfig({}, '/srv');
    expect(result).toEqual({
      ok: true,
      config: {
        port: 8080,
        host: '0.0.0.0',
        dataDir: '/srv/data',
        adminToken: undefined,
        secretKey: undefined,
        publicUrl: undefined,
        heartbeatIntervalMs: 5000,
        livenessTimeoutMs: 15000,
        restartGraceMs: 30000,
        maxParallelJobs: 2,
        deployTimeoutMs: 1_800_000,
        backupTimeoutMs: 21_600_000,
        queueTimeoutMs: 3_600_000,
        lostJobGraceMs: 300_000,
        historyKeep: undefined,
        logRetentionDays: 90,
        retentionSchedule: '17 * * * *',
        agentReleaseDir: expect.stringMatching(/\/agent\/dist\/release$/),
        proxy: {},
      },
    });
  });

  it('reads BERTH_SECRET_KEY as hex or base64 and refuses anything else without echoing it', () => {
    const bytes = Buffer.alloc(32, 7);
    for (const text of [
      bytes.toString('hex'),
      bytes.toString('base64'),
      bytes.toString('base64url'),
    ]) {
      const result = loadConfig({ BERTH_SECRET_KEY: text }, '/srv');
      expect(result.ok && result.config.secretKey?.equals(bytes)).toBe(true);
    }
    for (const bad of ['too-short-secret', 'ab'.repeat(31), Buffer.alloc(31).toString('base64')]) {
      const result = loadConfig({ BERTH_SECRET_KEY: bad }, '/srv');
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.message).toContain('BERTH_SECRET_KEY: must be 32 random bytes as 64 hex');
      expect(result.message).not.toContain(bad);
    }
  });

  it('reads the retention settings and refuses bad ones by name', () => {
    const good = loadConfig(
      {
        BERTH_HISTORY_KEEP: '500',
        BERTH_LOG_RETENTION_DAYS: '0',
        BERTH_RETENTION_SCHEDULE: '*/5 * * * *',
        BERTH_LOST_JOB_GRACE_MS: '60000',
      },
      '/srv',
    );
    expect(good).toMatchObject({
      ok: true,
      config: {
        historyKeep: 500,
        logRetentionDays: 0,
        retentionSchedule: '*/5 * * * *',
        lostJobGraceMs: 60_000,
      },
    });
    const bad = loadConfig(
      { BERTH_HISTORY_KEEP: '0', BERTH_RETENTION_SCHEDULE: 'daily', BERTH_LOST_JOB_GRACE_MS: '5' },
      '/srv',
    );
    expect(bad.ok).toBe(false);
    const message = bad.ok ? '' : bad.message;
    expect(message).toMatch(/BERTH_HISTORY_KEEP: must be a whole number/);
    expect(message).toMatch(/BERTH_RETENTION_SCHEDULE: must be a cron expression/);
    expect(message).toMatch(/BERTH_LOST_JOB_GRACE_MS: must be at least 1000/);
  });

  it('reads every variable and trims the public URL', () => {
    const result = loadConfig(
      {
        BERTH_PORT: '9000',
        BERTH_HOST: '127.0.0.1',
        BERTH_DATA_DIR: '/var/lib/berth',
        BERTH_ADMIN_TOKEN: 'a-long-admin-token-value',
        BERTH_PUBLIC_URL: 'https://berth.example.com/',
        BERTH_HEARTBEAT_INTERVAL_MS: '1000',
        BERTH_LIVENESS_TIMEOUT_MS: '3000',
        BERTH_RESTART_GRACE_MS: '0',
        BERTH_AGENT_RELEASE_DIR: 'release',
      },
      '/srv',
    );
    expect(result.ok && result.config).toMatchObject({
      port: 9000,
      dataDir: '/var/lib/berth',
      publicUrl: 'https://berth.example.com',
      heartbeatIntervalMs: 1000,
      livenessTimeoutMs: 3000,
      restartGraceMs: 0,
      agentReleaseDir: '/srv/release',
    });
  });

  it('treats empty variables as unset', () => {
    const result = loadConfig({ BERTH_PORT: '', BERTH_ADMIN_TOKEN: '' });
    expect(result.ok && result.config.port).toBe(8080);
    expect(result.ok && result.config.adminToken).toBeUndefined();
  });

  it('names each bad variable and how to fix it', () => {
    const result = loadConfig({
      BERTH_PORT: 'eighty',
      BERTH_PUBLIC_URL: 'ftp://x',
      BERTH_HEARTBEAT_INTERVAL_MS: '5000',
      BERTH_LIVENESS_TIMEOUT_MS: '4000',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toContain('BERTH_PORT: must be a whole number from 0 to 65535');
    expect(result.message).toContain('BERTH_PORT=8080');
    expect(result.message).toContain('BERTH_PUBLIC_URL: must be an http:// or https:// base URL');
    expect(result.message).toContain('BERTH_LIVENESS_TIMEOUT_MS: must be greater than');
  });

  it('never echoes the admin token in its message', () => {
    const result = loadConfig({ BERTH_ADMIN_TOKEN: 'secret with spaces' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toContain('BERTH_ADMIN_TOKEN');
    expect(result.message).not.toContain('secret with spaces');
  });
});
