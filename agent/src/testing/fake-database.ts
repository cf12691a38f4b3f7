import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { AgentMessageInput, JobSpec } from '@berth/protocol';
import type { BackupTransfer } from '../database/backup-transfer.js';
import { POSTGRES_COUNTS_SQL } from '../database/dump-commands.js';
import { AgentError } from '../errors.js';
import { LABELS } from '../docker/engine.js';
import type { JobContext } from '../jobs/job-context.js';
import type { FakeExecCall, FakeExecReply } from './fake-exec.js';
import type { FakeEngine } from './fake-engine.js';

/** Backup files kept in memory; `failUploads` makes the next uploads break off like a network. */
export class FakeFiles implements BackupTransfer {
  readonly stored = new Map<string, Buffer>();
  uploads = 0;
  failUploads = 0;
  /** Errors the upload's body ended with (a failed dump). */
  readonly bodyErrors: unknown[] = [];

  async upload(backupId: string, body: NodeJS.ReadableStream) {
    this.uploads += 1;
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        if (this.failUploads > 0) {
          this.failUploads -= 1;
          (body as Readable).destroy();
          throw new AgentError('UNREACHABLE', 'the upload failed: socket hang up', {
            retryable: true,
          });
        }
      }
    } catch (err) {
      // The fake's own network failures are retryable; anything else came from the body.
      if (!(err instanceof AgentError && err.retryable)) this.bodyErrors.push(err);
      throw err;
    }
    const content = Buffer.concat(chunks);
    this.stored.set(backupId, content);
    return {
      sha256: createHash('sha256').update(content).digest('hex'),
      sizeBytes: content.length,
    };
  }

  download(backupId: string) {
    const content = this.stored.get(backupId);
    if (!content) return Promise.reject(new AgentError('NOT_FOUND', 'no stored file'));
    return Promise.resolve(Readable.from([content]));
  }
}

/** A scripted PostgreSQL: its version, its counts (per container), pg_dump and pg_restore. */
export class FakePostgres {
  counts = new Map<string, string>();
  dump: Buffer = Buffer.from('PGDMP fake dump bytes');
  dumpExit = 0;
  restoreExit = 0;
  readonly restored: { containerId: string; stdin: Buffer; cmd: string[] }[] = [];

  /** The snapshot each pg_dump was given. */
  readonly dumpSnapshots: (string | undefined)[] = [];
  /** psql sessions still holding their snapshot's transaction open. */
  openSessions = 0;

  constructor(private readonly defaultCounts = 'public.notes\t3\n') {}

  /** A psql session: counts in an exported snapshot, the transaction open until stdin ends. */
  session = (call: { containerId: string; cmd: string[] }) => {
    if (call.cmd[0] !== 'psql') return null;
    return async (stdin: NodeJS.ReadableStream, stdout: NodeJS.WritableStream) => {
      this.openSessions += 1;
      let text = '';
      let answered = false;
      for await (const chunk of stdin as AsyncIterable<Buffer>) {
        text += chunk.toString();
        if (!answered && text.includes("SELECT 'berth-counts-end'")) {
          answered = true;
          const counts = this.counts.get(call.containerId) ?? this.defaultCounts;
          stdout.write(`snapshot\t00000003-0000001B-1\n${counts}berth-counts-end\n`);
        }
      }
      this.openSessions -= 1;
      return text.includes('COMMIT;') ? 0 : 1;
    };
  };

  handle = (call: FakeExecCall): FakeExecReply => {
    const [program] = call.cmd;
    const sql = call.cmd[call.cmd.length - 1];
    if (program === 'psql') {
      if (sql === 'SHOW server_version') return { stdout: '15.20\n' };
      if (sql === POSTGRES_COUNTS_SQL) {
        return { stdout: this.counts.get(call.containerId) ?? this.defaultCounts };
      }
      return { stdout: '1\n' };
    }
    if (program === 'pg_dump') {
      this.dumpSnapshots.push(call.cmd.find((a) => a.startsWith('--snapshot='))?.slice(11));
      if (this.openSessions === 0) return { code: 1, stderr: ['pg_dump: error: invalid snapshot'] };
      return this.dumpExit === 0
        ? { stdout: this.dump }
        : {
            stdout: this.dump.subarray(0, 5),
            code: this.dumpExit,
            stderr: ['pg_dump: error: lost'],
          };
    }
    if (program === 'pg_restore') {
      this.restored.push({ containerId: call.containerId, stdin: call.stdin, cmd: call.cmd });
      return this.restoreExit === 0
        ? {}
        : { code: this.restoreExit, stderr: ['pg_restore: error: boom'] };
    }
    return { code: 127, stderr: [`${program ?? ''}: not found`] };
  };
}

export const PG_ENV = {
  POSTGRES_USER: 'app',
  POSTGRES_PASSWORD: 's3cret-pw',
  POSTGRES_DB: 'appdb',
};

/** A running postgres service container in the fake engine. */
export async function runningPostgres(engine: FakeEngine, serviceId = 'svc1'): Promise<string> {
  const imageId = engine.newImageId();
  engine.images.set(imageId, { id: imageId, tags: ['postgres:15'], repoDigests: [], labels: {} });
  const id = await engine.createContainer({
    name: `db-${serviceId}`,
    image: imageId,
    env: PG_ENV,
    labels: { [LABELS.service]: serviceId, [LABELS.deployment]: 'dep1' },
    ports: [],
  });
  await engine.startContainer(id);
  return id;
}

export function databaseSpec(overrides: Partial<JobSpec> = {}): JobSpec {
  return {
    jobId: 'job1',
    kind: 'backup',
    service: {
      id: 'svc1',
      name: 'db',
      source: { type: 'database', engine: 'postgres' },
      ports: [],
      env: PG_ENV,
      healthcheck: { type: 'running', seconds: 0 },
    },
    deadlineAt: new Date(Date.now() + 60_000).toISOString(),
    backup: { backupId: 'bk1', number: 1, verify: true },
    ...overrides,
  };
}

export function databaseContext(engine: FakeEngine, spec: JobSpec) {
  const lines: string[] = [];
  const messages: AgentMessageInput[] = [];
  const controller = new AbortController();
  const ctx: JobContext = {
    spec,
    engine,
    signal: controller.signal,
    workDir: mkdtempSync(join(tmpdir(), 'berth-db-')),
    log: (_stream, text) => lines.push(text),
    logRoom: () => null,
    phase: () => undefined,
    setPhase: () => undefined,
    recordStopped: () => Promise.resolve(),
    report: () => undefined,
    now: Date.now,
    sleep: () => Promise.resolve(),
  };
  const send = (message: AgentMessageInput) => {
    messages.push(message);
    return true;
  };
  return { ctx, lines, messages, send, controller };
}
