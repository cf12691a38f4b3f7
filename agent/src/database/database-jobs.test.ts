import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentMessageInput } from '@berth/protocol';
import { JobRunner } from '../jobs/job-runner.js';
import { Journal } from '../jobs/journal.js';
import { createLogger } from '../log.js';
import { LogSpool } from '../logs/log-spool.js';
import { FakeEngine } from '../testing/fake-engine.js';
import {
  FakeFiles,
  FakePostgres,
  databaseSpec,
  runningPostgres,
} from '../testing/fake-database.js';
import { decodingLogSender } from '../testing/log-batches.js';

async function runOne(withFiles: boolean) {
  const stateDir = mkdtempSync(join(tmpdir(), 'berth-dbrunner-'));
  const engine = new FakeEngine();
  const pg = new FakePostgres();
  engine.execHandler = pg.handle;
  engine.sessionHandler = pg.session;
  await runningPostgres(engine);
  const sent: AgentMessageInput[] = [];
  const send = (m: AgentMessageInput) => (sent.push(m), true);
  const runner = new JobRunner({
    engine,
    journal: new Journal(stateDir),
    spool: new LogSpool(join(stateDir, 'spool'), decodingLogSender(send)),
    send,
    workDir: join(stateDir, 'work'),
    logger: createLogger(() => undefined),
    ...(withFiles ? { files: new FakeFiles() } : {}),
  });
  runner.handleAssign(databaseSpec());
  for (let i = 0; i < 300 && !sent.some((m) => m.type === 'job.finished'); i += 1) {
    await new Promise((r) => setTimeout(r, 10));
  }
  return sent;
}

describe('backup jobs in the job runner', () => {
  it('ends with the backup outcome in the result, after live progress', async () => {
    const sent = await runOne(true);
    const finished = sent.find((m) => m.type === 'job.finished');
    expect(finished).toMatchObject({
      status: 'succeeded',
      result: { backups: [{ backupId: 'bk1', status: 'succeeded' }] },
    });
    expect(sent.some((m) => m.type === 'backup.progress' && m.backupId === 'bk1')).toBe(true);
  });

  it('fails clearly on an agent that has no control plane client', async () => {
    const sent = await runOne(false);
    expect(sent.find((m) => m.type === 'job.finished')).toMatchObject({
      status: 'failed',
      error: 'this agent has no control plane to upload backups to',
    });
  });
});
