import { appendFile, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditEntrySchema, type AuditInput } from '@berth/protocol';
import { describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '../log.js';
import { fakeClock } from '../testing/fake-clock.js';
import { AUDIT_FILE, AuditLog } from './audit-log.js';

const deploy = (overrides: Partial<AuditInput> = {}): AuditInput => ({
  actor: { type: 'user', id: 'usr_ada', name: 'ada' },
  action: 'service.deploy',
  target: { type: 'service', id: 'svc_1' },
  projectId: 'prj_1',
  ip: '10.0.0.7',
  outcome: 'success',
  status: 202,
  ...overrides,
});

function recordingLogger(): Logger & { warnings: string[]; errors: string[] } {
  const warnings: string[] = [];
  const errors: string[] = [];
  return {
    info: () => undefined,
    warn: (m) => warnings.push(m),
    error: (m) => errors.push(m),
    warnings,
    errors,
  };
}

async function openTemp(log: Logger = silentLogger) {
  const dir = await mkdtemp(join(tmpdir(), 'berth-audit-'));
  const file = join(dir, AUDIT_FILE);
  const clock = fakeClock();
  const audit = await AuditLog.open(file, { now: clock.now, log });
  return { dir, file, clock, audit, reopen: () => AuditLog.open(file, { now: clock.now, log }) };
}

async function fileLines(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8')).split('\n').filter((line) => line !== '');
}

describe('AuditLog', () => {
  it('appends numbered, timed entries to a 0600 file and reads them newest first', async () => {
    const { file, clock, audit } = await openTemp();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const first = await audit.append(deploy());
    clock.advance(1_000);
    const second = await audit.append(
      deploy({ action: 'session.sign-in', target: undefined, detail: 'signed in' }),
    );
    expect(first).toMatchObject({
      seq: 1,
      at: '2025-01-01T00:00:00.000Z',
      action: 'service.deploy',
    });
    expect(second).toMatchObject({ seq: 2, at: '2025-01-01T00:00:01.000Z', detail: 'signed in' });
    expect(second.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await audit.query()).toEqual([second, first]);
    const lines = await fileLines(file);
    expect(lines.map((line) => auditEntrySchema.parse(JSON.parse(line)))).toEqual([first, second]);
    await audit.close();
  });

  it('makes an existing file 0600', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-audit-'));
    const file = join(dir, AUDIT_FILE);
    await writeFile(file, '', { mode: 0o644 });
    const audit = await AuditLog.open(file, { now: Date.now, log: silentLogger });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await audit.close();
  });

  it('filters by actor, project, action prefix, outcome and time, pages with before and limit', async () => {
    const { clock, audit } = await openTemp();
    const inputs: AuditInput[] = [
      deploy(),
      deploy({ actor: { type: 'token', id: 'tok_ci', name: 'ci', userId: 'usr_ada' } }),
      deploy({ action: 'service.stop', projectId: 'prj_2', outcome: 'denied', status: 403 }),
      deploy({ action: 'services.list' }),
      deploy({
        action: 'session.sign-in',
        outcome: 'failure',
        actor: { type: 'anonymous', name: 'bob' },
      }),
      deploy({ action: 'service.restart' }),
    ];
    for (const input of inputs) {
      await audit.append(input);
      clock.advance(60_000);
    }
    const seqs = async (filter: Parameters<AuditLog['query']>[0]) =>
      (await audit.query(filter)).map((entry) => entry.seq);

    expect(await seqs({})).toEqual([6, 5, 4, 3, 2, 1]);
    expect(await seqs({ actor: 'tok_ci' })).toEqual([2]);
    expect(await seqs({ project: 'prj_2' })).toEqual([3]);
    expect(await seqs({ action: 'service.*' })).toEqual([6, 3, 2, 1]);
    expect(await seqs({ action: 'service.' })).toEqual([6, 3, 2, 1]);
    expect(await seqs({ action: 'service*' })).toEqual([6, 4, 3, 2, 1]);
    expect(await seqs({ action: 'service.stop' })).toEqual([3]);
    expect(await seqs({ action: 'service' })).toEqual([]);
    expect(await seqs({ outcome: 'failure' })).toEqual([5]);
    expect(await seqs({ outcome: 'denied', action: 'service.*' })).toEqual([3]);
    expect(
      await seqs({ since: '2025-01-01T00:02:00.000Z', until: '2025-01-01T00:04:00.000Z' }),
    ).toEqual([5, 4, 3]);
    expect(await seqs({ since: '2025-01-01T01:04:00+01:00' })).toEqual([5, 6].reverse());
    expect(await seqs({ limit: 2 })).toEqual([6, 5]);
    expect(await seqs({ before: 5, limit: 2 })).toEqual([4, 3]);
    expect(await seqs({ before: 3, limit: 2 })).toEqual([2, 1]);
    expect(await seqs({ before: 1 })).toEqual([]);
    expect(await seqs({ before: 3, action: 'service.*' })).toEqual([2, 1]);
    await audit.close();
  });

  it('pages with before across a file far larger than a read chunk', async () => {
    const { audit } = await openTemp();
    await Promise.all(
      Array.from({ length: 3_000 }, (_, i) => audit.append(deploy({ detail: `entry ${i + 1}` }))),
    );
    const page = await audit.query({ before: 1_234, limit: 3 });
    expect(page.map((entry) => [entry.seq, entry.detail])).toEqual([
      [1_233, 'entry 1233'],
      [1_232, 'entry 1232'],
      [1_231, 'entry 1231'],
    ]);
    expect((await audit.query({ before: 2, limit: 5 })).map((e) => e.seq)).toEqual([1]);
    expect((await audit.query({ limit: 500 })).at(-1)?.seq).toBe(2_501);
    await audit.close();
  });

  it('keeps seq order over 10k appends in flight, with every entry stored once', async () => {
    const { file, audit } = await openTemp();
    const entries = await Promise.all(
      Array.from({ length: 10_000 }, (_, i) => audit.append(deploy({ detail: `n${i}` }))),
    );
    expect(entries.map((entry) => entry.seq)).toEqual(entries.map((_, i) => i + 1));
    expect(entries.map((entry) => entry.detail)).toEqual(entries.map((_, i) => `n${i}`));
    const lines = await fileLines(file);
    expect(lines).toHaveLength(10_000);
    expect(lines.map((line) => (JSON.parse(line) as { seq: number }).seq)).toEqual(
      entries.map((entry) => entry.seq),
    );
    expect(await audit.verify()).toEqual({ ok: true, entries: 10_000 });
    await audit.close();
  });

  it('cuts off a torn last line on open, and carries on the chain from the entry before it', async () => {
    const log = recordingLogger();
    const { file, audit, reopen } = await openTemp(log);
    await audit.append(deploy());
    await audit.append(deploy());
    await audit.close();
    await appendFile(file, '{"seq":3,"at":"2025-01-01T00:00:00.000Z","actor":{"ty');

    const reopened = await reopen();
    expect(log.warnings.join('\n')).toContain('torn last line');
    expect(await fileLines(file)).toHaveLength(2);
    expect((await reopened.append(deploy())).seq).toBe(3);
    expect(await reopened.verify()).toEqual({ ok: true, entries: 3 });
    await reopened.close();
  });

  it('continues seq and chain after a reopen', async () => {
    const { audit, reopen } = await openTemp();
    await audit.append(deploy());
    await audit.append(deploy());
    await audit.close();
    const reopened = await reopen();
    const third = await reopened.append(deploy({ action: 'token.create' }));
    expect(third.seq).toBe(3);
    expect(await reopened.verify()).toEqual({ ok: true, entries: 3 });
    expect((await reopened.query({ limit: 1 }))[0]).toEqual(third);
    await reopened.close();
  });

  /** Four entries, then the file's lines changed by `tamper` behind the log's back; the verdict. */
  async function verifyTampered(tamper: (lines: string[]) => void) {
    const { file, audit, reopen } = await openTemp();
    for (let i = 0; i < 4; i++) await audit.append(deploy());
    await audit.close();
    const lines = await fileLines(file);
    tamper(lines);
    await writeFile(file, lines.map((line) => `${line}\n`).join(''));
    const reopened = await reopen();
    try {
      return await reopened.verify();
    } finally {
      await reopened.close();
    }
  }

  it('shows an edited line in the chain', async () => {
    const verdict = await verifyTampered((lines) => {
      lines[1] = lines[1]!.replace('"outcome":"success"', '"outcome":"failure"');
    });
    expect(verdict).toEqual({
      ok: false,
      seq: 2,
      reason: expect.stringContaining('hash does not match'),
    });
  });

  it('shows a removed line in the chain', async () => {
    const verdict = await verifyTampered((lines) => lines.splice(2, 1));
    expect(verdict).toEqual({ ok: false, seq: 3, reason: expect.stringContaining('removed') });
  });

  it('cannot tell a cut-off tail from a shorter log, and carries on from what is left', async () => {
    const { file, audit, reopen } = await openTemp();
    for (let i = 0; i < 3; i++) await audit.append(deploy());
    await audit.close();
    const lines = await fileLines(file);
    await writeFile(
      file,
      lines
        .slice(0, 2)
        .map((line) => `${line}\n`)
        .join(''),
    );
    const reopened = await reopen();
    // Cutting the tail alone leaves a valid shorter chain; what comes next continues from seq 2.
    expect((await reopened.append(deploy())).seq).toBe(3);
    expect(await reopened.verify()).toEqual({ ok: true, entries: 3 });
    await reopened.close();
  });

  it('skips malformed lines when reading and warns once', async () => {
    const log = recordingLogger();
    const { file, audit, reopen } = await openTemp(log);
    await audit.append(deploy());
    await audit.close();
    await appendFile(file, 'not json\n');
    const reopened = await reopen();
    await reopened.append(deploy());
    expect((await reopened.query()).map((entry) => entry.seq)).toEqual([2, 1]);
    expect((await reopened.query()).map((entry) => entry.seq)).toEqual([2, 1]);
    expect(log.warnings.filter((w) => w.includes('malformed'))).toHaveLength(1);
    expect(await reopened.verify()).toMatchObject({ ok: false, seq: 2 });
    await reopened.close();
  });

  it('never moves time back along the file', async () => {
    const { clock, audit } = await openTemp();
    clock.advance(10_000);
    const first = await audit.append(deploy());
    clock.advance(-5_000);
    const second = await audit.append(deploy());
    expect(second.at).toBe(first.at);
    await audit.close();
  });

  it('clips a long detail to the longest the schema allows', async () => {
    const { audit } = await openTemp();
    const entry = await audit.append(deploy({ detail: 'x'.repeat(2_000) }));
    expect(entry.detail).toHaveLength(500);
    expect(auditEntrySchema.safeParse(entry).success).toBe(true);
    await audit.close();
  });

  it('logs a failed append and rejects it without taking the entry into the chain', async () => {
    const log = recordingLogger();
    const { audit, reopen } = await openTemp(log);
    await audit.append(deploy());
    await audit.close();
    // A closed file cannot be written: the append fails as a full disk would.
    await expect(audit.append(deploy({ detail: 'lost' }))).rejects.toThrow(/audit log/);
    expect(log.errors.join('\n')).toContain('could not append 1 entry');
    audit.record(deploy());
    const reopened = await reopen();
    expect(await reopened.verify()).toEqual({ ok: true, entries: 1 });
    await reopened.close();
  });
});
